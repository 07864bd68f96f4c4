"""n8n's filter conditions (IF v2, Filter v2, Switch v3): typed operators with strict or loose types.

A condition is ``{leftValue, rightValue, operator: {type, operation, singleValue}}``. With strict
type validation a left value of the wrong type is an error naming the condition; with loose
validation values are converted first (``"3"`` → 3, ``"true"`` → true).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from iza.workflows._sandbox import UNDEFINED
from iza.workflows.nodes._util import js_number, js_string, to_json_text

__all__ = ["FilterTypeError", "evaluate_filter", "parse_date", "js_regex"]


class FilterTypeError(ValueError):
    pass


def _type_name(v: Any) -> str:
    if v is None or v is UNDEFINED:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def parse_date(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return datetime.fromtimestamp(v / 1000 if abs(v) > 1e11 else v, UTC)
    if isinstance(v, str) and v.strip():
        s = v.strip().replace("Z", "+00:00")
        try:
            d = datetime.fromisoformat(s)
        except ValueError:
            return None
        return d if d.tzinfo else d.replace(tzinfo=UTC)
    return None


def _convert(value: Any, type_: str, loose: bool, which: str, index: int) -> Any:  # noqa: C901  (one branch per n8n mode)
    if value is UNDEFINED:
        value = None
    if value is None or type_ == "any":
        return value
    actual = _type_name(value)
    if type_ == "dateTime":
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            d = parse_date(value)
            if d is not None:
                return d
        if loose:
            return value
        raise FilterTypeError(
            f"Wrong type: '{_show(value)}' is a {actual} but was expecting a dateTime "
            f"[condition {index}, item {{item}}]"
        )
    if actual == type_:
        return value
    if loose:
        try:
            if type_ == "number":
                n = js_number(value)
                if isinstance(n, float) and math.isnan(n):
                    raise FilterTypeError("nan")
                return n
            if type_ == "boolean":
                s = js_string(value).strip().lower()
                if s in ("true", "1"):
                    return True
                if s in ("false", "0"):
                    return False
                raise FilterTypeError("bool")
            if type_ == "string":
                return to_json_text(value) if isinstance(value, dict | list) else js_string(value)
            if type_ in ("array", "object") and isinstance(value, str):
                import json

                parsed = json.loads(value)
                if _type_name(parsed) == type_:
                    return parsed
        except (FilterTypeError, ValueError):
            pass
        raise FilterTypeError(
            f"Conversion error: the {which} value '{_show(value)}' can't be converted "
            f"to {_article(type_)} {type_} [condition {index}, item {{item}}]"
        )
    raise FilterTypeError(
        f"Wrong type: '{_show(value)}' is {_article(actual)} {actual} but was "
        f"expecting {_article(type_)} {type_} [condition {index}, item {{item}}]"
    )


def _article(t: str) -> str:
    return "an" if t[0] in "aeiou" else "a"


def _show(v: Any) -> str:
    return to_json_text(v) if isinstance(v, dict | list) else js_string(v)


def js_regex(pattern: str) -> re.Pattern[str]:
    m = re.fullmatch(r"/(.*)/([a-z]*)", pattern, re.S)
    flags = 0
    if m:
        pattern, fl = m.group(1), m.group(2)
        if "i" in fl:
            flags |= re.I
        if "m" in fl:
            flags |= re.M
        if "s" in fl:
            flags |= re.S
    pattern = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    return re.compile(pattern, flags)


def _empty(v: Any) -> bool:
    if v is None or v is UNDEFINED or v == "":
        return True
    if isinstance(v, list | dict):
        return len(v) == 0
    return isinstance(v, float) and math.isnan(v)


def _op(type_: str, op: str, left: Any, right: Any, case_sensitive: bool) -> bool:  # noqa: C901  (one branch per n8n mode)
    exists = left is not None and left is not UNDEFINED
    if op == "exists":
        return exists
    if op == "notExists":
        return not exists
    if op == "empty":
        return _empty(left)
    if op == "notEmpty":
        return not _empty(left)
    if type_ == "string" and not case_sensitive:
        left = left.lower() if isinstance(left, str) else left
        right = right.lower() if isinstance(right, str) else right
    if type_ == "array" and op in ("contains", "notContains") and not case_sensitive:
        left = [x.lower() if isinstance(x, str) else x for x in (left or [])]
        right = right.lower() if isinstance(right, str) else right
    if op == "equals":
        return bool(left == right) if not isinstance(left, datetime) else left == right
    if op == "notEquals":
        return not (left == right)
    if op in ("true",):
        return left is True
    if op in ("false",):
        return left is False
    if left is None:
        return False
    if op in ("gt", "after"):
        return right is not None and left > right
    if op in ("lt", "before"):
        return right is not None and left < right
    if op in ("gte", "afterOrEquals"):
        return right is not None and left >= right
    if op in ("lte", "beforeOrEquals"):
        return right is not None and left <= right
    if op == "contains":
        return (right in left) if isinstance(left, str | list) and right is not None else False
    if op == "notContains":
        return not ((right in left) if isinstance(left, str | list) and right is not None else False)
    if op == "startsWith":
        return str(left).startswith(str(right))
    if op == "notStartsWith":
        return not str(left).startswith(str(right))
    if op == "endsWith":
        return str(left).endswith(str(right))
    if op == "notEndsWith":
        return not str(left).endswith(str(right))
    if op in ("regex", "notRegex"):
        found = bool(js_regex(str(right)).search(str(left))) if right is not None else False
        return found if op == "regex" else not found
    if op.startswith("length"):
        n = len(left) if isinstance(left, list) else 0
        r = js_number(right)
        return {
            "lengthEquals": n == r,
            "lengthNotEquals": n != r,
            "lengthGt": n > r,
            "lengthLt": n < r,
            "lengthGte": n >= r,
            "lengthLte": n <= r,
        }.get(op, False)
    raise FilterTypeError(f"unknown operator {type_}:{op}")


def evaluate_filter(
    value: dict[str, Any], item_index: int, *, loose: bool = False, ignore_case: bool | None = None
) -> bool:
    """Evaluate a resolved filter parameter for one item."""
    options = value.get("options") or {}
    case_sensitive = options.get("caseSensitive", True) if ignore_case is None else not ignore_case
    if options.get("typeValidation") == "loose":
        loose = True
    combinator = value.get("combinator", "and")
    results = []
    for idx, cond in enumerate(value.get("conditions") or []):
        operator = cond.get("operator") or {}
        type_ = operator.get("type", "string")
        op = operator.get("operation", "equals")
        try:
            left = (
                _convert(cond.get("leftValue"), type_, loose, "left", idx + 1)
                if op not in ("exists", "notExists", "empty", "notEmpty")
                else cond.get("leftValue")
            )
            right = None
            if not operator.get("singleValue") and op not in (
                "exists",
                "notExists",
                "empty",
                "notEmpty",
                "true",
                "false",
            ):
                rtype = "number" if op.startswith("length") else ("string" if type_ == "array" else type_)
                if type_ == "array" and op in ("contains", "notContains"):
                    rtype = "any"
                # The right value is typed in the editor as text: it is always converted.
                right = _convert(cond.get("rightValue"), rtype, True, "right", idx + 1)
            if type_ == "boolean" and op in ("true", "false") and left is UNDEFINED:
                left = None
        except FilterTypeError as exc:
            raise FilterTypeError(str(exc).replace("{item}", str(item_index))) from exc
        results.append(_op(type_, op, left, right, bool(case_sensitive)))
    if not results:
        return True
    return all(results) if combinator == "and" else any(results)
