"""Routing nodes: IF, Filter, Switch, Merge and Loop Over Items (splitInBatches)."""

from __future__ import annotations

import json
import math
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._filter import FilterTypeError, evaluate_filter, js_regex, parse_date
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_number, js_string

__all__: list[str] = []

Item = dict[str, Any]


# ---- legacy (v1) comparisons ------------------------------------------------------------
def _is_empty(v: Any) -> bool:
    if v is None or v is UNDEFINED or v == "" or (isinstance(v, float) and math.isnan(v)):
        return True
    return isinstance(v, list | dict) and len(v) == 0


def _js_cmp(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return js_number(a), js_number(b)


def _v1_compare(op: str, a: Any, b: Any, dtype: str) -> bool:  # noqa: C901  (one branch per n8n mode)
    if dtype == "dateTime":
        da, db = _legacy_date(a), _legacy_date(b)
        if op == "after":
            return bool(da and db and da > db)
        if op == "before":
            return bool(da and db and da < db)
    if op == "isEmpty":
        return _is_empty(a)
    if op == "isNotEmpty":
        return not _is_empty(a)
    if op == "equal":
        return bool(type(a) is type(b) and a == b) or (
            isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) and a == b
        )
    if op == "notEqual":
        return not _v1_compare("equal", a, b, dtype)
    if op in ("larger", "largerEqual", "smaller", "smallerEqual"):
        x, y = _js_cmp(a, b)
        if isinstance(x, float) and math.isnan(x) or isinstance(y, float) and math.isnan(y):
            return False
        return bool({"larger": x > y, "largerEqual": x >= y, "smaller": x < y, "smallerEqual": x <= y}[op])
    sa = "" if a is None or a is UNDEFINED else js_string(a)
    sb = js_string(b) if b is not None else ""
    if op == "contains":
        return sb in sa
    if op == "notContains":
        return sb not in sa
    if op == "startsWith":
        return sa.startswith(sb)
    if op == "notStartsWith":
        return not sa.startswith(sb)
    if op == "endsWith":
        return sa.endswith(sb)
    if op == "notEndsWith":
        return not sa.endswith(sb)
    if op == "regex":
        return bool(js_regex(sb).search(sa))
    if op == "notRegex":
        return not js_regex(sb).search(sa)
    raise ValueError(f"unknown operation {op!r}")


def _legacy_date(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    d = parse_date(v)
    return d.timestamp() * 1000 if d else None


def _if_v1_item(ctx: NodeContext, i: int) -> bool:
    conditions = ctx.param("conditions", i, {}) or {}
    combine = ctx.param("combineOperation", i, None)
    if combine is None:  # the Filter node v1 names it combineConditions (AND / OR)
        combine = "any" if str(ctx.param("combineConditions", i, "AND")).upper() == "OR" else "all"
    results = []
    for dtype in ("boolean", "dateTime", "number", "string"):
        for cond in conditions.get(dtype, []) or []:
            op = cond.get("operation", {"number": "smaller", "dateTime": "after"}.get(dtype, "equal"))
            v1 = cond.get("value1", False if dtype == "boolean" else "")
            v2 = cond.get("value2", False if dtype == "boolean" else "")
            results.append(_v1_compare(op, v1, v2, dtype))
            if combine == "any" and results[-1]:
                return True
            if combine == "all" and not results[-1]:
                return False
    return bool(combine == "all")


def _filter_item(ctx: NodeContext, i: int, path: str = "conditions") -> bool:
    loose = bool(
        ctx.param("looseTypeValidation", i, False) or ctx.param("options.looseTypeValidation", i, False)
    )
    ignore_case = ctx.param("options.ignoreCase", i, None)
    try:
        return evaluate_filter(
            ctx.param(path, i, {}) or {},
            i,
            loose=loose,
            ignore_case=bool(ignore_case) if ignore_case is not None else None,
        )
    except FilterTypeError as exc:
        raise NodeError(
            ctx.node.name,
            str(exc),
            parameter=path,
            fix="Enable 'Convert types where required' (loose type validation) or fix the value's type.",
        ) from exc


def _paired(item: Item, i: int) -> Item:
    return {**item, "pairedItem": {"item": i}}


@register("if")
def if_node(ctx: NodeContext) -> Outputs:
    true_out: list[Item] = []
    false_out: list[Item] = []
    for i, item in enumerate(ctx.items):
        ok = _if_v1_item(ctx, i) if ctx.version < 2 else _filter_item(ctx, i)
        (true_out if ok else false_out).append(_paired(item, i))
    return [true_out, false_out]


@register("filter")
def filter_node(ctx: NodeContext) -> Outputs:
    kept: list[Item] = []
    discarded: list[Item] = []
    for i, item in enumerate(ctx.items):
        ok = _if_v1_item(ctx, i) if ctx.version < 2 else _filter_item(ctx, i)
        (kept if ok else discarded).append(_paired(item, i))
    if ctx.param("options.alwaysOutputData", 0, False) and not kept:
        kept = [{"json": {}}]
    return [kept, discarded]


# ---- Switch ---------------------------------------------------------------------------------
@register("switch")
def switch_node(ctx: NodeContext) -> Outputs:
    if ctx.version >= 3:
        return _switch_v3(ctx)
    n_out = 4
    if ctx.version >= 2:
        rules = ctx.raw_param("rules.rules", []) or []
        n_out = (
            max(
                [int(r.get("output", 0)) for r in rules]
                + [int(ctx.raw_param("outputsAmount", 4) or 4) - 1, 3]
            )
            + 1
        )
    outs: list[list[Item]] = [[] for _ in range(n_out)]
    mode = ctx.param("mode", 0, "rules")
    for i, item in enumerate(ctx.items):
        if mode == "expression":
            idx = int(js_number(ctx.param("output", i, 0)))
            if not 0 <= idx < n_out:
                raise NodeError(
                    ctx.node.name, f"The ouput {idx} is not allowed. It has to be between 0 and {n_out - 1}!"
                )
            outs[idx].append(_paired(item, i))
            continue
        dtype = ctx.param("dataType", i, "number")
        value1 = ctx.param("value1", i, "" if dtype != "boolean" else False)
        matched = False
        for r_idx, rule in enumerate(ctx.param("rules.rules", i, []) or []):
            op = rule.get("operation", "equal")
            value2 = rule.get("value2", {"boolean": False, "number": 0}.get(dtype, ""))
            if _v1_compare(op, value1, value2, dtype):
                target = int(rule.get("output", 0)) if ctx.version < 2 else r_idx
                outs[target].append(_paired(item, i))
                matched = True
                break
        if not matched:
            fb = ctx.param("fallbackOutput", i, -1)
            if fb not in (-1, "none", None) and int(fb) >= 0:
                outs[int(fb)].append(_paired(item, i))
    return outs


def _switch_v3(ctx: NodeContext) -> Outputs:
    mode = ctx.param("mode", 0, "rules")
    if mode == "expression":
        n_out = int(ctx.param("numberOutputs", 0, 4))
        outs: list[list[Item]] = [[] for _ in range(n_out)]
        for i, item in enumerate(ctx.items):
            idx = int(js_number(ctx.param("output", i, 0)))
            if not 0 <= idx < n_out:
                raise NodeError(
                    ctx.node.name, f"The ouput {idx} is not allowed. It has to be between 0 and {n_out - 1}!"
                )
            outs[idx].append(_paired(item, i))
        return outs
    rules = ctx.raw_param("rules.values", []) or []
    fallback = ctx.param("options.fallbackOutput", 0, "none")
    n_out = len(rules) + (1 if fallback == "extra" else 0)
    outs = [[] for _ in range(max(n_out, 1))]
    all_matching = bool(ctx.param("options.allMatchingOutputs", 0, False))
    for i, item in enumerate(ctx.items):
        matched = False
        for r in range(len(rules)):
            if _rule(ctx, i, r):
                outs[r].append(_paired(item, i))
                matched = True
                if not all_matching:
                    break
        if not matched and fallback not in ("none", None):
            target = len(rules) if fallback == "extra" else int(fallback)
            outs[target].append(_paired(item, i))
    return outs


def _rule(ctx: NodeContext, i: int, r: int) -> bool:
    rules = ctx.param("rules.values", i, []) or []
    cond = rules[r].get("conditions") or {}
    loose = bool(
        ctx.param("options.looseTypeValidation", i, False) or ctx.param("looseTypeValidation", i, False)
    )
    ignore_case = ctx.param("options.ignoreCase", i, None)
    try:
        return evaluate_filter(
            cond, i, loose=loose, ignore_case=bool(ignore_case) if ignore_case is not None else None
        )
    except FilterTypeError as exc:
        raise NodeError(ctx.node.name, str(exc), parameter=f"rules.values[{r}].conditions") from exc


# ---- Merge ------------------------------------------------------------------------------------
def _lodash_merge(target: Any, src: Any) -> Any:
    if isinstance(target, dict) and isinstance(src, dict):
        out = dict(target)
        for k, v in src.items():
            if v is UNDEFINED:
                continue
            out[k] = _lodash_merge(out[k], v) if k in out and isinstance(v, dict | list) else fast_copy(v)
        return out
    if isinstance(target, list) and isinstance(src, list):
        out_l = list(target)
        for idx, v in enumerate(src):
            if idx < len(out_l) and isinstance(v, dict | list):
                out_l[idx] = _lodash_merge(out_l[idx], v)
            elif idx < len(out_l):
                out_l[idx] = v
            else:
                out_l.append(fast_copy(v))
        return out_l
    return fast_copy(src)


def _merger(clash: dict[str, Any]) -> Any:
    mode = clash.get("mergeMode", "deepMerge")
    override_empty = bool(clash.get("overrideEmpty"))

    def merge(target: dict[str, Any], *sources: dict[str, Any]) -> dict[str, Any]:
        out = dict(target)
        for s in sources:
            for k, v in (s or {}).items():
                if override_empty and (v is None or v == "" or v is UNDEFINED) and k in out:
                    continue
                if mode == "shallowMerge":
                    out[k] = v
                else:
                    out[k] = _lodash_merge(out[k], v) if k in out and isinstance(v, dict | list) else v
        return out

    return merge


def _suffix(items: list[Item], suffix: str) -> list[Item]:
    return [{**it, "json": {f"{k}_{suffix}": v for k, v in (it.get("json") or {}).items()}} for it in items]


def _fuzzy_equal(a: Any, b: Any, fuzzy: bool) -> bool:
    if not fuzzy:
        return bool(type(a) is type(b) and a == b) or (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and a == b
        )
    if a is None or a is UNDEFINED or b is None or b is UNDEFINED:
        return (a is None or a is UNDEFINED) and (b is None or b is UNDEFINED)
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    sa, sb = js_string(a).strip(), js_string(b).strip()
    if sa == sb:
        return True
    na, nb = js_number(sa), js_number(sb)
    return not (isinstance(na, float) and math.isnan(na)) and na == nb


def find_matches(
    in1: list[Item], in2: list[Item], pairs: list[dict[str, Any]], options: dict[str, Any]
) -> dict[str, list[Any]]:
    d1, d2 = list(in1), list(in2)
    if options.get("joinMode") == "enrichInput2":
        d1, d2 = d2, d1
    fuzzy = bool(options.get("fuzzyCompare"))
    dot = not options.get("disableDotNotation")
    multiple = options.get("multipleMatches") or "all"
    res: dict[str, list[Any]] = {"matched": [], "matched2": [], "unmatched1": [], "unmatched2": []}
    used: set[int] = set()
    for e1 in d1:
        lookup = {
            p["field2"]: get_path(e1.get("json") or {}, str(p["field1"]), UNDEFINED, dot) for p in pairs
        }
        if any(v is UNDEFINED for v in lookup.values()):
            res["unmatched1"].append(e1)
            continue
        found = []
        for j, e2 in enumerate(d2):
            if all(
                _fuzzy_equal(v, get_path(e2.get("json") or {}, str(k), UNDEFINED, dot), fuzzy)
                for k, v in lookup.items()
            ):
                found.append(j)
                if multiple != "all":
                    break
        used.update(found)
        matches = [d2[j] for j in found]
        if matches:
            if options.get("outputDataFrom") == "both" or options.get("joinMode") in (
                "enrichInput1",
                "enrichInput2",
            ):
                res["matched"].extend({"entry": e1, "matches": [m]} for m in matches)
            else:
                res["matched"].append({"entry": e1, "matches": matches})
        else:
            res["unmatched1"].append(e1)
    for j, e2 in enumerate(d2):
        (res["matched2"] if j in used else res["unmatched2"]).append(e2)
    return res


def merge_matched(
    matched: list[dict[str, Any]], clash: dict[str, Any], join_mode: str | None = None
) -> list[Item]:
    out = []
    merge = _merger(clash)
    resolve = clash.get("resolveClash") or "preferInput2"
    for m in matched:
        entry, matches = m["entry"], m["matches"]
        if resolve == "addSuffix":
            s1, s2 = ("2", "1") if join_mode == "enrichInput2" else ("1", "2")
            entry = _suffix([entry], s1)[0]
            matches = _suffix(matches, s2)
            js = merge(dict(entry["json"]), *[x["json"] for x in matches])
        else:
            p1, p2 = (
                ("preferInput2", "preferInput1")
                if join_mode == "enrichInput2"
                else ("preferInput1", "preferInput2")
            )
            if resolve == p1 and not (join_mode == "enrichInput2" and not clash.get("resolveClash")):
                js = merge(dict(matches[0]["json"]), *[x["json"] for x in matches[1:]], entry["json"])
            else:
                js = merge(dict(entry["json"]), *[x["json"] for x in matches])
            del p2
        out.append({"json": js})
    return out


def _by_fields(
    ctx: NodeContext,
    in1: list[Item],
    in2: list[Item],
    pairs: list[dict[str, Any]],
    join: str,
    output_from: str,
    options: dict[str, Any],
) -> list[Item]:
    options = {**options, "joinMode": join, "outputDataFrom": output_from}
    clash = (options.get("clashHandling") or {}).get("values") or {}
    if not in1 or not in2:
        if not in1 and join == "keepNonMatches" and output_from == "input1":
            return []
        if not in2 and join == "keepNonMatches" and output_from == "input2":
            return []
        if (
            join == "keepMatches"
            or (join == "enrichInput1" and not in1)
            or (join == "enrichInput2" and not in2)
        ):
            return []
        return [*in1, *in2]
    m = find_matches(in1, in2, pairs, options)
    if join in ("keepMatches", "keepEverything"):
        if output_from == "input1":
            out = [x["entry"] for x in m["matched"]]
        elif output_from == "input2":
            out = list(m["matched2"])
        else:
            out = merge_matched(m["matched"], clash)
        if join == "keepEverything":
            u1, u2 = m["unmatched1"], m["unmatched2"]
            if clash.get("resolveClash") == "addSuffix":
                u1, u2 = _suffix(u1, "1"), _suffix(u2, "2")
            out = [*out, *u1, *u2]
        return out
    if join == "keepNonMatches":
        if output_from == "input1":
            return list(m["unmatched1"])
        if output_from == "input2":
            return list(m["unmatched2"])
        return [{**e, "json": {**e["json"], "_source": "input1"}} for e in m["unmatched1"]] + [
            {**e, "json": {**e["json"], "_source": "input2"}} for e in m["unmatched2"]
        ]
    merged = merge_matched(m["matched"], clash, join)
    # enrichInput2 matched with the inputs swapped, so input 2's unmatched items are in unmatched1.
    rest = m["unmatched1"]
    if clash.get("resolveClash") == "addSuffix":
        rest = _suffix(rest, "1" if join == "enrichInput1" else "2")
    return [*merged, *rest]


def _by_position(
    in1: list[Item], in2: list[Item], clash: dict[str, Any], include_unpaired: bool
) -> list[Item]:
    if not in1 or not in2:
        return [*in1, *in2]
    if clash.get("resolveClash") == "preferInput1":
        in1, in2 = in2, in1
    if clash.get("resolveClash") == "addSuffix":
        in1, in2 = _suffix(in1, "1"), _suffix(in2, "2")
    merge = _merger(clash)
    n = max(len(in1), len(in2)) if include_unpaired else min(len(in1), len(in2))
    out = []
    for i in range(n):
        if i >= len(in1):
            out.append(in2[i])
        elif i >= len(in2):
            out.append(in1[i])
        else:
            out.append({"json": merge(dict(in1[i]["json"]), in2[i]["json"])})
    return out


def _multiplex(in1: list[Item], in2: list[Item], clash: dict[str, Any]) -> list[Item]:
    if clash.get("resolveClash") == "preferInput1":
        in1, in2 = in2, in1
    if clash.get("resolveClash") == "addSuffix":
        in1, in2 = _suffix(in1, "1"), _suffix(in2, "2")
    merge = _merger(clash)
    return [{"json": merge(dict(a["json"]), b["json"])} for a in in1 for b in in2]


@register("merge")
def merge_node(ctx: NodeContext) -> Outputs:  # noqa: C901  (one branch per n8n mode)
    inputs = ctx.inputs + [[] for _ in range(max(0, 2 - len(ctx.inputs)))]
    in1, in2 = inputs[0], inputs[1]
    v = ctx.version
    mode = ctx.param("mode", 0, "append")
    options = ctx.param("options", 0, {}) or {}
    clash = (options.get("clashHandling") or {}).get("values") or {}
    if mode == "append":
        return [[it for inp in inputs for it in inp]]
    if mode == "chooseBranch":
        if v >= 3:
            which = int(ctx.param("useDataOfInput", 0, 1))
            out_kind = ctx.param("chooseBranchMode", 0, "waitForAll")
            return [list(inputs[which - 1])] if out_kind != "empty" else [[{"json": {}}]]
        output = ctx.param("output", 0, "input1")
        if output == "input2":
            return [list(in2)]
        if output == "empty":
            return [[{"json": {}}]]
        return [list(in1)]
    if (
        mode == "combineByPosition"
        or (mode == "combine" and ctx.param("combinationMode", 0, "mergeByFields") == "mergeByPosition")
        or (mode == "combine" and ctx.param("combineBy", 0, "") == "combineByPosition")
    ):
        return [_by_position(in1, in2, clash, bool(options.get("includeUnpaired")))]
    if mode == "combine" and (
        ctx.param("combinationMode", 0, "") == "multiplex" or ctx.param("combineBy", 0, "") == "combineAll"
    ):
        return [_multiplex(in1, in2, clash)]
    if mode == "combine":
        if v >= 3:
            pairs = ctx.param("fieldsToMatchString", 0, None)
            if pairs is not None:
                names = [x.strip() for x in str(pairs).split(",") if x.strip()]
                field_pairs = [{"field1": n, "field2": n} for n in names]
            else:
                field_pairs = ctx.param("mergeByFields.values", 0, []) or []
            join = ctx.param("joinMode", 0, "keepMatches")
        else:
            field_pairs = ctx.param("mergeByFields.values", 0, []) or []
            join = ctx.param("joinMode", 0, "keepMatches")
        for idx, pair in enumerate(field_pairs):
            if not pair.get("field1") or not pair.get("field2"):
                raise NodeError(
                    ctx.node.name, f'You need to define both fields in "Fields to Match" for pair {idx + 1}'
                )
        if v < 2.1 and in1:
            # Merge 2.0 checks both inputs before anything else and fails as a whole.
            for label, items, key in (("Input 1", in1, "field1"), ("Input 2", in2, "field2")):
                for pair in field_pairs:
                    if not any(
                        get_path(it.get("json") or {}, str(pair[key]), UNDEFINED) is not UNDEFINED
                        for it in items
                    ):
                        raise NodeError(
                            ctx.node.name,
                            f"Field '{pair[key]}' is not present in any of items in '{label}'",
                            whole_node=True,
                        )
        return [_by_fields(ctx, in1, in2, field_pairs, join, ctx.param("outputDataFrom", 0, "both"), options)]
    raise NodeError(ctx.node.name, f"Merge mode {mode!r} is not supported")


# ---- Loop over items ----------------------------------------------------------------------
@register("splitInBatches")
def split_in_batches(ctx: NodeContext) -> Outputs | None:
    """Split In Batches / Loop Over Items. The node's context (``noItemsLeft``,
    ``currentRunIndex``, ``maxRunIndex``, ``done``) is visible to expressions as
    ``$node["Name"].context``. Outputs: v1 one output (and no output at all once the items are used
    up, which ends the branch); v2 ``[loop, done]``; v3 ``[done, loop]``."""
    state = ctx.execution.node_state.setdefault(ctx.node.name, {})
    size = max(int(ctx.param("batchSize", 0, 10 if ctx.version < 3 else 1)), 1)
    reset = ctx.param("options.reset", 0, False) is True
    if "items" not in state or reset or (ctx.version >= 3 and state.get("done")):
        items = [fast_copy(i) for i in ctx.items]
        state.clear()
        state.update({"items": items, "processed": [], "done": False, "currentRunIndex": 0,
                      "maxRunIndex": -(-len(items) // size)})
    else:
        state["currentRunIndex"] = int(state.get("currentRunIndex", 0)) + 1
        if ctx.version >= 2:
            state["processed"].extend(fast_copy(i) for i in ctx.items)
    batch, state["items"] = state["items"][:size], state["items"][size:]
    state["noItemsLeft"] = not state["items"]
    if ctx.version < 2:
        return [batch] if batch else None
    state["done"] = not batch
    if ctx.version < 3:
        return [batch, []] if batch else [[], list(state["processed"])]
    return [[], batch] if batch else [list(state["processed"]), []]
