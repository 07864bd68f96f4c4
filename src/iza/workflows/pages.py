"""The Workflows page of the dashboard and its JSON API (``/api/v1/workflows/…``).

The page lists the stored workflows with what triggers them and whether they are active, the
upcoming schedule fires, the recent executions (status, timings), and one execution's items per
node and output. A run started here runs in the request's worker thread (or is queued for
Celery with ``workflows.executor = "celery"``) and the browser lands on its execution.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iza.kernel.tokens import TokenInfo
from iza.web.auth import api_user, page_user
from iza.web.templating import templates
from iza.workflows._errors import WorkflowInputError
from iza.workflows._model import parse_workflow
from iza.workflows._triggers import trigger_summary
from iza.workflows.routes import runtime
from iza.workflows.service import WorkflowService

__all__ = ["router"]

router = APIRouter()


def _service(request: Request) -> WorkflowService:
    return runtime(request.app).service


def _workflows(svc: WorkflowService) -> list[dict[str, Any]]:
    out = []
    for summary in svc.list_workflows():
        row = svc.get(summary["id"])
        try:
            triggers = trigger_summary(parse_workflow(row.definition), svc.timezone)
        except WorkflowInputError as exc:
            triggers = [{"node": "", "kind": "invalid", "detail": exc.message}]
        out.append({**summary, "triggers": triggers})
    return out


def _items(raw: str | None) -> list[dict[str, Any]] | None:
    if not raw or not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise WorkflowInputError(
            f"the input is not valid JSON: {exc}",
            fix='Give a JSON object or a list of objects, e.g. {"name": "Ada"}.') from exc
    data = data if isinstance(data, list) else [data]
    return [d if isinstance(d, dict) and "json" in d else {"json": d} for d in data]


def _run(request: Request, ref: str, items: list[dict[str, Any]] | None, queue: bool) -> dict[str, Any]:
    """Run now (in this thread) or queue for Celery; the execution's summary either way."""
    rt = runtime(request.app)
    svc = rt.service
    wf = parse_workflow(svc.get(ref).definition)
    if queue or rt.dispatcher.executor == "celery":
        from iza.workflows._celery import submit

        exec_id = svc.enqueue(wf, items=items, mode="manual")
        submit(request.app.state.settings, exec_id)
    else:
        exec_id, _ = svc.run(wf, items=items, mode="manual")
    return svc.executions(limit=1, exec_id=exec_id)[0]


# ---- pages --------------------------------------------------------------------------------------
@router.get("/workflows", response_class=HTMLResponse, include_in_schema=False)
def workflows_page(request: Request, user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    rt = runtime(request.app)
    context = {
        "user": user, "active": "/workflows", "workflows": _workflows(rt.service),
        "executions": rt.service.executions(limit=30), "upcoming": rt.scheduler.upcoming(),
        "scheduler_on": request.app.state.settings.get_bool("workflows.scheduler"),
        "executor": rt.dispatcher.executor,
    }
    return templates.TemplateResponse(request, "workflows/index.html", context)


@router.post("/workflows/{ref}/run", include_in_schema=False)
def run_from_page(request: Request, ref: str, user: Annotated[TokenInfo, Depends(page_user)],
                  input_json: Annotated[str, Form()] = "") -> Response:
    summary = _run(request, ref, _items(input_json), queue=False)
    return RedirectResponse(f"/workflows/executions/{summary['id']}", status_code=303)


@router.post("/workflows/{ref}/active", include_in_schema=False)
def toggle_from_page(request: Request, ref: str, user: Annotated[TokenInfo, Depends(page_user)],
                     active: Annotated[str, Form()] = "1") -> Response:
    _service(request).set_active(ref, active == "1")
    return RedirectResponse("/workflows", status_code=303)


@router.get("/workflows/executions/{execution_id:int}", response_class=HTMLResponse,
            include_in_schema=False)
def execution_page(request: Request, execution_id: int,
                   user: Annotated[TokenInfo, Depends(page_user)]) -> Response:
    detail = _service(request).execution_detail(execution_id)
    return templates.TemplateResponse(request, "workflows/execution.html",
                                      {"user": user, "active": "/workflows", "e": detail})


# ---- JSON API -------------------------------------------------------------------------------------
@router.get("/api/v1/workflows", tags=["workflows"])
def api_list(request: Request, _user: Annotated[TokenInfo, Depends(api_user)]) -> list[dict[str, Any]]:
    """Stored workflows with their triggers and active state."""
    return _workflows(_service(request))


@router.get("/api/v1/workflows/executions", tags=["workflows"])
def api_executions(request: Request, _user: Annotated[TokenInfo, Depends(api_user)],
                   workflow: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Recent executions, newest first (status, timings, error)."""
    return _service(request).executions(workflow, min(max(limit, 1), 500))


@router.get("/api/v1/workflows/executions/{execution_id:int}", tags=["workflows"])
def api_execution(request: Request, execution_id: int,
                  _user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    """One execution with each node run's status, time and output items."""
    return _service(request).execution_detail(execution_id)


@router.get("/api/v1/workflows/schedule", tags=["workflows"])
def api_schedule(request: Request, _user: Annotated[TokenInfo, Depends(api_user)]) -> list[dict[str, Any]]:
    """The next fire time of every schedule rule the server's scheduler knows."""
    return runtime(request.app).scheduler.upcoming()


@router.post("/api/v1/workflows/{ref}/run", tags=["workflows"])
def api_run(request: Request, ref: str, _user: Annotated[TokenInfo, Depends(api_user)],
            body: Annotated[dict[str, Any] | None, Body()] = None) -> dict[str, Any]:
    """Run a stored workflow (id or name) now, or queue it (``{"queue": true}``) for a worker.

    Body (optional): ``{"input": {…} | [{…}], "queue": false}``.
    """
    body = body or {}
    raw = body.get("input")
    items = _items(json.dumps(raw)) if raw is not None else None
    return _run(request, ref, items, queue=bool(body.get("queue")))


@router.post("/api/v1/workflows/{ref}/activate", tags=["workflows"])
def api_activate(request: Request, ref: str,
                 _user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    """Activate a workflow: its webhook, schedule and event triggers start working."""
    svc = _service(request)
    svc.set_active(ref, True)
    return {"id": svc.get(ref).id, "active": True}


@router.post("/api/v1/workflows/{ref}/deactivate", tags=["workflows"])
def api_deactivate(request: Request, ref: str,
                   _user: Annotated[TokenInfo, Depends(api_user)]) -> dict[str, Any]:
    """Deactivate a workflow: its triggers stop."""
    svc = _service(request)
    svc.set_active(ref, False)
    return {"id": svc.get(ref).id, "active": False}
