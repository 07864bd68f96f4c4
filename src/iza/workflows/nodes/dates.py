"""Date & Time node (v1 moment-style formats, v2 Luxon operations), evaluated in the V8 sandbox."""

from __future__ import annotations

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register

__all__: list[str] = []


@register("dateTime")
def date_time(ctx: NodeContext) -> Outputs:
    box = ctx.execution.box
    if ctx.version < 2:
        box.ensure_moment()
    params = [ctx.param_tree(i) for i in range(max(len(ctx.items), 1))]
    res = box.call_raw("__izaDate", {"version": ctx.version, "timezone": ctx.timezone, "items": ctx.items,
                                     "params": params})
    if "error" in res:
        raise NodeError(ctx.node.name, str(res["error"]),
                        fix="Check the date value and its format (From Format / time zone options).")
    return [list(res["items"])]
