"""Set / Edit Fields, every version: v1–v2 typed value lists, v3.0–3.2 fields, v3.3+ assignments.

Type conversion follows n8n's field validation: strings accept anything (objects become JSON),
numbers need ``Number(x)`` to be finite, booleans accept true/false/1/0, arrays and objects
accept JSON text. With ``ignoreConversionErrors`` a value that does not convert is kept as is.
"""

from __future__ import annotations

import json
import math
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_number, js_string, set_path, to_json_text, unset_path

__all__ = ["convert_field"]


class _Invalid(Exception):
    pass


def convert_field(name: str, value: Any, type_: str) -> Any:
    """Convert ``value`` to n8n field type ``type_``; raises ``ValueError`` with n8n's message."""
    if value is None or value is UNDEFINED:
        return None
    if type_ == "string":
        return to_json_text(value) if isinstance(value, dict | list) else js_string(value)
    if type_ == "number":
        if isinstance(value, bool):
            return 1 if value else 0
        n = js_number(value) if not isinstance(value, dict) else math.nan
        if isinstance(n, float) and (math.isnan(n) or math.isinf(n)):
            raise ValueError(f"'{name}' expects a number but we got '{_show(value)}'")
        return n
    if type_ == "boolean":
        if isinstance(value, bool):
            return value
        s = js_string(value).strip().lower()
        if s in ("true", "1"):
            return True
        if s in ("false", "0"):
            return False
        raise ValueError(f"'{name}' expects a boolean but we got '{_show(value)}'")
    if type_ in ("array", "object"):
        parsed = value
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = UNDEFINED
        ok = isinstance(parsed, list) if type_ == "array" else isinstance(parsed, dict)
        if not ok:
            raise ValueError(f"'{name}' expects an {type_} but we got '{_show(value)}'")
        return parsed
    return value


def _show(value: Any) -> str:
    return to_json_text(value) if isinstance(value, dict | list) else js_string(value)


def _item_fields(ctx: NodeContext, i: int) -> dict[str, Any]:
    """The new fields for item ``i`` (v3+)."""
    v = ctx.version
    ignore = bool(ctx.param("options.ignoreConversionErrors", i, False))
    out: dict[str, Any] = {}
    if ctx.param("mode", i, "manual") == "raw":
        raw = ctx.param("jsonOutput", i, "{}")
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                raise ctx.fail(f"The item {i + 1} contains invalid JSON", item=i) from exc
        if not isinstance(raw, dict):
            raise ctx.fail(f"'JSON Output' in item {i + 1} is not a valid JSON object", item=i)
        return raw
    if v >= 3.3:
        entries = [
            (a.get("name"), a.get("type", "string"), a.get("value"))
            for a in (ctx.param("assignments.assignments", i, []) or [])
        ]
    else:
        entries = []
        for f in ctx.param("fields.values", i, []) or []:
            t = str(f.get("type") or "stringValue")
            entries.append((f.get("name"), t.replace("Value", ""), f.get(t)))
    for name, type_, value in entries:
        if name is None:
            continue
        name = js_string(name)
        try:
            out[name] = convert_field(name, value, type_)
        except ValueError as exc:
            if ignore:
                out[name] = None if value is UNDEFINED else value
            else:
                raise NodeError(
                    ctx.node.name,
                    str(exc),
                    fix="Change the field type, or enable 'Ignore Type Conversion Errors'.",
                ) from exc
    return out


def _base(ctx: NodeContext, item: dict[str, Any], i: int, dot: bool) -> dict[str, Any]:
    v = ctx.version
    if v >= 3.3:
        include = ctx.param("include", i, "all") if ctx.param("includeOtherFields", i, False) else "none"
    else:
        include = ctx.param("include", i, "all")
    src = item.get("json") or {}
    if include == "all":
        return dict(fast_copy(src))
    if include == "none":
        return {}
    if include == "selected":
        out: dict[str, Any] = {}
        for key in _field_list(ctx.param("includeFields", i, "")):
            value = get_path(src, key, UNDEFINED, dot)
            if value is UNDEFINED:
                continue
            set_path(out, key.split(".")[-1] if dot and "." in key else key, fast_copy(value), dot)
        return out
    if include == "except":
        data: dict[str, Any] = dict(fast_copy(src))
        for key in _field_list(ctx.param("excludeFields", i, "")):
            unset_path(data, key, dot)
        return data
    raise ctx.fail(f'The include option "{include}" is not known!')


def _field_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(x).strip() for x in value if str(x).strip()]
    return [x.strip() for x in str(value or "").split(",") if x.strip()]


def _v3(ctx: NodeContext) -> Outputs:
    out = []
    for i, item in enumerate(ctx.items):
        dot = ctx.param("options.dotNotation", i, True) is not False
        fields = _item_fields(ctx, i)
        new = _base(ctx, item, i, dot)
        for key, value in fields.items():
            set_path(new, key, value, dot)
        res: dict[str, Any] = {"json": new, "pairedItem": {"item": i}}
        strip = (
            ctx.param("options.stripBinary", i, True)
            if ctx.version >= 3.4
            else not ctx.param("options.includeBinary", i, True)
        )
        if item.get("binary") and not strip:
            res["binary"] = item["binary"]
        out.append(res)
    return [out]


def _v1(ctx: NodeContext) -> Outputs:
    out = []
    for i, item in enumerate(ctx.items):
        keep_only = bool(ctx.param("keepOnlySet", i, False))
        dot = ctx.param("options.dotNotation", i, True) is not False
        new = {} if keep_only else fast_copy(item.get("json") or {})
        values = ctx.param("values", i, {}) or {}
        for kind in ("boolean", "number", "string"):
            for entry in values.get(kind, []) or []:
                default = {"boolean": False, "number": 0, "string": ""}[kind]
                value = entry.get("value", default)
                if kind == "boolean":
                    value = bool(value) if value is not UNDEFINED else False
                elif kind == "number" and value is UNDEFINED:
                    value = 0
                elif kind == "number" and ctx.version >= 2 and isinstance(value, str):
                    n = js_number(value)
                    value = n if not (isinstance(n, float) and math.isnan(n)) else value
                elif kind == "string" and value is UNDEFINED:
                    value = ""
                set_path(new, js_string(entry.get("name", "propertyName")), value, dot)
        res: dict[str, Any] = {"json": new, "pairedItem": {"item": i}}
        if item.get("binary") and not keep_only:
            res["binary"] = item["binary"]
        out.append(res)
    return [out]


@register("set")
def set_node(ctx: NodeContext) -> Outputs:
    return _v3(ctx) if ctx.version >= 3 else _v1(ctx)
