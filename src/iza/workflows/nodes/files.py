"""File nodes working on in-memory binary data: Convert to File and Extract From File.

Binary data travels on items as n8n stores it: ``item["binary"][property] = {"data": <base64>,
"mimeType", "fileName", "fileExtension", "fileSize"}``. Implemented operations: CSV (with the
byte-order mark n8n's writer puts first and its reader keeps), JSON, text (any Python codec;
n8n's iconv names such as ``windows1256`` are mapped, unencodable characters become ``?`` as in
iconv-lite) and base64 ⇄ file. Spreadsheet formats (xlsx, xls, ods, rtf, html) and iCalendar
need SheetJS / ics and are refused with a clear error rather than approximated.
Standard library only (``csv``, ``codecs``, ``base64``): the formats here are simple and the
stdlib codecs cover every encoding iconv-lite names that matter.
"""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_string, set_path

__all__: list[str] = []

Item = dict[str, Any]

_MIME = {"csv": "text/csv", "json": "application/json", "txt": "text/plain"}
_UNSUPPORTED = ("html", "xlsx", "xls", "ods", "rtf", "iCal", "fromIcs", "pdf")


def _codec(ctx: NodeContext, name: Any) -> str:
    raw = str(name or "utf8").lower().replace("_", "-")
    aliases = {"utf8": "utf-8", "utf16le": "utf-16-le", "ucs2": "utf-16-le", "latin1": "latin-1",
               "binary": "latin-1", "ascii": "ascii"}
    raw = aliases.get(raw, raw)
    if raw.startswith("windows") and raw[7:].isdigit():
        raw = f"cp{raw[7:]}"
    try:
        return codecs.lookup(raw).name
    except LookupError as exc:
        raise NodeError(ctx.node.name, f"Unknown encoding {name!r}",
                        fix="Choose an encoding such as utf8, latin1 or windows1252.") from exc


def _binary(data: bytes, name: str, ext: str, mime: str) -> dict[str, Any]:
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "mimeType": mime,
        "fileName": f"{name}.{ext}" if "." not in name else name,
        "fileExtension": ext,
        "fileSize": f"{len(data)} B",
    }


def _csv_text(rows: list[dict[str, Any]], delimiter: str, header: bool) -> str:
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(keys)
    for row in rows:
        cells = []
        for k in keys:
            v = row.get(k, UNDEFINED)
            cells.append("" if v is None or v is UNDEFINED else json.dumps(v) if isinstance(v, dict | list)
                         else js_string(v))
        writer.writerow(cells)
    return "\ufeff" + buf.getvalue().rstrip("\n")


@register("convertToFile")
def convert_to_file(ctx: NodeContext) -> Outputs:  # noqa: C901  (one branch per operation)
    op = ctx.param("operation", 0, "csv")
    if op in _UNSUPPORTED:
        raise NodeError(ctx.node.name, f"Convert to File operation {op!r} is not supported yet",
                        fix="Use CSV, JSON, text or base64; spreadsheet and iCal formats are not "
                        "implemented.")
    prop = str(ctx.param("binaryPropertyName", 0, "data") or "data")
    options = dict(ctx.param("options", 0, {}) or {})
    items = ctx.items
    if op == "csv" or (op == "toJson" and ctx.param("mode", 0, "once") != "each"):
        rows = [it.get("json") or {} for it in items]
        if op == "csv":
            header = options.get("headerRow", True) is not False
            text = _csv_text(rows, str(options.get("delimiter") or ","), header)
            data, ext = text.encode("utf-8"), "csv"
        else:
            text = json.dumps(rows, ensure_ascii=False, indent=2 if options.get("format") else None,
                              separators=None if options.get("format") else (",", ":"))
            data, ext = text.encode(_codec(ctx, options.get("encoding"))), "json"
            if options.get("addBOM"):
                data = codecs.BOM_UTF8 + data
        name = str(options.get("fileName") or f"{'spreadsheet' if op == 'csv' else 'file'}.{ext}")
        return [[{"json": {}, "binary": {prop: _binary(data, name, ext, _MIME[ext])},
                  "pairedItem": [{"item": i} for i in range(len(items))]}]]
    out: list[Item] = []
    for i, it in enumerate(items):
        js = it.get("json") or {}
        opts = dict(ctx.param("options", i, {}) or {})
        if op == "toJson":
            text = json.dumps(js, ensure_ascii=False, indent=2 if opts.get("format") else None,
                              separators=None if opts.get("format") else (",", ":"))
            data, ext, mime = text.encode(_codec(ctx, opts.get("encoding"))), "json", _MIME["json"]
        elif op in ("toText", "toBinary"):
            source = str(ctx.param("sourceProperty", i, "data"))
            value = get_path(js, source, UNDEFINED)
            if value is UNDEFINED:
                raise NodeError(ctx.node.name, f"The JSON property '{source}' does not exist on item {i}",
                                fix="Set 'Text Input Field' / 'Base64 Input Field' to an existing field.")
            if op == "toText":
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)
                data = text.encode(_codec(ctx, opts.get("encoding")), errors="replace")
                if opts.get("addBOM"):
                    data = codecs.BOM_UTF8 + data
                ext, mime = "txt", _MIME["txt"]
            else:
                try:
                    data = base64.b64decode(js_string(value), validate=False)
                except ValueError as exc:
                    raise NodeError(ctx.node.name, f"Field '{source}' is not valid base64",
                                    fix="Pass base64 text in that field.") from exc
                mime = str(opts.get("mimeType") or "text/plain")
                ext = "txt" if mime == "text/plain" else mime.rsplit("/", 1)[-1]
        else:
            raise NodeError(ctx.node.name, f"Convert to File operation {op!r} is not supported",
                            fix="Choose a supported operation.")
        name = str(opts.get("fileName") or f"file.{ext}")
        out.append({"json": {}, "binary": {prop: _binary(data, name, ext, mime)}, "pairedItem": {"item": i}})
    return [out]


def _read(ctx: NodeContext, it: Item, i: int) -> bytes:
    prop = str(ctx.param("binaryPropertyName", i, "data") or "data")
    entry = (it.get("binary") or {}).get(prop)
    if not isinstance(entry, dict) or "data" not in entry:
        raise NodeError(ctx.node.name, f"This operation expects the node's input data to contain a binary "
                        f"file '{prop}', but none was found [item {i}]",
                        fix="Check 'Input Binary Field' names the binary property the previous node wrote.")
    return base64.b64decode(entry["data"])


@register("extractFromFile")
def extract_from_file(ctx: NodeContext) -> Outputs:  # noqa: C901  (one branch per operation)
    op = ctx.param("operation", 0, "csv")
    if op in _UNSUPPORTED:
        raise NodeError(ctx.node.name, f"Extract From File operation {op!r} is not supported yet",
                        fix="Use CSV, JSON, text or base64; spreadsheet, PDF and iCal formats are not "
                        "implemented.")
    out: list[Item] = []
    for i, it in enumerate(ctx.items):
        raw = _read(ctx, it, i)
        opts = dict(ctx.param("options", i, {}) or {})
        if op == "csv":
            text = raw.decode(_codec(ctx, opts.get("encoding")), errors="replace")
            if opts.get("enableBOM"):
                text = text.removeprefix("\ufeff")
            rows = list(csv.reader(io.StringIO(text), delimiter=str(opts.get("delimiter") or ",")))
            if opts.get("headerRow", True) is False:
                out.extend({"json": {"row": r}, "pairedItem": {"item": i}} for r in rows)
                continue
            header, body = (rows[0], rows[1:]) if rows else ([], [])
            for r in body:
                out.append({"json": dict(zip(header, r, strict=False)), "pairedItem": {"item": i}})
            continue
        dest = str(ctx.param("destinationKey", i, "data") or "data")
        if op in ("text", "fromJson"):
            text = raw.decode(_codec(ctx, opts.get("encoding")), errors="replace")
            if opts.get("stripBOM", True) is not False:
                text = text.removeprefix("\ufeff")
            value: Any = text
            if op == "fromJson":
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    raise NodeError(ctx.node.name, f"The file is not valid JSON: {exc}",
                                    fix="Check the file's content.") from exc
        elif op == "binaryToPropery":
            value = base64.b64encode(raw).decode("ascii")
        else:
            raise NodeError(ctx.node.name, f"Extract From File operation {op!r} is not supported",
                            fix="Choose a supported operation.")
        new: dict[str, Any] = {}
        set_path(new, dest, value)
        out.append({"json": new, "pairedItem": {"item": i}})
    return [out]
