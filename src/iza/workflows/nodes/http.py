"""HTTP Request node (v1–v4 core parameters) over httpx: method, URL, query, headers, JSON/form body.

Credentials-based authentication is not implemented (n8n credentials are not imported); a request
that needs them fails with the server's status like any other HTTP error.
"""

from __future__ import annotations

import json
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []


def _pairs(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        value = value.get("parameters") or value.get("parameter") or []
    return {str(p.get("name")): p.get("value") for p in value or [] if p.get("name")}


def _request(ctx: NodeContext, i: int) -> dict[str, Any]:
    v1 = ctx.version < 3
    method = str(ctx.param("method" if not v1 else "requestMethod", i, "GET")).upper()
    url = str(ctx.param("url", i, ""))
    if not url:
        raise NodeError(ctx.node.name, "The URL parameter is empty", fix="Set the URL to request.")
    params: dict[str, Any] = {}
    headers: dict[str, Any] = {}
    body: dict[str, Any] = {}
    if v1:
        params = _pairs(ctx.param("queryParametersUi", i, {}))
        headers = _pairs(ctx.param("headerParametersUi", i, {}))
        if ctx.param("jsonParameters", i, False):
            raw = ctx.param("bodyParametersJson", i, "")
            if raw:
                body["json"] = json.loads(raw) if isinstance(raw, str) else raw
        else:
            form = _pairs(ctx.param("bodyParametersUi", i, {}))
            if form:
                body["json"] = form
    else:
        if ctx.param("sendQuery", i, False):
            params = _pairs(ctx.param("queryParameters", i, {}))
        if ctx.param("sendHeaders", i, False):
            headers = _pairs(ctx.param("headerParameters", i, {}))
        if ctx.param("sendBody", i, False):
            ctype = ctx.param("contentType", i, "json")
            if ctx.param("specifyBody", i, "keypair") == "json":
                raw = ctx.param("jsonBody", i, "")
                body["json"] = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw
            elif ctype in ("form-urlencoded", "multipart-form-data"):
                body["data"] = _pairs(ctx.param("bodyParameters", i, {}))
            elif ctype == "raw":
                body["content"] = str(ctx.param("body", i, ""))
            else:
                body["json"] = _pairs(ctx.param("bodyParameters", i, {}))
    timeout = ctx.param("options.timeout", i, 300000)
    return {"method": method, "url": url, "params": params or None,
            "headers": {k: str(v) for k, v in headers.items()} or None, "body": body,
            "timeout": float(timeout) / 1000 if timeout else 300.0,
            "full": bool(ctx.param("options.response.response.fullResponse", i, False)
                         or ctx.param("options.fullResponse", i, False))}


@register("httpRequest")
def http_request(ctx: NodeContext) -> Outputs:
    import httpx

    out: list[dict[str, Any]] = []
    with httpx.Client(follow_redirects=True) as client:
        for i in range(len(ctx.items)):
            req = _request(ctx, i)
            try:
                resp = client.request(req["method"], req["url"], params=req["params"], headers=req["headers"],
                                      timeout=req["timeout"], **req["body"])
            except httpx.HTTPError as exc:
                raise NodeError(ctx.node.name, f"request to {req['url']} failed: {exc}",
                                fix="Check the URL and that the server is reachable.") from exc
            if resp.status_code >= 400:
                raise NodeError(ctx.node.name, f"{resp.status_code} - {resp.text[:300]}",
                                name="NodeApiError", fix="Check the request; the server refused it.")
            try:
                data: Any = resp.json()
            except ValueError:
                data = {"data": resp.text}
            if req["full"]:
                data = {"body": data, "headers": dict(resp.headers), "statusCode": resp.status_code,
                        "statusMessage": resp.reason_phrase}
            rows = data if isinstance(data, list) else [data]
            out.extend({"json": r if isinstance(r, dict) else {"data": r}, "pairedItem": {"item": i}}
                       for r in rows)
    return [out]
