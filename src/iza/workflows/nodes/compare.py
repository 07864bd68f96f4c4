"""Compare Datasets: match items of input A and B by key fields and route them to four outputs —
in A only, same, different, in B only."""

from __future__ import annotations

import json
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_string, set_path, unset_path

__all__: list[str] = []

Item = dict[str, Any]


def _strict_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _falsy(v: Any) -> bool:
    return v is None or v is UNDEFINED or v == "" or v == []


def _fuzzy_equal(a: Any, b: Any) -> bool:
    def kind(v: Any) -> str:
        if v is None or v is UNDEFINED:
            return "null"
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int | float):
            return "number"
        if isinstance(v, str):
            return "string"
        return "object"

    ka, kb = kind(a), kind(b)
    if ka != "null" and kb != "null" and ka == kb:
        return _strict_equal(a, b)
    if _falsy(a) and _falsy(b):
        return True
    if {ka, kb} == {"number", "string"}:
        return bool(js_string(a) == js_string(b))
    if {ka, kb} == {"object", "string"}:
        s, o = (a, b) if ka == "string" else (b, a)
        try:
            return _strict_equal(json.loads(s), o)
        except ValueError:
            return False
    if {ka, kb} == {"boolean", "string"}:
        bo, s = (a, b) if ka == "boolean" else (b, a)
        return bool(s.lower() == ("true" if bo else "false") or s == ("1" if bo else "0"))
    if {ka, kb} == {"boolean", "number"}:
        bo, n = (a, b) if ka == "boolean" else (b, a)
        return bool(n == (1 if bo else 0))
    return _strict_equal(a, b)


def _js_or_null(v: Any) -> Any:
    """JavaScript ``v || null``."""
    if v is None or v is UNDEFINED or v is False or v == "" or (isinstance(v, int | float) and v == 0):
        return None
    return v


def _compare_items(
    i1: Item,
    i2: Item,
    pairs: list[dict[str, Any]],
    resolve: str,
    skip: list[str],
    eq: Any,
    labels: tuple[str, str],
) -> Item:
    j1, j2 = i1.get("json") or {}, i2.get("json") or {}
    keys = {p["field1"]: j1.get(p["field1"]) for p in pairs}
    same = {k: j1[k] for k in j1 if k in j2 and eq(j1[k], j2[k])}
    union = list(j1) + [k for k in j2 if k not in j1]
    different: dict[str, Any] = {}
    skipped: dict[str, Any] = {}
    for k in union:
        if k in same:
            continue
        a = _js_or_null(j1.get(k))
        b = _js_or_null(j2.get(k))
        if resolve == "preferInput1":
            different[k] = a
        elif resolve == "preferInput2":
            different[k] = b
        elif k in skip:
            skipped[k] = {labels[0]: a, labels[1]: b}
        else:
            different[k] = {labels[0]: a, labels[1]: b}
    out: dict[str, Any] = {"keys": keys, "same": same, "different": different}
    if skipped:
        out["skipped"] = skipped
    return {"json": out}


def _combine(i1: Item, i2: Item, prefer: str, except_: Any, dot: bool) -> Item:
    entry, match = (fast_copy(i1), i2) if prefer == "input1" else (fast_copy(i2), i1)
    fields = (
        except_
        if isinstance(except_, list)
        else [f.strip() for f in str(except_ or "").split(",") if f.strip()]
    )
    for f in fields:
        value = get_path(match.get("json") or {}, f, None, dot) or None
        set_path(entry["json"], f, value, dot)
    return {"json": entry["json"]}


@register("compareDatasets")
def compare_datasets(ctx: NodeContext) -> Outputs:  # noqa: C901  (mirrors n8n's matching rules)
    inputs = ctx.inputs + [[] for _ in range(max(0, 2 - len(ctx.inputs)))]
    in1 = [i for i in inputs[0] if i.get("json")]
    in2 = [i for i in inputs[1] if i.get("json")]
    pairs = ctx.param("mergeByFields.values", 0, []) or []
    for idx, p in enumerate(pairs):
        if not p.get("field1") or not p.get("field2"):
            raise NodeError(
                ctx.node.name, f'You need to define both fields in "Fields to Match" for pair {idx + 1}'
            )
    options = dict(ctx.param("options", 0, {}) or {})
    resolve = ctx.param("resolve", 0, "includeBoth")
    fuzzy = bool(options.get("fuzzyCompare") or ctx.param("fuzzyCompare", 0, False))
    dot = not options.get("disableDotNotation")
    skip_raw = options.get("skipFields", "")
    skip = (
        skip_raw
        if isinstance(skip_raw, list)
        else [f.strip() for f in str(skip_raw or "").split(",") if f.strip()]
    )
    multiple = options.get("multipleMatches") or "first"
    eq = _fuzzy_equal if fuzzy else _strict_equal
    for label, items, key in (
        (("Input A", in1, "field1"), ("Input B", in2, "field2")) if ctx.version < 2.1 else ()
    ):
        for p in pairs:
            if items and not any(
                get_path(it.get("json") or {}, str(p[key]), UNDEFINED, dot) is not UNDEFINED for it in items
            ):
                raise NodeError(
                    ctx.node.name, f"Field '{p[key]}' is not present in any of items in '{label}'"
                )
    only1: list[Item] = []
    only2: list[Item] = []
    same: list[Item] = []
    different: list[Item] = []
    used: set[int] = set()
    for e1 in in1:
        lookup = {
            p["field2"]: get_path(e1.get("json") or {}, str(p["field1"]), UNDEFINED, dot) for p in pairs
        }
        if any(v is UNDEFINED for v in lookup.values()):
            only1.append(e1)
            continue
        found = []
        for j, e2 in enumerate(in2):
            if all(eq(v, get_path(e2.get("json") or {}, k, UNDEFINED, dot)) for k, v in lookup.items()):
                found.append(j)
                if multiple != "all":
                    break
        used.update(found)
        if not found:
            only1.append(e1)
            continue
        copy_entry: Item | None = None
        for j in found:
            e2 = in2[j]
            a = fast_copy(e1.get("json") or {})
            b = fast_copy(e2.get("json") or {})
            for f in skip:
                unset_path(a, f, dot)
                unset_path(b, f, dot)
            equal = all(eq(a[k], b.get(k, UNDEFINED)) for k in a) if fuzzy else _strict_equal(a, b)
            if equal:
                if copy_entry is None:
                    copy_entry = e2 if fuzzy and resolve == "preferInput2" else e1
            elif resolve == "preferInput1":
                different.append(e1)
            elif resolve == "preferInput2":
                different.append(e2)
            elif resolve == "mix":
                different.append(
                    _combine(
                        e1, e2, options.get("preferWhenMix", "input1"), options.get("exceptWhenMix", ""), dot
                    )
                )
            else:
                labels = ("input1", "input2") if ctx.version < 2 else ("inputA", "inputB")
                different.append(_compare_items(e1, e2, pairs, resolve, skip, eq, labels))
        if copy_entry is not None and copy_entry.get("json"):
            same.append(copy_entry)
    for j, e2 in enumerate(in2):
        if j not in used:
            only2.append(e2)
    return [only1, same, different, only2]
