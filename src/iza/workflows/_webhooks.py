"""Webhook triggers without the HTTP framework: find the active workflow a request reaches, run it,
and say what to answer (n8n's response modes), as a plain :class:`WebhookAnswer`.

* ``onReceived`` answers at once (``{"message": "Workflow was started"}`` or the node's
  ``options.responseData`` text) while the run goes on in the background;
* ``lastNode`` runs the workflow to its end and answers with the last node's output
  (``firstEntryJson`` — optionally one property —, ``allEntries``, ``firstEntryBinary``, ``noData``);
* ``responseNode`` answers as soon as a Respond to Webhook node runs, the rest runs on.

A workflow that fails before answering gets 500 ``{"message": "Error in workflow"}``, as in n8n.
"""

from __future__ import annotations

import base64
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iza.workflows._dispatch import ActiveWorkflows, Dispatcher
from iza.workflows._engine import ExecutionResult
from iza.workflows._model import Workflow
from iza.workflows._triggers import WebhookSpec, match_path, normalise_path, webhook_specs

if TYPE_CHECKING:
    from iza.workflows.service import WorkflowService

__all__ = ["WebhookAnswer", "WebhookRequest", "Webhooks"]

logger = logging.getLogger(__name__)

#: How long a ``responseNode`` request waits for its Respond to Webhook node (seconds).
RESPONSE_TIMEOUT_S = 300.0


@dataclass
class WebhookRequest:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, Any]
    body: Any
    url: str = ""

    def item(self, params: dict[str, str], mode: str = "production") -> dict[str, Any]:
        """n8n's Webhook item: ``{"json": {headers, params, query, body, webhookUrl, executionMode}}``."""
        return {"json": {"headers": self.headers, "params": params, "query": self.query,
                         "body": self.body, "webhookUrl": self.url, "executionMode": mode}}


@dataclass
class WebhookAnswer:
    status: int
    kind: str  # json | text | empty | redirect | binary
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    execution_id: int | None = None

    @classmethod
    def from_node(cls, response: dict[str, Any], execution_id: int | None = None) -> WebhookAnswer:
        body = response.get("body")
        if response.get("kind") == "binary":
            body = base64.b64decode(str(body))
        return cls(int(response.get("status") or 200), str(response.get("kind") or "json"), body,
                   dict(response.get("headers") or {}), execution_id)


def _error(execution_id: int | None) -> WebhookAnswer:
    return WebhookAnswer(500, "json", {"message": "Error in workflow"}, execution_id=execution_id)


def _headers(spec: WebhookSpec) -> dict[str, str]:
    entries = ((spec.options.get("responseHeaders") or {}).get("entries")) or []
    out = {str(e.get("name")): str(e.get("value", "")) for e in entries if e.get("name")}
    if spec.options.get("responseContentType"):
        out["Content-Type"] = str(spec.options["responseContentType"])
    return out


def last_node_answer(spec: WebhookSpec, exec_id: int, result: ExecutionResult) -> WebhookAnswer:
    if result.status == "error":
        return _error(exec_id)
    if result.status == "waiting":
        return WebhookAnswer(200, "json", {"message": "Workflow is waiting", "executionId": exec_id},
                             _headers(spec), exec_id)
    runs = result.run_data.get(result.last_node or "", [])
    main = (runs[-1].get("data") or {}).get("main") if runs else None
    items: list[dict[str, Any]] = (main[0] or []) if main else []
    headers = _headers(spec)
    if spec.response_data == "noData":
        return WebhookAnswer(spec.response_code, "empty", None, headers, exec_id)
    if spec.response_data == "allEntries":
        return WebhookAnswer(spec.response_code, "json", [i.get("json", {}) for i in items], headers,
                             exec_id)
    if spec.response_data == "firstEntryBinary":
        prop = str(spec.options.get("responseBinaryPropertyName") or "data")
        binary = (items[0].get("binary") or {}).get(prop) if items else None
        if not isinstance(binary, dict) or "data" not in binary:
            return WebhookAnswer(500, "json", {"message": f"No binary data in property {prop!r} "
                                               "of the last node's first item"}, execution_id=exec_id)
        headers.setdefault("Content-Type", str(binary.get("mimeType") or "application/octet-stream"))
        return WebhookAnswer(spec.response_code, "binary", base64.b64decode(str(binary["data"])),
                             headers, exec_id)
    first: Any = items[0].get("json", {}) if items else {}
    key = spec.options.get("responsePropertyName")
    if key and isinstance(first, dict):
        first = first.get(str(key))
    return WebhookAnswer(spec.response_code, "json", first, headers, exec_id)


def on_received_answer(spec: WebhookSpec) -> WebhookAnswer:
    data = spec.options.get("responseData")
    if data == "noData":
        return WebhookAnswer(spec.response_code, "empty", None, _headers(spec))
    if data:
        return WebhookAnswer(spec.response_code, "text", str(data), _headers(spec))
    return WebhookAnswer(spec.response_code, "json", {"message": "Workflow was started"}, _headers(spec))


class Webhooks:
    """Webhook and waiting-webhook requests against the active workflows of one store."""

    def __init__(self, service: WorkflowService, dispatcher: Dispatcher) -> None:
        self.service = service
        self.dispatcher = dispatcher
        self.active = ActiveWorkflows(service)

    def routes(self) -> list[tuple[Workflow, WebhookSpec]]:
        return [(wf, spec) for wf in self.active.current() for spec in webhook_specs(wf)]

    def find(self, method: str, path: str) -> tuple[Workflow, WebhookSpec, dict[str, str]] | None | str:
        """The workflow and node a request reaches; a string lists the methods the path has instead."""
        path = normalise_path(path)
        other_methods: list[str] = []
        candidates = sorted(self.routes(), key=lambda r: r[1].path.count(":"))  # static paths first
        for wf, spec in candidates:
            params = match_path(spec.path, path)
            if params is None:
                continue
            if method.upper() in spec.methods or (method.upper() == "HEAD" and "GET" in spec.methods):
                return wf, spec, params
            other_methods += spec.methods
        return ", ".join(sorted(set(other_methods))) if other_methods else None

    def handle(self, wf: Workflow, spec: WebhookSpec, params: dict[str, str],
               request: WebhookRequest) -> WebhookAnswer:
        item = request.item(params)
        logger.info("webhook %s /%s → workflow %s (%s)", request.method, spec.path, wf.name,
                    spec.response_mode)
        if spec.response_mode == "lastNode":
            exec_id, result = self.service.run(wf, items=[item], mode="webhook", start=spec.node)
            return last_node_answer(spec, exec_id, result)
        if spec.response_mode == "responseNode":
            return self._until_response(
                lambda on_response: self.service.run(wf, items=[item], mode="webhook", start=spec.node,
                                                     on_response=on_response))
        self.dispatcher.launch(wf, items=[item], mode="webhook", start=spec.node)
        return on_received_answer(spec)

    def _until_response(self, run: Any) -> WebhookAnswer:
        """Run in a thread; answer when Respond to Webhook runs, or with the run's end."""
        answered = threading.Event()
        box: dict[str, Any] = {}

        def on_response(response: dict[str, Any]) -> None:
            box["response"] = response
            answered.set()

        def work() -> None:
            try:
                box["exec_id"], box["result"] = run(on_response)
            except Exception as exc:  # answered below as an error; the run itself logs
                logger.exception("webhook run failed")
                box["error"] = exc
            finally:
                answered.set()

        threading.Thread(target=work, name="iza-wf-webhook", daemon=True).start()
        answered.wait(RESPONSE_TIMEOUT_S)
        if "response" in box:
            return WebhookAnswer.from_node(box["response"], box.get("exec_id"))
        result: ExecutionResult | None = box.get("result")
        if result is None or result.status == "error":
            return _error(box.get("exec_id"))
        if result.status == "waiting":  # parked (a long Wait) before any Respond node ran
            return WebhookAnswer(200, "json", {"message": "Workflow is waiting",
                                               "executionId": box.get("exec_id")},
                                 execution_id=box.get("exec_id"))
        return WebhookAnswer(500, "json", {
            "message": "The workflow finished without running a Respond to Webhook node",
            "hint": "Put a Respond to Webhook node on every path, or set the Webhook node to "
                    "respond when the last node finishes."}, execution_id=box.get("exec_id"))

    def resume_waiting(self, exec_id: int, request: WebhookRequest) -> WebhookAnswer:
        """A Wait node (resume: webhook) continues with the request as its output item."""
        item = request.item({}, mode="production")
        info = self.service.waiting_on_webhook(exec_id)
        mode = str(info.get("responseMode") or "onReceived")
        if mode == "responseNode":
            return self._until_response(lambda on_response: (exec_id, self.service.resume(
                exec_id, items=[item], on_response=on_response)))
        if mode == "lastNode":
            result = self.service.resume(exec_id, items=[item])
            spec = WebhookSpec(str(info.get("node")), (request.method,), "", "lastNode",
                               int(info.get("responseCode") or 200),
                               str(info.get("responseData") or "firstEntryJson"), {})
            return last_node_answer(spec, exec_id, result)
        self.dispatcher.call(self.service.resume, exec_id, items=[item])
        return WebhookAnswer(200, "json", {"message": "Workflow was started"}, execution_id=exec_id)
