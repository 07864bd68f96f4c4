"""The XML node: XML → JSON and JSON → XML with n8n's (xml2js) shapes.

Library choice: n8n runs ``xml2js`` (sax parser + xmlbuilder writer); what a workflow sees is
xml2js's *object shape* (``explicitArray``, ``mergeAttrs``, ``$``/``_`` keys, a text-only element
collapsing to its string) and xmlbuilder's pretty printing. No Python library produces that
shape (xmltodict uses ``@attr``/``#text`` and different collapsing rules), so the shape rules are
written here on top of the standard library's expat parser, which is maintained with CPython,
needs no extra dependency and never fetches external entities. Entity declarations (DTD) are
refused outright, which also closes the "billion laughs" expansion.
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers import expat

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError
from iza.workflows.nodes._registry import Outputs, register
from iza.workflows.nodes._util import js_string

__all__: list[str] = []

Item = dict[str, Any]

_PARSE_DEFAULTS: dict[str, Any] = {
    "attrkey": "$",
    "charkey": "_",
    "explicitArray": False,
    "explicitRoot": True,
    "ignoreAttrs": False,
    "mergeAttrs": True,
    "normalize": False,
    "normalizeTags": False,
    "trim": False,
    "explicitCharkey": False,
}


def _assign(obj: dict[str, Any], key: str, value: Any, explicit_array: bool) -> None:
    if key not in obj:
        obj[key] = [value] if explicit_array else value
    else:
        if not isinstance(obj[key], list):
            obj[key] = [obj[key]]
        obj[key].append(value)


def xml_to_json(text: str, options: dict[str, Any]) -> Any:  # noqa: C901  (one rule per xml2js option)
    """Parse like ``new xml2js.Parser(options).parseStringPromise(text)``."""
    opt = {**_PARSE_DEFAULTS, **options}
    attrkey, charkey = str(opt["attrkey"]), str(opt["charkey"])
    stack: list[dict[str, Any]] = []
    result: list[Any] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name.lower() if opt["normalizeTags"] else name
        obj: dict[str, Any] = {charkey: ""}
        if not opt["ignoreAttrs"]:
            for key, value in attrs.items():
                if opt["mergeAttrs"]:
                    _assign(obj, key, value, bool(opt["explicitArray"]))
                else:
                    obj.setdefault(attrkey, {})[key] = value
        obj["#name"] = tag
        stack.append(obj)

    def chars(data: str) -> None:
        if stack:
            stack[-1][charkey] += data

    def end(_name: str) -> None:
        obj = stack.pop()
        node_name = obj.pop("#name")
        value: Any = obj
        empty_str = ""
        if re.fullmatch(r"\s*", obj[charkey]):
            empty_str = obj.pop(charkey)
        else:
            if opt["trim"]:
                obj[charkey] = obj[charkey].strip()
            if opt["normalize"]:
                obj[charkey] = re.sub(r"\s{2,}", " ", obj[charkey]).strip()
            if list(obj) == [charkey] and not opt["explicitCharkey"]:
                value = obj[charkey]
        if isinstance(value, dict) and not value:
            value = empty_str
        if stack:
            _assign(stack[-1], node_name, value, bool(opt["explicitArray"]))
        else:
            result.append({node_name: value} if opt["explicitRoot"] else value)

    def refuse_entities(*_args: Any) -> None:
        raise ValueError("XML entity declarations are not supported")

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.EntityDeclHandler = refuse_entities
    parser.Parse(text.strip(), True)
    return result[0] if result else None


# ---- JSON → XML (xml2js Builder over xmlbuilder) --------------------------------------------------
def _esc_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def _esc_attr(s: str) -> str:
    return (
        s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
        .replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;")
    )


class _El:
    def __init__(self, name: str) -> None:
        self.name = name
        self.attrs: list[tuple[str, str]] = []
        self.children: list[_El | str] = []

    def ele(self, name: str, text: str | None = None) -> _El:
        child = _El(name)
        if text is not None:
            child.children.append(text)
        self.children.append(child)
        return child

    def render(self, depth: int, out: list[str], pretty: bool) -> None:
        pad = "  " * depth if pretty else ""
        attrs = "".join(f' {k}="{_esc_attr(v)}"' for k, v in self.attrs)
        kids = self.children
        if not kids or all(isinstance(c, str) and c == "" for c in kids):
            out.append(f"{pad}<{self.name}{attrs}/>")
        elif len(kids) == 1 and isinstance(kids[0], str):
            out.append(f"{pad}<{self.name}{attrs}>{_esc_text(kids[0])}</{self.name}>")
        else:
            out.append(f"{pad}<{self.name}{attrs}>")
            for c in kids:
                if isinstance(c, str):
                    out.append(("  " * (depth + 1) if pretty else "") + _esc_text(c))
                else:
                    c.render(depth + 1, out, pretty)
            out.append(f"{pad}</{self.name}>")


def _text(value: Any) -> str:
    return "" if value is None else js_string(value)


def _fill(el: _El, obj: Any, attrkey: str, charkey: str) -> None:  # noqa: C901  (xml2js render)
    if not isinstance(obj, dict | list):
        el.children.append(_text(obj))
        return
    if isinstance(obj, list):
        for child in obj:
            if isinstance(child, dict):
                for key, entry in child.items():
                    _fill(el.ele(key), entry, attrkey, charkey)
        return
    for key, child in obj.items():
        if key == attrkey:
            if isinstance(child, dict):
                el.attrs.extend((str(k), _text(v)) for k, v in child.items())
        elif key == charkey:
            el.children.append(_text(child))
        elif isinstance(child, list):
            for entry in child:
                if isinstance(entry, str):
                    el.ele(key, entry)
                else:
                    _fill(el.ele(key), entry, attrkey, charkey)
        elif isinstance(child, dict):
            _fill(el.ele(key), child, attrkey, charkey)
        else:
            el.ele(key, _text(child))


def json_to_xml(obj: dict[str, Any], options: dict[str, Any]) -> str:
    """Build like ``new xml2js.Builder(options).buildObject(obj)`` (pretty, two-space indent)."""
    attrkey = str(options.get("attrkey") or "$")
    charkey = str(options.get("charkey") or "_")
    root_name = str(options.get("rootName") or "root")
    if len(obj) == 1 and root_name == "root":
        root_name = next(iter(obj))
        body: Any = obj[root_name]
    else:
        body = obj
    root = _El(root_name)
    _fill(root, body, attrkey, charkey)
    lines: list[str] = []
    if not options.get("headless"):
        lines.append('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    root.render(0, lines, True)
    return "\n".join(lines)


@register("xml")
def xml_node(ctx: NodeContext) -> Outputs:
    mode = ctx.param("mode", 0, "xmlToJson")
    prop = str(ctx.param("dataPropertyName", 0, "data") or "data")
    options = dict(ctx.param("options", 0, {}) or {})
    out: list[Item] = []
    for i, item in enumerate(ctx.items):
        js = item.get("json") or {}
        try:
            if mode == "xmlToJson":
                if prop not in js:
                    raise NodeError(ctx.node.name, f'No json property "{prop}" does not exists on item!',
                                    fix=f"Set 'Property Name' to the field holding the XML (not {prop!r}).")
                try:
                    parsed = xml_to_json(js_string(js[prop]), options)
                except (expat.ExpatError, ValueError) as exc:
                    raise NodeError(ctx.node.name, f"Invalid XML: {exc}",
                                    fix=f"Check the XML text in the field {prop!r}.") from exc
                out.append({"json": parsed if isinstance(parsed, dict) else {prop: parsed}})
            elif mode == "jsonToxml":
                out.append({"json": {prop: json_to_xml(js, options)}, "pairedItem": {"item": i}})
            else:
                raise NodeError(ctx.node.name, f'The operation "{mode}" is not known!',
                                fix="Use 'xmlToJson' or 'jsonToxml'.")
        except NodeError:
            if ctx.node.on_error == "stopWorkflow":
                raise
            # n8n's XML node drops an item that failed under "continue on fail".
            continue
    return [out]
