"""Code, Function and Function Item nodes: user JavaScript in the V8 sandbox.

The result rules follow n8n's Code node: "run once for all items" returns an array of items (or
of plain objects, which are wrapped as ``{json: …}``) or a single object; "run once for each
item" returns one item per call. Errors name the node and the line of user code.
"""

from __future__ import annotations

import re
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []

_AWAIT = re.compile(r"\bawait\b")


def _run(ctx: NodeContext, code: str, mode: str, legacy: str | None = None) -> list[Any]:
    execution = ctx.execution
    res = execution.box.run_code(
        {
            "node": ctx.node.name,
            "code": code,
            "mode": mode,
            "legacy": legacy,
            "items": ctx.items,
            "runIndex": ctx.run_index,
            "source": ctx.source,
            "async": bool(_AWAIT.search(code)),
        },
        timeout_s=execution.code_timeout_s,
    )
    err = res.get("error")
    if err:
        line = err.get("line")
        msg = err.get("message") or "Unknown error"
        if line is not None and line > 0 and not err.get("syntax"):
            msg = f"{msg} [line {line}]"
        raise NodeError(
            ctx.node.name,
            msg,
            line=line,
            description=err.get("description"),
            name=err.get("name") or "Error",
            fix="Fix the JavaScript in this node; the line number counts from the first line of the code.",
        )
    result = res.get("result")
    return list(result) if isinstance(result, list) else []


def _is_obj(v: Any) -> bool:
    return isinstance(v, dict)


def _wrap_all(ctx: NodeContext, value: Any) -> list[dict[str, Any]]:
    if value is None or value == []:
        return []
    if _is_obj(value):
        value = [value]
    if not isinstance(value, list):
        raise NodeError(
            ctx.node.name,
            "Code doesn't return items properly",
            description="Please return an array of objects, one for each item you would like to output.",
        )
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        out.append(_wrap_one(ctx, item, i))
    return out


_ITEM_KEYS = {"json", "binary", "pairedItem", "error", "index"}


def _wrap_one(ctx: NodeContext, item: Any, index: int) -> dict[str, Any]:
    if not _is_obj(item):
        raise NodeError(
            ctx.node.name,
            f"Code doesn't return an object [item {index}]",
            description="Return an object with a 'json' key for each item.",
        )
    if "json" in item:
        if not _is_obj(item["json"]):
            raise NodeError(
                ctx.node.name,
                f"A 'json' property isn't an object [item {index}]",
                description="In the returned data, every key named 'json' must point to an object.",
            )
        out = {"json": item["json"]}
        if item.get("binary"):
            out["binary"] = item["binary"]
        if "pairedItem" in item:
            out["pairedItem"] = item["pairedItem"]
        return out
    return {"json": item}


@register("code")
def code_node(ctx: NodeContext) -> Outputs:
    language = ctx.raw_param("language", "javaScript")
    if language not in ("javaScript", None):
        raise NodeError(
            ctx.node.name,
            f"Code node language {language!r} is not supported",
            fix="Use JavaScript; Python code nodes are not supported by IZA yet.",
        )
    mode = ctx.raw_param("mode", "runOnceForAllItems")
    code = str(ctx.raw_param("jsCode", "") or "")
    if mode == "runOnceForEachItem":
        results = _run(ctx, code, "each")
        out = []
        for i, r in enumerate(results):
            if r is None:
                continue
            if isinstance(r, list):
                raise NodeError(
                    ctx.node.name,
                    f"Code doesn't return a single object [item {i}]",
                    description="An array of objects was returned. If you need to output "
                    "multiple items, please use the 'Run Once for All Items' mode "
                    "instead.",
                )
            item = _wrap_one(ctx, r, i)
            item.setdefault("pairedItem", {"item": i})
            out.append(item)
        return [out]
    results = _run(ctx, code, "all")
    return [_wrap_all(ctx, results[0] if results else None)]


@register("function")
def function_node(ctx: NodeContext) -> Outputs:
    code = str(ctx.raw_param("functionCode", "return items;") or "")
    results = _run(ctx, code, "all", legacy="function")
    value = results[0] if results else None
    return [_wrap_all(ctx, value)]


@register("functionItem")
def function_item_node(ctx: NodeContext) -> Outputs:
    code = str(ctx.raw_param("functionCode", "return item;") or "")
    results = _run(ctx, code, "each", legacy="functionItem")
    out = []
    for i, r in enumerate(results):
        if isinstance(r, dict) and "json" in r and _is_obj(r["json"]):
            r = r["json"]
        out.append({"json": r if _is_obj(r) else {}, "pairedItem": {"item": i}})
    return [out]
