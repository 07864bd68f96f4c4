"""Markup nodes: Markdown (HTML ⇄ Markdown), HTML and HTML Extract (CSS-selector extraction).

Library choice: n8n's Markdown node is defined by two JavaScript libraries, ``node-html-markdown``
(HTML → Markdown) and ``showdown`` (Markdown → HTML). Their output has quirks that n8n's own
fixtures pin (a leading ``" \\n\\n"`` from the ``<head>`` whitespace, heading ids such as
``exampledomain``, ``...`` turned into ``…``); Python converters (markdownify, markdown-it) differ
on exactly those. The HTML nodes likewise are defined by ``cheerio`` (selectors, serialisation) and
``html-to-text`` (text rendering: upper-case headings, ``alt [src]`` images, ``text [href]``
links). So these libraries are vendored (MIT; node-html-markdown bundled with its
dependencies by esbuild, licences in ``js/``) and run in the same mini-racer V8 sandbox the
expressions use — no Node.js, no network.
"""

from __future__ import annotations

from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, WorkflowError
from iza.workflows._sandbox import UNDEFINED, fast_copy
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_string, set_path

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


# ---- HTML / HTML Extract ------------------------------------------------------------------------
def _extract(ctx: NodeContext, i: int, html: Any) -> dict[str, Any]:
    values = ctx.param("extractionValues.values", i, []) or []
    payload = {
        "html": html,
        "values": values,
        "options": dict(ctx.param("options", i, {}) or {}),
        "version": ctx.version,
        "node": ctx.node.kind,
    }
    result: dict[str, Any] = ctx.execution.box.call_raw("__izaHtmlExtract", payload)["value"]
    return result


def _html_sources(ctx: NodeContext, i: int, item: Item) -> list[Any]:
    prop = str(ctx.param("dataPropertyName", i, "data") or "data")
    if ctx.param("sourceData", i, "json") != "json":
        raise NodeError(ctx.node.name, "Reading HTML from binary data is not supported yet",
                        fix="Convert the file to text first (Extract From File) and read it from JSON.")
    js = item.get("json") or {}
    dotted = not (ctx.node.kind == "html" and ctx.version == 1)
    value = get_path(js, prop, UNDEFINED) if dotted else js.get(prop, UNDEFINED)
    if value is UNDEFINED:
        raise NodeError(ctx.node.name, f'No property named "{prop}" exists!',
                        fix="Set 'JSON Property' to the field that holds the HTML.")
    return value if isinstance(value, list) else [value]


@register("html", "htmlExtract")
def html_node(ctx: NodeContext) -> Outputs:
    """HTML (extract content, convert to table) and the legacy HTML Extract node. Selection runs
    in cheerio and text rendering in html-to-text, the libraries n8n uses (vendored, see ``js/``)."""
    op = ctx.param("operation", 0, "extractHtmlContent") if ctx.node.kind == "html" else "extractHtmlContent"
    if op == "convertToHtmlTable":
        return [[_html_table(ctx)]] if ctx.items else [[]]
    if op != "extractHtmlContent":
        raise NodeError(ctx.node.name, f"HTML operation {op!r} is not supported yet",
                        fix="Use 'Extract HTML Content' or 'Convert to HTML Table'.")
    ctx.execution.box.ensure_library("html")
    out: list[Item] = []
    for i, item in enumerate(ctx.items):
        try:
            for html in _html_sources(ctx, i, item):
                out.append({"json": _extract(ctx, i, html), "pairedItem": {"item": i}})
        except (NodeError, WorkflowError) as err:
            if ctx.node.on_error == "stopWorkflow":
                raise
            reason = getattr(err, "reason", err.message)
            out.append({"json": {"error": reason}, "pairedItem": {"item": i}})
    return [out]


def _html_table(ctx: NodeContext) -> Item:
    options = dict(ctx.param("options", 0, {}) or {})
    styled = not options.get("customStyling")
    table_style = "style='border-spacing:0; font-family:helvetica,arial,sans-serif'" if styled else ""
    head_style = (
        "style='margin:0; padding:7px 20px 7px 0px; border-bottom:1px solid #eee; text-align:left; "
        "color:#888; font-weight:normal'" if styled else ""
    )
    cell_style = "style='margin:0; padding:7px 20px 7px 0px; border-bottom:1px solid #eee'" if styled else ""
    rows = [item.get("json") or {} for item in ctx.items]
    headers: list[str] = []
    for row in rows:
        headers.extend(k for k in row if k not in headers)

    def title(h: str) -> str:
        if not options.get("capitalize"):
            return h
        return " ".join(w[0].upper() + w[1:] for w in h.split("_") if w)

    html = f"<table {table_style} {options.get('tableAttributes') or ''}>"
    if options.get("caption"):
        html += f"<caption>{options['caption']}</caption>"
    html += f"<thead {head_style} {options.get('headerAttributes') or ''}><tr>"
    html += "".join(f"<th>{title(h)}</th>" for h in headers) + "</tr></thead><tbody>"
    for i, row in enumerate(rows):
        html += f"<tr  {ctx.param('options.rowAttributes', i, '') or ''}>"
        for h in headers:
            html += f"<td {cell_style} {ctx.param('options.cellAttributes', i, '') or ''}>"
            v = row.get(h, UNDEFINED)
            if isinstance(v, bool):
                checked = 'checked="checked"' if v else ""
                html += f'<input type="checkbox" {checked}/>'
            else:
                html += js_string(v) if not isinstance(v, dict) else "[object Object]"
            html += "</td>"
        html += "</tr>"
    html += "</tbody></table>"
    return {"json": {"table": html}, "pairedItem": [{"item": i} for i in range(len(rows))]}
