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
    """lodash ``isEqual`` for JSON values (1 and 1.0 are equal; true and 1 are not)."""
    if a is UNDEFINED or b is UNDEFINED:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        ka = [k for k in a if a[k] is not UNDEFINED]
        kb = [k for k in b if b[k] is not UNDEFINED]
        return set(ka) == set(kb) and all(_strict_equal(a[k], b[k]) for k in ka)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _typeof(v: Any) -> str:
    """JavaScript ``typeof`` for JSON values (null is "object")."""
    if v is UNDEFINED:
        return "undefined"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "object"


def _falsy(v: Any) -> bool:
    return v is None or v == "" or v == []


def _parse_equal(text: str, other: Any) -> bool:
    try:
        return _strict_equal(json.loads(text), other)
    except ValueError:
        return False


def _fuzzy(version: float) -> Any:
    """n8n's ``fuzzyCompare(true, nodeVersion)``: loose equality across types."""

    def eq(a: Any, b: Any) -> bool:  # noqa: C901  (one rule per type pair, in n8n's order)
        ta, tb = _typeof(a), _typeof(b)
        if a is not None and b is not None and ta == tb:
            return _strict_equal(a, b)
        if version >= 2:
            if a is None and (b is None or b == 0 or b == "0") and not isinstance(b, bool):
                return True
            if b is None and (a is None or a == 0 or a == "0") and not isinstance(a, bool):
                return True
        if _falsy(a) and _falsy(b):
            return True
        if (_falsy(a) and b is UNDEFINED) or (a is UNDEFINED and _falsy(b)):
            return True
        if (ta, tb) in (("number", "string"), ("string", "number")):
            return bool(js_string(a) == js_string(b))
        if a is not None and ta == "object" and tb == "string":
            return _parse_equal(b, a)
        if b is not None and ta == "string" and tb == "object":
            return _parse_equal(a, b)
        for x, y in ((a, b), (b, a)):
            tx, ty = _typeof(x), _typeof(y)
            if tx == "boolean" and ty == "string" and y.lower() == ("true" if x else "false"):
                return True
            if tx == "boolean" and ty == "number" and y == (1 if x else 0):
                return True
            if tx == "boolean" and ty == "string" and y == ("1" if x else "0"):
                return True
        return _strict_equal(a, b)

    return eq


def _js_or_null(v: Any) -> Any:
    """JavaScript ``v || null``."""
    if v is None or v is UNDEFINED or v is False or v == "" or (isinstance(v, int | float) and v == 0):
        return None
    return v


def _compare_items(  # noqa: C901  (mirrors n8n's compareItems)
    i1: Item,
    i2: Item,
    pairs: list[dict[str, Any]],
    opts: dict[str, Any],
    skip: list[str],
    eq: Any,
) -> Item:
    version = float(opts["version"])
    j1, j2 = i1.get("json") or {}, i2.get("json") or {}
    keys = {p["field1"]: j1.get(p["field1"], UNDEFINED) for p in pairs}
    union = list(j1) + [k for k in j2 if k not in j1]
    to_compare = union if opts["fuzzy"] and version >= 2.1 else [k for k in j1 if k in j2]
    same = {k: j1.get(k, UNDEFINED) for k in to_compare if eq(j1.get(k, UNDEFINED), j2.get(k, UNDEFINED))}
    labels = ("input1", "input2") if version < 2 else ("inputA", "inputB")

    def nullish(v: Any) -> Any:
        return (None if v is UNDEFINED else v) if version >= 2 else _js_or_null(v)

    different: dict[str, Any] = {}
    skipped: dict[str, Any] = {}
    for i, k in enumerate(k for k in union if k not in same):
        a, b = nullish(j1.get(k, UNDEFINED)), nullish(j2.get(k, UNDEFINED))
        if opts["resolve"] == "preferInput1":
            different[k] = a
        elif opts["resolve"] == "preferInput2":
            different[k] = b
        elif version >= 2.1 and opts["dot"] and k not in skip:
            nested = [f for f in skip if f.startswith(k) and "." in f]
            a, b = fast_copy(a), fast_copy(b)
            if nested and (not isinstance(a, dict | list) or not isinstance(b, dict | list)):
                raise ValueError(
                    f"The field '{k}' in item {i} is not an object. It is not possible to use dot notation."
                )
            if nested and k not in skipped:
                skipped[k] = {labels[0]: {}, labels[1]: {}}
            for f in nested:
                sub = f.replace(f"{k}.", "", 1)
                set_path(skipped[k][labels[0]], sub, get_path(a, sub, UNDEFINED))
                set_path(skipped[k][labels[1]], sub, get_path(b, sub, UNDEFINED))
                unset_path(a, sub)
                unset_path(b, sub)
            different[k] = {labels[0]: a, labels[1]: b}
        elif k in skip:
            skipped[k] = {labels[0]: a, labels[1]: b}
        else:
            different[k] = {labels[0]: a, labels[1]: b}
    out: dict[str, Any] = {"keys": keys, "same": same, "different": different}
    if skipped:
        out["skipped"] = skipped
    return {"json": out}


def _combine(i1: Item, i2: Item, prefer: str, except_: Any, dot: bool) -> Item:
    """Resolve "mix": one input's version, except the listed fields taken from the other."""
    entry, match = (fast_copy(i1), i2) if prefer == "input1" else (fast_copy(i2), i1)
    if isinstance(except_, list) and except_:
        fields = [str(f) for f in except_]
    else:
        fields = [f.strip() for f in str(except_).split(",")] if except_ else []
    ej, mj = entry["json"], match.get("json") or {}
    for f in fields:
        if f in mj:
            ej[f] = mj[f]
        else:
            ej.pop(f, None)
        if dot:
            set_path(ej, f, _js_or_null(get_path(mj, f, UNDEFINED)))
    return {"json": ej}


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
    # The default changed with version 2 (n8n's parameter default per version).
    resolve = ctx.param("resolve", 0, "preferInput2" if ctx.version < 2 else "includeBoth")
    fuzzy = bool(options.get("fuzzyCompare") or ctx.param("fuzzyCompare", 0, False))
    dot = not options.get("disableDotNotation")
    skip_raw = options.get("skipFields", "")
    skip = (
        skip_raw
        if isinstance(skip_raw, list)
        else [f.strip() for f in str(skip_raw or "").split(",") if f.strip()]
    )
    multiple = options.get("multipleMatches") or "first"
    eq = _fuzzy(ctx.version) if fuzzy else _strict_equal
    if not dot and any("." in f for f in skip):
        bad = next(f for f in skip if "." in f)
        raise NodeError(
            ctx.node.name, f"Dot notation is disabled, but field to skip comparing '{bad}' contains dot"
        )
    opts = {"version": ctx.version, "fuzzy": fuzzy, "resolve": resolve, "dot": dot}
    nested_skip = dot and any("." in f for f in skip)
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
                unset_path(a, f, nested_skip)
                unset_path(b, f, nested_skip)
            equal = all(eq(a[k], b.get(k, UNDEFINED)) for k in a) if fuzzy else _strict_equal(a, b)
            if equal:
                if copy_entry is None:
                    copy_entry = e2 if fuzzy and resolve == "preferInput2" else e1
            elif resolve == "preferInput1":
                different.append(e1)
            elif resolve == "preferInput2":
                different.append(e2)
            elif resolve == "mix":
                prefer = ctx.param("preferWhenMix", 0, options.get("preferWhenMix", "input1"))
                except_ = ctx.param("exceptWhenMix", 0, options.get("exceptWhenMix", ""))
                different.append(_combine(e1, e2, prefer, except_, dot))
            else:
                try:
                    different.append(_compare_items(e1, e2, pairs, opts, skip, eq))
                except ValueError as exc:
                    raise NodeError(ctx.node.name, str(exc)) from exc
        if copy_entry is not None and copy_entry.get("json"):
            same.append(copy_entry)
    for j, e2 in enumerate(in2):
        if j not in used:
            only2.append(e2)
    return [only1, same, different, only2]
