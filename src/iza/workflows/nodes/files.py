"""File nodes working on in-memory binary data: Convert to File and Extract From File.

Binary data travels on items as n8n stores it: ``item["binary"][property] = {"data": <base64>,
"mimeType", "fileName", "fileExtension", "fileSize"}``.

- CSV, JSON, text and base64 use the standard library (``csv``, ``codecs``): CSV carries the
  byte-order mark n8n's writer puts first and its reader keeps; text takes any Python codec, with
  n8n's iconv names such as ``windows1256`` mapped and unencodable characters written as ``?``
  (as iconv-lite does).
- Spreadsheets (html, xlsx, xls, ods, rtf) run SheetJS, the library n8n uses, vendored
  (``js/xlsx.core.min.js``, Apache-2.0, npm release 0.18.5) in the V8 sandbox. n8n pins 0.20.2,
  which is published only on SheetJS's own CDN; the one difference the fixtures show (0.20.2's
  RTF reader types numbers) is applied here.
- iCalendar: a VEVENT is written as the ``ics`` package lays it out, and read into the field
  names of the ts-ics object n8n returns (common properties: uid, summary, description,
  location, url, start/end/stamp as ``{date, type}``). PDF is refused with a clear error.
"""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
import re
from typing import Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows._sandbox import UNDEFINED
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import get_path, js_string, set_path

__all__: list[str] = []

Item = dict[str, Any]

_MIME = {"csv": "text/csv", "json": "application/json", "txt": "text/plain"}
_SHEETS = ("html", "xlsx", "xls", "ods", "rtf")
_UNSUPPORTED = ("pdf",)
_MIME.update({
    "html": "text/html",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "rtf": "application/rtf",
    "ics": "text/calendar",
})
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


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
    if op in _SHEETS:
        box = ctx.execution.box
        box.ensure_library("sheet")
        rows = [it.get("json") or {} for it in items]
        payload = {"rows": rows, "bookType": op, "sheetName": options.get("sheetName"),
                   "compression": options.get("compression")}
        b64 = str(box.call_raw("__izaSheetWrite", payload)["value"])
        name = str(options.get("fileName") or f"spreadsheet.{op}")
        entry = _binary(base64.b64decode(b64), name, op, _MIME[op])
        paired = [{"item": i} for i in range(len(items))]
        return [[{"json": {}, "binary": {prop: entry}, "pairedItem": paired}]]
    if op == "iCal":
        return [[{"json": {}, "binary": {prop: _binary(_ics(ctx, i), "event.ics", "ics", _MIME["ics"])},
                  "pairedItem": {"item": i}} for i in range(len(items))]]
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
        if op in _SHEETS:
            out.extend({"json": row, "pairedItem": {"item": i}} for row in _read_sheet(ctx, op, raw, opts))
            continue
        dest = str(ctx.param("destinationKey", i, "data") or "data")
        value: Any
        if op == "fromIcs":
            value = _parse_ics(raw.decode("utf-8", errors="replace"))
        elif op in ("text", "fromJson"):
            text = raw.decode(_codec(ctx, opts.get("encoding")), errors="replace")
            if opts.get("stripBOM", True) is not False:
                text = text.removeprefix("\ufeff")
            value = text
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


def _read_sheet(ctx: NodeContext, op: str, raw: bytes, opts: dict[str, Any]) -> list[dict[str, Any]]:
    box = ctx.execution.box
    box.ensure_library("sheet")
    payload = {"data": base64.b64encode(raw).decode("ascii"), "sheetName": opts.get("sheetName"),
               "includeEmptyCells": opts.get("includeEmptyCells"), "headerRow": opts.get("headerRow", True),
               "range": opts.get("range"), "rawData": opts.get("rawData")}
    res = box.call_raw("__izaSheetRead", payload)
    if "error" in res:
        raise NodeError(ctx.node.name, str(res["error"]), fix="Check 'Sheet Name'.")
    rows = [r if isinstance(r, dict) else {"row": r} for r in res["value"]]
    if op == "rtf":
        # n8n pins SheetJS 0.20.2, whose RTF reader types numeric cells; the npm release vendored
        # here (0.18.5) returns them as text, so numbers are typed the way 0.20.2 does.
        rows = [{k: _typed(v) for k, v in r.items()} for r in rows]
    return rows


def _typed(v: Any) -> Any:
    if isinstance(v, str) and _NUMBER.fullmatch(v.strip()):
        f = float(v)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    return v


# ---- iCalendar (RFC 5545) ------------------------------------------------------------------------
def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_date(value: Any, all_day: bool) -> str:
    digits = re.sub(r"[^0-9T]", "", js_string(value))
    if all_day:
        return f";VALUE=DATE:{digits[:8]}"
    return f":{digits[:15] if 'T' in digits else digits[:8]}"


def _ics(ctx: NodeContext, i: int) -> bytes:
    """One VEVENT, laid out like the ``ics`` package n8n uses."""
    import uuid

    extra = dict(ctx.param("additionalFields", i, {}) or {})
    all_day = bool(ctx.param("allDay", i, False))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "CALSCALE:GREGORIAN", "PRODID:-//IZA OS//workflows//EN",
             "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:{uuid.uuid4()}",
             f"SUMMARY:{_ics_escape(js_string(ctx.param('title', i, '') or ''))}",
             f"DTSTART{_ics_date(ctx.param('start', i, ''), all_day)}",
             f"DTEND{_ics_date(ctx.param('end', i, ''), all_day)}"]
    for key, name in (("description", "DESCRIPTION"), ("location", "LOCATION"), ("url", "URL")):
        if extra.get(key):
            lines.append(f"{name}:{_ics_escape(js_string(extra[key]))}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _ics_value(name: str, params: str, value: str) -> Any:
    if name in ("DTSTART", "DTEND", "DTSTAMP", "CREATED", "LAST-MODIFIED"):
        d = value.strip()
        iso = f"{d[:4]}-{d[4:6]}-{d[6:8]}"
        if "T" in d:
            iso += f"T{d[9:11]}:{d[11:13]}:{d[13:15]}.000Z"
            return {"date": iso, "type": "DATE-TIME"}
        return {"date": f"{iso}T00:00:00.000Z", "type": "DATE"}
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


_ICS_KEYS = {"DTSTART": "start", "DTEND": "end", "DTSTAMP": "stamp", "PRODID": "prodId",
             "LAST-MODIFIED": "lastModified", "RECURRENCE-ID": "recurrenceId"}


def _parse_ics(text: str) -> dict[str, Any]:
    """Calendar → ``{version, prodId, method, events: [{uid, summary, start, end, description…}]}``,
    the field names of the ts-ics object n8n returns (common properties only)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    cal: dict[str, Any] = {"events": []}
    cur: dict[str, Any] | None = None
    for line in unfolded.splitlines():
        if not line.strip() or ":" not in line:
            continue
        head, value = line.split(":", 1)
        name, _, params = head.partition(";")
        name = name.upper()
        if name == "BEGIN" and value.upper() == "VEVENT":
            cur = {}
        elif name == "END" and value.upper() == "VEVENT" and cur is not None:
            cal["events"].append(cur)
            cur = None
        elif name in ("BEGIN", "END"):
            continue
        else:
            key = _ICS_KEYS.get(name) or name.lower().replace("-", "")
            (cur if cur is not None else cal)[key] = _ics_value(name, params, value)
    return cal
