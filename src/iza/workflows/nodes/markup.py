"""Markup nodes: Markdown (HTML ⇄ Markdown).

Library choice: n8n's Markdown node is defined by two JavaScript libraries, ``node-html-markdown``
(HTML → Markdown) and ``showdown`` (Markdown → HTML). Their output has quirks that n8n's own
fixtures pin (a leading ``" \\n\\n"`` from the ``<head>`` whitespace, heading ids such as
``exampledomain``, ``...`` turned into ``…``); Python converters (markdownify, markdown-it) differ
on exactly those. So the two libraries are vendored (MIT; node-html-markdown bundled with its
dependencies by esbuild, licences in ``js/``) and run in the same mini-racer V8 sandbox the
expressions use — no Node.js, no network.
"""

from __future__ import annotations

from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, WorkflowError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import set_path

__all__: list[str] = []

Item = dict[str, Any]


def _pair(value: Any) -> list[Any] | None:
    if isinstance(value, dict) and value:
        return [value.get("pattern"), value.get("replacement")]
    return None


def _html_options(ctx: NodeContext, i: int) -> dict[str, Any]:
    """The node's options as node-html-markdown expects them (as n8n's node prepares them)."""
    options = dict(ctx.param("options", i, {}) or {})
    replace = ctx.param("options.textReplace.values", i, []) or []
    options["textReplace"] = [[e.get("pattern"), e.get("replacement")] for e in replace] or None
    options["lineStartEscape"] = _pair(ctx.param("options.lineStartEscape.value", i, {}))
    options["globalEscape"] = _pair(ctx.param("options.globalEscape.value", i, {}))
    for key in ("ignore", "blockElements"):
        raw = options.get(key)
        options[key] = [x.strip() for x in str(raw).split(",")] if raw else None
    return {k: v for k, v in options.items() if v and v is not UNDEFINED}


@register("markdown")
def markdown(ctx: NodeContext) -> Outputs:
    mode = ctx.param("mode", 0, "htmlToMarkdown")
    box = ctx.execution.box
    box.ensure_library("markdown")
    out: list[Item] = []
    for i, item in enumerate(ctx.items):
        try:
            dest = str(ctx.param("destinationKey", i, "data") or "data")
            if mode == "htmlToMarkdown":
                payload = {"html": ctx.param("html", i, ""), "options": _html_options(ctx, i)}
                value = box.call_raw("__izaHtmlToMarkdown", payload)["value"]
            elif mode == "markdownToHtml":
                options = dict(ctx.param("options", i, {}) or {})
                payload = {"markdown": ctx.param("markdown", i, ""), "options": options}
                value = box.call_raw("__izaMarkdownToHtml", payload)["value"]
            else:
                raise NodeError(ctx.node.name, f"Markdown mode {mode!r} is not supported",
                                fix="Use 'htmlToMarkdown' or 'markdownToHtml'.")
        except (NodeError, WorkflowError) as err:
            if ctx.node.on_error != "stopWorkflow":
                reason = getattr(err, "reason", err.message)
                out.append({"json": {"error": reason}, "pairedItem": {"item": i}})
                continue
            raise
        new = fast_copy(item.get("json") or {})
        set_path(new, dest, value)
        out.append({"json": new, "pairedItem": {"item": i}})
    return [out]
