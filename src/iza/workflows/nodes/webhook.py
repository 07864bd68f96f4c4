"""Respond to Webhook, and IZA's Event Trigger: nodes that only mean something when a trigger in
``iza serve`` started the run (a webhook request waiting for its answer, a domain event).

Respond to Webhook records the answer on the execution (status, headers, body) and tells the
waiting request at once, so the caller gets its response while the rest of the workflow runs on,
as in n8n. It answers once; a second Respond node in the same run passes its items on silently.
"""

from __future__ import annotations

import json
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []


@register("iza.eventTrigger")
def event_trigger(ctx: NodeContext) -> Outputs:
    """Emits the domain event that started the run (a manual run: one empty item)."""
    return [ctx.items or [{"json": {}}]]


def _headers(ctx: NodeContext) -> dict[str, str]:
    entries = (ctx.param("options.responseHeaders", default={}) or {}).get("entries") or []
    return {str(e.get("name")): str(e.get("value", "")) for e in entries if e.get("name")}


def _body(ctx: NodeContext, respond_with: str) -> tuple[str, Any, int]:
    """(kind, body, default status) of the answer."""
    items = ctx.items
    if respond_with == "allIncomingItems":
        body: Any = [i.get("json", {}) for i in items]
        key = ctx.param("options.responseKey", default="")
        return "json", ({str(key): body} if key else body), 200
    if respond_with == "firstIncomingItem":
        first = items[0].get("json", {}) if items else {}
        key = ctx.param("options.responseKey", default="")
        return "json", ({str(key): first} if key else first), 200
    if respond_with == "json":
        raw = ctx.param("responseBody", default="")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw) if raw.strip() else {}
            except ValueError as exc:
                raise ctx.fail(f"the response body is not valid JSON: {exc}",
                               fix="Fix 'Response Body', or respond with text instead.") from exc
        return "json", raw, 200
    if respond_with == "text":
        return "text", str(ctx.param("responseBody", default="")), 200
    if respond_with == "noData":
        return "empty", None, 200
    if respond_with == "redirect":
        return "redirect", str(ctx.param("redirectURL", default="")), 307
    if respond_with == "binary":
        prop = str(ctx.param("inputFieldName", default="data") or "data")
        binary = (items[0].get("binary") or {}).get(prop) if items else None
        if not isinstance(binary, dict) or "data" not in binary:
            raise ctx.fail(f"no binary property {prop!r} on the first item",
                           fix="Name the binary property that holds the file to send.")
        return "binary", binary, 200
    raise NodeError(ctx.node.name, f"responding with {respond_with!r} is not supported by IZA",
                    fix="Respond with all/first incoming items, JSON, text, binary, a redirect or no data.")


@register("respondToWebhook")
def respond_to_webhook(ctx: NodeContext) -> Outputs:
    default = "allIncomingItems" if ctx.version >= 1.1 else "firstIncomingItem"
    respond_with = str(ctx.param("respondWith", default=default) or default)
    kind, body, status = _body(ctx, respond_with)
    headers = _headers(ctx)
    if kind == "redirect":
        headers["Location"] = str(body)
        body = None
    if kind == "binary":
        headers.setdefault("Content-Type", str(body.get("mimeType") or "application/octet-stream"))
        body = str(body["data"])  # base64, decoded by the HTTP layer
    code = ctx.param("options.responseCode", default=status)
    response = {"status": int(code or status), "headers": headers, "kind": kind, "body": body,
                "node": ctx.node.name}
    execution = ctx.execution
    if execution.webhook_response is None:
        execution.webhook_response = response
        if execution.on_webhook_response is not None:
            execution.on_webhook_response(response)
    return [ctx.items]
