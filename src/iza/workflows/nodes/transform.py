"""List transforms: Aggregate, Split Out, Remove Duplicates, Sort, Limit, Summarize, Rename Keys,
and the legacy Item Lists node that bundles them (operation parameter)."""

from __future__ import annotations

import json
import math
from functools import cmp_to_key
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_number, js_string, set_path, unset_path

__all__: list[str] = []

Item = dict[str, Any]


def _names(value: Any) -> list[str]:
    """Field lists come as "a, b", ["a"] or {fields: [{fieldName}]} depending on the version."""
    if isinstance(value, dict):
        return [str(f.get("fieldName")) for f in value.get("fields", []) if f.get("fieldName") is not None]
    if isinstance(value, list):
        return [str(x).strip() for x in value if str(x).strip()]
    return [x.strip() for x in js_string(value).split(",") if x.strip()] if value not in (None, "") else []


def _dot(ctx: NodeContext) -> bool:
    return not ctx.param("options.disableDotNotation", 0, False)


def _missing_field(ctx: NodeContext, field: str) -> NodeError:
    return NodeError(
        ctx.node.name,
        f"The field '{field}' wasn't found in any input item",
        fix="Check the field name, or enable 'Continue If Field Not Found'.",
    )


# ---- Aggregate ----------------------------------------------------------------------------------
@register("aggregate")
def aggregate(ctx: NodeContext) -> Outputs:
    dot = _dot(ctx)
    items = ctx.items
    if ctx.param("aggregate", 0, "aggregateIndividualFields") == "aggregateAllItemData":
        include = ctx.param("include", 0, "allFields")
        dest = ctx.param("destinationFieldName", 0, "data")
        data = []
        for it in items:
            js = it.get("json") or {}
            if include == "specifiedFields":
                keep: dict[str, Any] = {}
                for f in _names(ctx.param("fieldsToInclude", 0, "")):
                    v = get_path(js, f, UNDEFINED, dot)
                    if v is not UNDEFINED:
                        set_path(keep, f, v, dot)
                js = keep
            elif include == "allFieldsExcept":
                js = fast_copy(js)
                for f in _names(ctx.param("fieldsToExclude", 0, "")):
                    unset_path(js, f, dot)
            data.append(js)
        return [[{"json": {dest: data}}]] if items else [[]]
    out: dict[str, Any] = {}
    keep_missing = bool(ctx.param("options.keepMissing", 0, False))
    merge_lists = bool(ctx.param("options.mergeLists", 0, False))
    fields = ctx.param("fieldsToAggregate.fieldToAggregate", 0, []) or []
    found_any = {str(f.get("fieldToAggregate", "")): False for f in fields}
    for f in fields:
        name = str(f.get("fieldToAggregate", ""))
        target = str(f.get("outputFieldName") or name) if f.get("renameField") else name
        values: list[Any] = []
        for it in items:
            v = get_path(it.get("json") or {}, name, UNDEFINED, dot)
            if v is UNDEFINED:
                if keep_missing:
                    values.append(None)
                continue
            found_any[name] = True
            if v is None and not keep_missing and ctx.version < 2:
                continue
            if merge_lists and isinstance(v, list):
                values.extend(v)
            else:
                values.append(v)
        out[target] = values
    strict = ctx.version >= 3 if ctx.node.kind == "itemLists" else ctx.version >= 2
    if strict and fields and not any(found_any.values()) and items:
        missing = next(iter(found_any))
        raise _missing_field(ctx, missing)
    return [[{"json": out}]] if items else [[]]


# ---- Split Out ----------------------------------------------------------------------------------
@register("splitOut")
def split_out(ctx: NodeContext) -> Outputs:  # noqa: C901  (one branch per n8n mode)
    dot = _dot(ctx)
    out: list[Item] = []
    for i, it in enumerate(ctx.items):
        js = it.get("json") or {}
        fields = _names(ctx.param("fieldToSplitOut", i, ""))
        dests = _names(ctx.param("options.destinationFieldName", i, ""))
        include = ctx.param("include", i, "noOtherFields")
        columns: list[tuple[str, list[Any]]] = []
        passthrough = False
        for f in fields:
            v = get_path(js, f, UNDEFINED, dot)
            if v is UNDEFINED:
                continue
            if v is None and len(fields) == 1:
                columns = []
                passthrough = True
                break
            if isinstance(v, dict):
                v = list(v.values()) if ctx.version < 3 or True else [v]
            elif not isinstance(v, list):
                v = [v]
            columns.append((f, v))
        if not columns:
            if passthrough or (ctx.version < 2.1 and ctx.node.kind == "itemLists"):
                out.append({**it, "pairedItem": {"item": i}})  # older Item Lists pass the item on
            continue
        n = max(len(c[1]) for c in columns)
        for k in range(n):
            new: dict[str, Any] = {}
            if include == "allOtherFields":
                new = fast_copy(js)
                for f, _ in columns:
                    unset_path(new, f, dot)
            elif include == "selectedOtherFields":
                for f in _names(ctx.param("fieldsToInclude", i, "")):
                    v = get_path(js, f, UNDEFINED, dot)
                    if v is not UNDEFINED:
                        new[f] = fast_copy(v)
            for idx, (f, values) in enumerate(columns):
                if k >= len(values):
                    continue
                value = values[k]
                dest = dests[idx] if idx < len(dests) else None
                if (
                    dest is None
                    and isinstance(value, dict)
                    and include == "noOtherFields"
                    and len(columns) == 1
                ):
                    new.update(fast_copy(value))
                    continue
                key = dest or (f.split(".")[-1] if dot else f)
                new[key] = fast_copy(value)
            res: Item = {"json": new, "pairedItem": {"item": i}}
            if it.get("binary") and ctx.param("options.includeBinary", i, False):
                res["binary"] = it["binary"]
            out.append(res)
    return [out]


# ---- Remove Duplicates ----------------------------------------------------------------------------
def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


@register("removeDuplicates")
def remove_duplicates(ctx: NodeContext) -> Outputs:
    dot = _dot(ctx)
    compare = ctx.param("compare", 0, "allFields")
    items = ctx.items
    if compare == "allFields":
        keys = sorted({k for it in items for k in (it.get("json") or {})})
    elif compare == "allFieldsExcept":
        excluded = _names(ctx.param("fieldsToExclude", 0, ""))
        if not excluded:
            raise NodeError(
                ctx.node.name, "No fields specified. Please add a field to exclude from comparison"
            )
        keys = sorted(
            {
                k
                for it in items
                for k in _flat_keys(it.get("json") or {}, dot)
                if not any(k == e or k.startswith(e + ".") for e in excluded)
            }
        )
    else:
        keys = _names(ctx.param("fieldsToCompare", 0, ""))
        if not keys:
            raise NodeError(ctx.node.name, "No fields specified. Please add a field to compare on")
        if ctx.version >= 2:
            for k in keys:
                if not any(
                    get_path(it.get("json") or {}, k, UNDEFINED, dot) is not UNDEFINED for it in items
                ):
                    raise NodeError(ctx.node.name, f"'{k}' field is missing from some input items")
    remove_other = bool(ctx.param("options.removeOtherFields", 0, False))
    seen: set[str] = set()
    out = []
    for i, it in enumerate(items):
        js = it.get("json") or {}
        values = {k: get_path(js, k, None, dot) for k in keys}
        sig = _key(values)
        if sig in seen:
            continue
        seen.add(sig)
        if remove_other and compare != "allFields":
            new: dict[str, Any] = {}
            for k, v in values.items():
                set_path(new, k, v, dot)
            out.append({"json": new, "pairedItem": {"item": i}})
        else:
            out.append({**it, "pairedItem": {"item": i}})
    return [out]


def _flat_keys(obj: dict[str, Any], dot: bool, prefix: str = "") -> list[str]:
    keys = []
    for k, v in obj.items():
        path = f"{prefix}{k}"
        if dot and isinstance(v, dict) and v:
            keys.extend(_flat_keys(v, dot, path + "."))
        else:
            keys.append(path)
    return keys


# ---- Sort / Limit -----------------------------------------------------------------------------------
def _cmp(a: Any, b: Any) -> int:
    # Missing values sort after present ones.
    if a is UNDEFINED or a is None:
        return 0 if (b is UNDEFINED or b is None) else 1
    if b is UNDEFINED or b is None:
        return -1
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    sa, sb = js_string(a), js_string(b)
    return (sa > sb) - (sa < sb)


@register("sort")
def sort_node(ctx: NodeContext) -> Outputs:
    items = [dict(it, pairedItem={"item": i}) for i, it in enumerate(ctx.items)]
    kind = ctx.param("type", 0, "simple")
    if kind == "random":
        import random

        random.shuffle(items)
        return [items]
    if kind == "code":
        code = str(ctx.raw_param("code", ""))
        res = ctx.execution.box.run_code(
            {
                "node": ctx.node.name,
                "mode": "all",
                "items": items,
                "runIndex": ctx.run_index,
                "source": ctx.source,
                "async": False,
                "code": "var __f = function(a, b) {\n"
                + code
                + "\n};\nreturn items.map(function(_, i) { return i; })"
                ".sort(function(x, y) { return __f(items[x], items[y]); });",
            }
        )
        if res.get("error"):
            raise NodeError(ctx.node.name, f"Sort code failed: {res['error'].get('message')}")
        order = (res.get("result") or [[]])[0] or []
        return [[items[i] for i in order]]
    dot = _dot(ctx)
    fields = ctx.param("sortFieldsUi.sortField", 0, []) or []
    if not fields:
        raise NodeError(ctx.node.name, "No sorting specified. Please add a field to sort by")

    def compare(x: Item, y: Item) -> int:
        for f in fields:
            name = str(f.get("fieldName", ""))
            desc = f.get("order", "ascending") == "descending"
            c = _cmp(
                get_path(x.get("json") or {}, name, UNDEFINED, dot),
                get_path(y.get("json") or {}, name, UNDEFINED, dot),
            )
            if c:
                return -c if desc else c
        return 0

    return [sorted(items, key=cmp_to_key(compare))]


# ---- Summarize -------------------------------------------------------------------------------------
_PREFIX = {
    "append": "appended",
    "average": "average",
    "concatenate": "concatenated",
    "count": "count",
    "countUnique": "unique_count",
    "max": "max",
    "min": "min",
    "sum": "sum",
}


def _agg_name(agg: str, field: str) -> str:
    return f"{_PREFIX.get(agg, agg)}_{field}"


def _aggregate(agg: str, values: list[Any], entry: dict[str, Any], include_empty: bool) -> Any:  # noqa: C901  (one branch per n8n mode)
    def empty(v: Any) -> bool:
        return v is UNDEFINED or v is None or v == ""

    vals = list(values) if include_empty else [v for v in values if not empty(v)]
    if agg == "count":
        return len(vals)
    if agg == "countUnique":
        return len({_key(v) for v in vals})
    if agg == "append":
        if entry.get("appendUnique"):
            seen: set[str] = set()
            out = []
            for v in vals:
                if _key(v) not in seen:
                    seen.add(_key(v))
                    out.append(v)
            return out
        return vals
    if agg == "concatenate":
        sep = entry.get("separateBy", ",")
        if sep == "other":
            sep = entry.get("customSeparator", "")
        sep = {"\\n": "\n"}.get(sep, sep)
        return sep.join(
            json.dumps(v, separators=(",", ":")) if isinstance(v, dict | list) else js_string(v) for v in vals
        )
    nums = [v for v in vals if isinstance(v, int | float) and not isinstance(v, bool)]
    if agg == "sum":
        return sum(nums)
    if agg == "average":
        return sum(nums) / len(nums) if nums else None
    if agg in ("min", "max"):
        if not vals:
            return None
        if nums and len(nums) == len(vals):
            return min(nums) if agg == "min" else max(nums)
        try:
            return min(vals) if agg == "min" else max(vals)
        except TypeError:
            return None
    return None


@register("summarize")
def summarize(ctx: NodeContext) -> Outputs:
    dot = _dot(ctx)
    entries = ctx.param("fieldsToSummarize.values", 0, []) or []
    split_by = _names(ctx.param("fieldsToSplitBy", 0, ""))
    items = ctx.items
    cont = bool(ctx.param("options.continueIfFieldNotFound", 0, False))
    for e in entries:
        f = str(e.get("field", ""))
        if items and not any(
            get_path(it.get("json") or {}, f, UNDEFINED, dot) is not UNDEFINED for it in items
        ):
            lenient = ctx.version >= 1.1 if ctx.node.kind == "summarize" else 2.1 <= ctx.version < 3
            if not cont and not lenient:
                raise NodeError(
                    ctx.node.name,
                    f"The field '{f}' does not exist in any items",
                    fix="Check the field name, or enable 'Continue if Field Not Found'.",
                    whole_node=ctx.node.kind == "itemLists",
                )
    groups: dict[str, tuple[list[Any], list[int]]] = {}
    for i, it in enumerate(items):
        js = it.get("json") or {}
        key_vals = [get_path(js, f, UNDEFINED, dot) for f in split_by]
        k = _key([None if v is UNDEFINED else v for v in key_vals])
        groups.setdefault(k, (key_vals, []))[1].append(i)
    out: list[Item] = []
    fmt = ctx.param("options.outputFormat", 0, "separateItems" if split_by else "singleItem")
    single: dict[str, Any] = {}
    # Groups nest by split field (as n8n builds them): order by first appearance, level by level.
    first_seen: dict[str, int] = {}
    for key_vals, idxs in groups.values():
        for level in range(1, len(key_vals) + 1):
            first_seen.setdefault(_key([None if v is UNDEFINED else v for v in key_vals[:level]]), idxs[0])

    def order(entry: tuple[list[Any], list[int]]) -> list[int]:
        kv = [None if v is UNDEFINED else v for v in entry[0]]
        return [first_seen[_key(kv[:level])] for level in range(1, len(kv) + 1)]

    for key_vals, idxs in sorted(groups.values(), key=order):
        row: dict[str, Any] = {}
        for f, v in zip(split_by, key_vals, strict=True):
            row[f] = None if v is UNDEFINED else v
            if ctx.node.kind == "summarize" and ctx.version < 1.1:
                row[f] = js_string(row[f])
        for e in entries:
            agg = str(e.get("aggregation", "count"))
            f = str(e.get("field", ""))
            values = [get_path(items[i].get("json") or {}, f, UNDEFINED, dot) for i in idxs]
            name = _agg_name(agg, f.replace(".", "_"))
            row[name] = _aggregate(agg, values, e, bool(e.get("includeEmpty")))
        if fmt == "singleItem" and split_by:
            cur = single
            for v in key_vals[:-1]:
                cur = cur.setdefault(js_string(v), {})
            cur[js_string(key_vals[-1])] = {k: v for k, v in row.items() if k not in split_by}
        else:
            out.append({"json": row})
    if fmt == "singleItem" and split_by:
        return [[{"json": single}]]
    return [out]


# ---- Rename Keys -----------------------------------------------------------------------------------
@register("renameKeys")
def rename_keys(ctx: NodeContext) -> Outputs:
    import re

    out = []
    for i, it in enumerate(ctx.items):
        js = fast_copy(it.get("json") or {})
        for pair in ctx.param("keys.key", i, []) or []:
            cur, new = pair.get("currentKey"), pair.get("newKey")
            if cur is None or cur is UNDEFINED or new in (None, UNDEFINED, ""):
                continue
            value = get_path(js, str(cur), UNDEFINED)
            if value is UNDEFINED:
                continue
            set_path(js, js_string(new), value)
            unset_path(js, str(cur))
        for rep in ctx.param("additionalOptions.regexReplacement.replacements", i, []) or []:
            opts = rep.get("options") or {}
            flags = re.I if opts.get("caseInsensitive") else 0
            pattern = re.compile(str(rep.get("searchRegex", "")), flags)
            depth = int(opts.get("depth", -1))
            js = _rename_regex(js, pattern, str(rep.get("replaceRegex", "")), depth)
        out.append({"json": js, "pairedItem": {"item": i}})
    return [out]


def _rename_regex(obj: Any, pattern: Any, repl: str, depth: int, level: int = 0) -> Any:
    if not isinstance(obj, dict) or (depth != -1 and level > depth):
        return obj
    return {
        pattern.sub(repl.replace("$", "\\"), k): _rename_regex(v, pattern, repl, depth, level + 1)
        for k, v in obj.items()
    }


# ---- Item Lists (legacy bundle) --------------------------------------------------------------------
def _item_lists_v2_checks(ctx: NodeContext, op: str) -> None:
    """Item Lists 2.0 fails as a whole when a field is missing everywhere (2.1 carries on)."""
    dot = _dot(ctx)
    if op == "splitOutItems":
        for i, it in enumerate(ctx.items):
            f = js_string(ctx.param("fieldToSplitOut", i, ""))
            if get_path(it.get("json") or {}, f, UNDEFINED, dot) is UNDEFINED:
                raise NodeError(ctx.node.name, f"Couldn't find the field '{f}' in the input data",
                                fix="Check the field name.", whole_node=True)
    elif op == "aggregateItems" and ctx.param("aggregate", 0, "") != "aggregateAllItemData":
        if ctx.param("options.keepMissing", 0, False):
            return
        for entry in ctx.param("fieldsToAggregate.fieldToAggregate", 0, []) or []:
            f = str(entry.get("fieldToAggregate", ""))
            values = (get_path(it.get("json") or {}, f, UNDEFINED, dot) for it in ctx.items)
            if all(v is UNDEFINED for v in values):
                raise NodeError(ctx.node.name, f"Couldn't find the field '{f}' in the input data",
                                fix="Check the field name.", whole_node=True)


@register("itemLists")
def item_lists(ctx: NodeContext) -> Outputs:
    op = ctx.param("operation", 0, "splitOutItems")
    if 2 <= ctx.version < 2.1:
        _item_lists_v2_checks(ctx, op)
    if op in ("aggregateItems", "concatenateItems"):
        return aggregate(ctx)
    if op == "splitOutItems":
        return split_out(ctx)
    if op == "removeDuplicates":
        return remove_duplicates(ctx)
    if op == "sort":
        return sort_node(ctx)
    if op == "limit":
        from iza.workflows.nodes.core import limit

        return limit(ctx)
    if op == "summarize":
        return summarize(ctx)
    raise NodeError(ctx.node.name, f"Item Lists operation {op!r} is not supported")


_unused = (math, js_number)
