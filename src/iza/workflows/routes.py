"""Workflow triggers in ``iza serve``: webhook routes and the scheduler's lifespan.

* ``/webhooks/workflows/<path>`` (and n8n's ``/webhook/<path>``) reach the active workflow whose
  Webhook node has that path and method; the answer follows the node's response mode.
* ``/webhooks/workflows/waiting/<execution id>`` (and n8n's ``/webhook-waiting/<id>``) resumes an
  execution whose Wait node waits for a webhook.
* :func:`lifespan` starts the scheduler (``workflows.scheduler``) when the server starts and stops
  it, letting running executions finish, when it stops. Tests inject a clock by setting
  ``app.state.workflow_clock`` before the server starts.

Webhooks authenticate by their own means (a secret path, a header the workflow checks), like n8n:
they need no IZA token.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.store import Store, utcnow
from iza.web.app import error_body
from iza.workflows._dispatch import Dispatcher
from iza.workflows._lease import Lease
from iza.workflows._scheduler import Scheduler
from iza.workflows._webhooks import WebhookAnswer, WebhookRequest, Webhooks
from iza.workflows.service import WorkflowService

__all__ = ["TriggerRuntime", "lifespan", "router", "runtime"]

logger = logging.getLogger(__name__)
router = APIRouter()
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


@dataclass
class TriggerRuntime:
    """The trigger machinery of one app: where runs go, the webhook table, the scheduler."""

    service: WorkflowService
    dispatcher: Dispatcher
    webhooks: Webhooks
    scheduler: Scheduler


_runtime_lock = threading.Lock()


def runtime(app: FastAPI) -> TriggerRuntime:
    """The app's trigger runtime, made on first use (the lifespan, or a request without one)."""
    with _runtime_lock:
        return _runtime(app)


def _runtime(app: FastAPI) -> TriggerRuntime:
    rt: TriggerRuntime | None = getattr(app.state, "workflow_triggers", None)
    if rt is None:
        settings: Settings = app.state.settings
        store: Store = app.state.store
        service = WorkflowService(store, settings)
        dispatcher = Dispatcher(service, settings)
        clock = getattr(app.state, "workflow_clock", None) or utcnow
        scheduler = Scheduler(dispatcher, timezone=service.timezone, clock=clock,
                              tick_s=float(settings["workflows.scheduler_tick_s"]),
                              lease=Lease(store, ttl_s=float(settings["workflows.scheduler_lease_s"])))
        rt = TriggerRuntime(service, dispatcher, Webhooks(service, dispatcher), scheduler)
        app.state.workflow_triggers = rt
    return rt


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    rt = runtime(app)
    if app.state.settings.get_bool("workflows.scheduler"):
        rt.scheduler.start()
        logger.info("workflow scheduler started (tick %.2fs)", rt.scheduler.tick_s)
    try:
        yield
    finally:
        rt.scheduler.stop()
        await run_in_threadpool(rt.dispatcher.shutdown)


async def _request(request: Request, path: str) -> WebhookRequest:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body: Any = {}
    if raw:
        if ctype.endswith("json"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        elif ctype == "application/x-www-form-urlencoded":
            body = {k: v[0] if len(v) == 1 else v
                    for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        elif ctype == "multipart/form-data":
            form = await request.form()
            body = {k: str(v) for k, v in form.items()}
        else:
            body = raw.decode("utf-8", "replace")
    query: dict[str, Any] = {}
    for k, v in request.query_params.multi_items():
        if k not in query:
            query[k] = v
        else:  # a repeated key becomes a list, as in n8n
            query[k] = [*(query[k] if isinstance(query[k], list) else [query[k]]), v]
    return WebhookRequest(request.method, path, {k.lower(): v for k, v in request.headers.items()},
                          query, body, str(request.url))


def _response(answer: WebhookAnswer) -> Response:
    headers = dict(answer.headers)
    if answer.execution_id is not None:
        headers.setdefault("X-Iza-Execution-Id", str(answer.execution_id))
    if answer.kind == "redirect":
        return RedirectResponse(headers.pop("Location", "/"), status_code=answer.status, headers=headers)
    if answer.kind == "empty":
        return Response(status_code=answer.status, headers=headers)
    if answer.kind == "binary":
        return Response(answer.body, status_code=answer.status, headers=headers,
                        media_type=headers.pop("Content-Type", "application/octet-stream"))
    if answer.kind == "text":
        media = headers.pop("Content-Type", "text/plain; charset=utf-8")
        return Response(str(answer.body), status_code=answer.status, headers=headers, media_type=media)
    media = headers.pop("Content-Type", "application/json")
    return Response(json.dumps(answer.body, default=str), status_code=answer.status, headers=headers,
                    media_type=media)


def _iza_error(exc: IzaError) -> JSONResponse:
    return JSONResponse(error_body(exc.status_code, type(exc).__name__, exc.message, exc.fix),
                        status_code=exc.status_code)


async def _waiting(request: Request, execution_id: int) -> Response:
    rt = runtime(request.app)
    req = await _request(request, f"waiting/{execution_id}")
    try:
        answer = await run_in_threadpool(rt.webhooks.resume_waiting, execution_id, req)
    except IzaError as exc:
        return _iza_error(exc)
    return _response(answer)


async def _webhook(request: Request, path: str) -> Response:
    rt = runtime(request.app)
    found = await run_in_threadpool(rt.webhooks.find, request.method, path)
    if found is None or isinstance(found, str):
        detail = (f"the path accepts {found}, not {request.method}" if found
                  else "no active workflow has a Webhook node with this path")
        return JSONResponse(error_body(
            404, "WebhookNotFound", f"webhook {request.method} /{path.strip('/')} is not registered: "
            f"{detail}", "import a workflow whose Webhook node has this path and method, then "
            "activate it with `iza workflows activate REF` (only active workflows receive webhooks)"),
            status_code=404)
    wf, spec, params = found
    if spec.authentication != "none":
        return JSONResponse(error_body(
            403, "WebhookAuthUnsupported", f"webhook /{spec.path} of workflow {wf.name!r} uses "
            f"{spec.authentication} authentication, which needs n8n credentials IZA does not store; "
            "the request is refused", "set the Webhook node's authentication to none and check a "
            "secret header or query value in the workflow (an IF node on $json.headers)"),
            status_code=403)
    req = await _request(request, path)
    try:
        answer = await run_in_threadpool(rt.webhooks.handle, wf, spec, params, req)
    except IzaError as exc:
        return _iza_error(exc)
    return _response(answer)


@router.api_route("/webhooks/workflows/waiting/{execution_id:int}", methods=_METHODS, include_in_schema=False)
async def waiting_webhook(request: Request, execution_id: int) -> Response:
    """Resume an execution whose Wait node waits for a webhook; the request is its output."""
    return await _waiting(request, execution_id)


@router.api_route("/webhook-waiting/{execution_id:int}", methods=_METHODS, include_in_schema=False)
async def waiting_webhook_n8n(request: Request, execution_id: int) -> Response:
    return await _waiting(request, execution_id)


@router.api_route("/webhooks/workflows/{path:path}", methods=_METHODS, include_in_schema=False)
async def workflow_webhook(request: Request, path: str) -> Response:
    """Start the active workflow whose Webhook node has this path and method."""
    return await _webhook(request, path)


@router.api_route("/webhook/{path:path}", methods=_METHODS, include_in_schema=False)
async def workflow_webhook_n8n(request: Request, path: str) -> Response:
    return await _webhook(request, path)
