"""The tool registry: declared name, description, JSON-schema inputs and permissions.

A tool is validated when it is constructed (a bad declaration is our bug and fails at import,
not when an agent first calls it). Arguments are validated against the declared schema on every
call; a mismatch, like any :class:`~iza.agents.ToolError` the tool raises, becomes an observation
the agent sees, so a model can correct itself. Any other exception is a bug and propagates.

Higher layers register more tools here (app generation, repository search, Stripe): the agents
layer owns the registry so nothing in it imports upwards.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iza.agents._errors import ToolError, ToolSpecError
from iza.agents._ports import MemorySink

__all__ = [
    "PERMISSIONS",
    "Tool",
    "ToolContext",
    "ToolRegistry",
    "ToolResult",
    "validate_args",
]

PERMISSIONS: frozenset[str] = frozenset({
    "memory.read", "memory.write", "messages.send", "workflows.run", "network.http",
    "files.write", "payments", "email.send", "publish",
})
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,47}$")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,),
}


@dataclass(frozen=True)
class ToolContext:
    """What a tool may touch: its mission's namespace, workspace and the configured limits."""

    mission_id: str
    task_id: str
    agent_id: str
    workspace: Path
    memory: MemorySink
    http_allowlist: tuple[str, ...] = ()
    http_timeout: float = 10.0


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    output: Any
    error: str | None = None

    def observation(self) -> str:
        import json

        if self.ok:
            return json.dumps(self.output, default=str, ensure_ascii=False)
        return f"ERROR: {self.error}"


def _check_schema(name: str, schema: Any) -> None:
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ToolSpecError(f"tool {name!r}: inputs must be a JSON schema of type 'object'")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise ToolSpecError(f"tool {name!r}: inputs.properties must be an object")
    for pname, pschema in props.items():
        if not isinstance(pschema, dict) or pschema.get("type") not in _TYPES:
            raise ToolSpecError(f"tool {name!r}: input {pname!r} needs a type, one of "
                                f"{', '.join(_TYPES)}")
        if not isinstance(pschema.get("description"), str) or not pschema["description"]:
            raise ToolSpecError(f"tool {name!r}: input {pname!r} needs a description")
    required = schema.get("required", [])
    missing = [r for r in required if r not in props]
    if missing:
        raise ToolSpecError(f"tool {name!r}: required input(s) {missing} are not declared")


def validate_args(schema: dict[str, Any], args: Any) -> list[str]:
    """Problems with ``args`` against the (subset of) JSON schema tools declare; empty if fine."""
    if not isinstance(args, dict):
        return ["arguments must be a JSON object"]
    problems = [f"missing required argument {r!r}" for r in schema.get("required", []) if r not in args]
    props: dict[str, Any] = schema.get("properties", {})
    for key, value in args.items():
        if key not in props:
            if schema.get("additionalProperties", False) is False:
                problems.append(f"unexpected argument {key!r}")
            continue
        spec = props[key]
        want = _TYPES[spec["type"]]
        if not isinstance(value, want) or (isinstance(value, bool) and bool not in want):
            problems.append(f"argument {key!r} must be {spec['type']}")
        elif "enum" in spec and value not in spec["enum"]:
            problems.append(f"argument {key!r} must be one of {spec['enum']}")
        elif isinstance(value, str) and len(value) > spec.get("maxLength", 1_000_000):
            problems.append(f"argument {key!r} is longer than {spec['maxLength']} characters")
    return problems


@dataclass(frozen=True)
class Tool:
    """A tool an agent may call.

    >>> Tool("echo", "Return the text.", {"type": "object", "properties": {"text":
    ...      {"type": "string", "description": "what to return"}}, "required": ["text"]},
    ...      frozenset(), lambda ctx, args: args["text"])
    """

    name: str
    description: str
    inputs: dict[str, Any]
    permissions: frozenset[str]
    func: Callable[[ToolContext, dict[str, Any]], Any] = field(repr=False)
    #: A reason when every call needs a person's approval first (spending, email, publishing).
    approval: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ToolSpecError(f"tool name {self.name!r} must be snake_case, 2-48 characters")
        if not self.description.strip():
            raise ToolSpecError(f"tool {self.name!r} needs a description")
        _check_schema(self.name, self.inputs)
        unknown = set(self.permissions) - PERMISSIONS
        if unknown:
            raise ToolSpecError(f"tool {self.name!r}: unknown permission(s) {sorted(unknown)}; "
                                f"known: {sorted(PERMISSIONS)}")

    def spec(self) -> dict[str, Any]:
        """The declaration offered to a model (OpenAI-style function schema)."""
        return {"name": self.name, "description": self.description, "parameters": self.inputs}

    def call(self, ctx: ToolContext, args: Any) -> ToolResult:
        problems = validate_args(self.inputs, args)
        if problems:
            return ToolResult(False, None, f"{self.name}: " + "; ".join(problems))
        try:
            return ToolResult(True, self.func(ctx, dict(args)))
        except ToolError as exc:
            return ToolResult(False, None, f"{self.name}: {exc.message}")


class ToolRegistry:
    """Tools by name. ``default_registry()`` holds the built-ins; tests build their own."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._lock = threading.Lock()
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool, *, replace: bool = False) -> None:
        with self._lock:
            if tool.name in self._tools and not replace:
                raise ToolSpecError(f"a tool named {tool.name!r} is already registered")
            self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self._tools)

    def specs(self, allowed: Iterable[str]) -> list[dict[str, Any]]:
        return [self._tools[n].spec() for n in allowed if n in self._tools]

    def call(self, name: str, ctx: ToolContext, args: Any, allowed: Iterable[str]) -> ToolResult:
        """Call ``name`` for an agent allowed ``allowed``; unknown or forbidden → observation."""
        if name not in set(allowed):
            return ToolResult(False, None, f"tool {name!r} is not allowed for agent {ctx.agent_id}")
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult(False, None, f"no tool named {name!r}")
        return tool.call(ctx, args)
