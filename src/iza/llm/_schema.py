"""Structured output: pull the JSON out of an answer and check it against a JSON schema.

A deliberately small validator (type, properties, required, additionalProperties, items,
enum, const, min/max length and value, anyOf) instead of a dependency: the schemas agents
pass are small, and every violation is reported with its JSON path so the repair prompt can
tell the model exactly what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["extract_json", "repair_prompt", "validate"]

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def extract_json(text: str) -> Any:
    """Parse the answer as JSON, tolerating a code fence around it; raises ``ValueError``."""
    stripped = text.strip()
    m = _FENCE.match(stripped)
    if m:
        stripped = m.group(1)
    return json.loads(stripped)


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def validate(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every violation of ``schema`` by ``value``, as ``"<path>: <problem>"``; empty when valid."""
    errors: list[str] = []
    if "anyOf" in schema:
        if all(validate(value, s, path) for s in schema["anyOf"]):
            errors.append(f"{path}: matches none of the allowed shapes")
        return errors
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: expected {'/'.join(kinds)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if isinstance(value, dict):
        errors.extend(_object(value, schema, path))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(validate(item, schema["items"], f"{path}[{i}]"))
    errors.extend(_bounds(value, schema, path))
    return errors


def _object(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> list[str]:
    errors = [f"{path}: missing required property {name!r}" for name in schema.get("required", ())
              if name not in value]
    props = schema.get("properties", {})
    for name, sub in value.items():
        if name in props:
            errors.extend(validate(sub, props[name], f"{path}.{name}"))
        elif schema.get("additionalProperties") is False:
            errors.append(f"{path}: unexpected property {name!r}")
    return errors


def _bounds(value: Any, schema: Mapping[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    if isinstance(value, list | str):
        low = schema.get("minItems" if isinstance(value, list) else "minLength")
        high = schema.get("maxItems" if isinstance(value, list) else "maxLength")
        if low is not None and len(value) < low:
            errors.append(f"{path}: shorter than {low}")
        if high is not None and len(value) > high:
            errors.append(f"{path}: longer than {high}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: below minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: above maximum {schema['maximum']}")
    return errors


def repair_prompt(problems: list[str]) -> str:
    return (
        "Your previous answer did not match the required JSON schema:\n- "
        + "\n- ".join(problems[:10])
        + "\nReply again with only the corrected JSON value."
    )
