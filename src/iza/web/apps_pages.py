"""Customer pages of the instant-app flow: the blueprint catalog, the "request a demo app" form
with live progress (server-sent events), the result page and the zip download.

This lives in the web layer (it needs the login dependencies); the flow itself is
:func:`iza.apps.run_demo_app`. A request runs in a background thread, one at a time (the
verification builds a venv and runs a test suite; two at once would only slow both down). Its
progress is kept in memory, so a restarted server forgets running jobs but never the apps: those
are on disk in ``$IZA_HOME/apps``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from iza.errors import IzaError, NotFoundError
from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user, page_user
from iza.web.templating import templates

__all__ = ["router", "zip_response"]

logger = logging.getLogger(__name__)
router = APIRouter()
_SKIP = {".venv", "__pycache__", "data", ".pytest_cache"}


@dataclass
class Job:
    """One demo-app request running (or run) in this server process."""

    id: str
    request: str
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request,
            "done": self.done,
            "events": self.events,
            "result": self.result,
            "error": self.error,
        }


_jobs: dict[str, Job] = {}
_jobs_lock = threading.Lock()
_one_at_a_time = threading.Semaphore(1)


def _start(request: Request, text: str) -> Job:
    """Parse now (a bad request is an error for the form, not a failed job), then run in a thread."""
    from iza.apps._flow import plan_spec

    settings, store = request.app.state.settings, request.app.state.store
    spec = plan_spec(text, settings=settings, store=store)
    job = Job(uuid.uuid4().hex[:12], text)
    with _jobs_lock:
        _jobs[job.id] = job

    def progress(step: str, status: str) -> None:
        job.events.append({"step": step, "status": status, "at": round(time.time(), 2)})

    def work() -> None:
        from iza.apps._flow import run_demo_app

        with _one_at_a_time:
            try:
                job.result = run_demo_app(
                    spec, settings, store, progress=progress, source="web"
                ).as_dict()
            except IzaError as exc:
                job.error = exc.message
            except Exception as exc:  # report, never kill the server thread silently
                logger.exception("demo-app job %s failed", job.id)
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                job.done = True

    threading.Thread(target=work, name=f"demo-app-{job.id}", daemon=True).start()
    return job


def _job(job_id: str) -> Job:
    with _jobs_lock:
        job = _jobs.get(job_id)
    if job is None:
        raise NotFoundError(
            f"no demo-app request {job_id!r} in this server",
            fix="start one from /apps (running requests are forgotten on restart)",
        )
    return job


def _apps(home: Path) -> list[dict[str, Any]]:
    out = []
    for spec_file in sorted((home / "apps").glob("*/iza_app.json")):
        try:
            spec = json.loads(spec_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append(
            {
                "dir": spec_file.parent.name,
                "name": spec.get("name"),
                "blueprint": spec.get("blueprint"),
                "request": spec.get("request"),
                "entities": [e["label"] for e in spec.get("entities", [])],
            }
        )
    return out


@router.get("/apps", response_class=HTMLResponse, include_in_schema=False)
def catalog(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    return _catalog(request, user, None, "")


def _catalog(
    request: Request, user: TokenInfo, error: str | None, text: str, status: int = 200
) -> Response:
    from iza.apps import BLUEPRINTS
    from iza.apps._examples import EXAMPLE_REQUESTS

    return templates.TemplateResponse(
        request,
        "apps/catalog.html",
        {
            "user": user,
            "active": "/apps",
            "blueprints": list(BLUEPRINTS.values()),
            "examples": EXAMPLE_REQUESTS[:8],
            "apps": _apps(request.app.state.settings.home),
            "error": error,
            "text": text,
        },
        status_code=status,
    )


@router.post("/apps/requests", response_class=HTMLResponse, include_in_schema=False)
def request_form(
    request: Request,
    user: Annotated[TokenInfo, Depends(page_user)],
    text: Annotated[str, Form(alias="request")] = "",
) -> Response:
    try:
        job = _start(request, text)
    except IzaError as exc:
        return _catalog(
            request, user, f"{exc.message} — {exc.fix}" if exc.fix else exc.message, text, 400
        )
    return RedirectResponse(f"/apps/requests/{job.id}", status_code=303)


@router.get("/apps/requests/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(request: Request, job_id: str, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    return templates.TemplateResponse(
        request, "apps/job.html", {"user": user, "active": "/apps", "job": _job(job_id)}
    )


@router.get("/apps/requests/{job_id}/events", include_in_schema=False)
async def job_events(job_id: str, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    """Server-sent events: one ``step`` event per progress change, then ``result`` and the end."""
    job = _job(job_id)

    async def stream() -> AsyncIterator[str]:
        sent = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            while sent < len(job.events):
                yield f"event: step\ndata: {json.dumps(job.events[sent])}\n\n"
                sent += 1
            if job.done:
                payload = {"result": _summary(job.result), "error": job.error}
                yield f"event: result\ndata: {json.dumps(payload)}\n\n"
                return
            await asyncio.sleep(0.2)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _summary(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    failed = result.get("failed_step") or {}
    return {
        "status": result["status"],
        "dir": Path(result["app_dir"]).name,
        "name": result["spec"]["name"],
        "tests": result["tests"],
        "seconds": result["seconds"],
        "mode": result["mode"],
        "failed_step": failed.get("name"),
        "order_id": result.get("order_id"),
        "order_url": f"/orders/{result['order_id']}" if result.get("order_id") else None,
        "detail": failed.get("detail"),
        "notes": result["notes"],
    }


@router.get("/apps/{app_dir}/download.zip", include_in_schema=False)
def download(request: Request, app_dir: str, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    root = (request.app.state.settings.home / "apps").resolve()
    target = (root / app_dir).resolve()
    if target.parent != root or not (target / "iza_app.json").is_file():
        raise NotFoundError(f"no generated app {app_dir!r}", fix="pick an app listed on /apps")
    return zip_response(target)


def zip_response(target: Path) -> Response:
    """The generated app in ``target`` as a zip (no venv, caches or local database)."""
    app_dir = target.name
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(target.rglob("*")):
            rel = path.relative_to(target)
            if path.is_file() and not (set(rel.parts) & _SKIP) and not rel.name.startswith(".iza"):
                zf.write(path, f"{app_dir}/{rel.as_posix()}")
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{app_dir}.zip"'},
    )


@router.post("/api/v1/apps/requests", status_code=202, tags=["apps"])
def api_request(
    request: Request, body: dict[str, str], user: Annotated[TokenInfo, Depends(api_user)]
) -> dict[str, Any]:
    """Start a demo-app request (``{"request": "todo app with AI"}``); poll the returned job."""
    job = _start(request, str(body.get("request", "")))
    return {
        "job_id": job.id,
        "status_url": f"/api/v1/apps/requests/{job.id}",
        "events_url": f"/apps/requests/{job.id}/events",
    }


@router.get("/api/v1/apps/requests/{job_id}", tags=["apps"])
def api_job(job_id: str, user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    return _job(job_id).as_dict()
