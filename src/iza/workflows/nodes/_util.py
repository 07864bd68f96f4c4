"""Helpers shared by node implementations: dotted paths, JS-like coercion, deep equality."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from iza.workflows._sandbox import UNDEFINED

__all__ = ["MISSING", "get_path", "js_number", "js_string", "set_path", "split_path", "unset_path"]

MISSING: Any = object()
_PATH = re.compile(r"[^.\[\]]+|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """lodash-style path: ``a.b[0].c`` → ``['a', 'b', 0, 'c']``; ``['x.y']`` quoting is kept."""
    parts: list[str | int] = []
    for m in re.finditer(r"\[\s*(['\"])(.*?)\1\s*\]|\[(\d+)\]|([^.\[\]]+)", path):
        if m.group(2) is not None:
            parts.append(m.group(2))
        elif m.group(3) is not None:
            parts.append(int(m.group(3)))
        else:
            parts.append(m.group(4))
    return parts


def get_path(obj: Any, path: str, default: Any = MISSING, dot: bool = True) -> Any:
    if not dot or (isinstance(obj, dict) and path in obj):
        # lodash ``get``: a key that exists as written wins over reading it as a path.
        return obj.get(path, default) if isinstance(obj, dict) else default
    cur = obj
    for part in split_path(path):
        if isinstance(cur, dict) and str(part) in cur:
            cur = cur[str(part)]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, str) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return default
    return cur


def set_path(obj: dict[str, Any], path: str, value: Any, dot: bool = True) -> None:
    if not dot:
        obj[path] = value
        return
    parts = split_path(path)
    if not parts:
        obj[path] = value
        return
    cur: Any = obj
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        key: Any = part if isinstance(cur, list) else str(part)
        if isinstance(cur, list):
            while len(cur) <= int(key):
                cur.append(None)
            if not isinstance(cur[key], dict | list):
                cur[key] = [] if isinstance(nxt, int) else {}
            cur = cur[key]
        else:
            if not isinstance(cur.get(key), dict | list):
                cur[key] = [] if isinstance(nxt, int) else {}
            cur = cur[key]
    last = parts[-1]
    if isinstance(cur, list) and isinstance(last, int):
        while len(cur) <= last:
            cur.append(None)
        cur[last] = value
    elif isinstance(cur, dict):
        cur[str(last)] = value


def unset_path(obj: dict[str, Any], path: str, dot: bool = True) -> None:
    if not dot:
        obj.pop(path, None)
        return
    parts = split_path(path)
    cur: Any = obj
    for part in parts[:-1]:
        cur = cur.get(str(part)) if isinstance(cur, dict) else None
        if cur is None:
            return
    if isinstance(cur, dict):
        cur.pop(str(parts[-1]), None)


def js_string(v: Any) -> str:
    """JavaScript ``String(v)`` for JSON-ish values."""
    if v is None:
        return "null"
    if v is UNDEFINED:
        return "undefined"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    if isinstance(v, list):
        return ",".join("" if x is None or x is UNDEFINED else js_string(x) for x in v)
    if isinstance(v, dict):
        return "[object Object]"
    return str(v)


def js_number(v: Any) -> float | int:
    """JavaScript ``Number(v)``; NaN when not convertible."""
    if v is None:
        return 0
    if v is True:
        return 1
    if v is False:
        return 0
    if isinstance(v, int | float):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0
        try:
            if re.fullmatch(r"[+-]?0[xX][0-9a-fA-F]+", s):
                return int(s, 16)
            f = float(s)
            if s.lower() in (
                "inf",
                "+inf",
                "-inf",
                "nan",
                "infinity",
                "+infinity",
                "-infinity",
            ) and s not in ("Infinity", "+Infinity", "-Infinity"):
                return math.nan
            return int(f) if f.is_integer() and "." not in s and "e" not in s.lower() else f
        except ValueError:
            return math.nan
    if isinstance(v, list):
        if not v:
            return 0
        if len(v) == 1:
            return js_number(v[0]) if not isinstance(v[0], list | dict) else js_number(js_string(v[0]))
        return math.nan
    return math.nan


def to_json_text(v: Any) -> str:
    """``JSON.stringify`` with JS's compact separators."""
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
