"""One message model for every provider: plain dataclasses, no IO.

Adapters in ``iza.llm.providers`` translate these to and from each vendor's wire format, so the
rest of IZA (agents, workflows) never sees a vendor type. ``ChatRequest.fingerprint()`` is the
request hash the journal, the cache and replay key on: it must stay stable across releases, so
it hashes a canonical JSON form rather than Python reprs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from iza.errors import InputError

__all__ = [
    "CallContext",
    "ChatRequest",
    "ChatResult",
    "EmbedResult",
    "Message",
    "Role",
    "StreamEvent",
    "Tool",
    "ToolCall",
    "Usage",
    "as_context",
    "as_messages",
    "as_tools",
]

Role = Literal["system", "user", "assistant", "tool"]
_ROLES: tuple[Role, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class ToolCall:
    """A function call the model asked for; ``arguments`` is already parsed JSON."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Message:
    """One turn. ``tool`` messages answer the call named by ``tool_call_id``."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    @classmethod
    def system(cls, text: str) -> Message:
        return cls("system", text)

    @classmethod
    def user(cls, text: str) -> Message:
        return cls("user", text)

    @classmethod
    def assistant(cls, text: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
        return cls("assistant", text, tuple(tool_calls))

    @classmethod
    def tool(cls, tool_call_id: str, content: str, name: str | None = None) -> Message:
        return cls("tool", content, tool_call_id=tool_call_id, name=name)


@dataclass(frozen=True)
class Tool:
    """A function the model may call. ``parameters`` is a JSON schema of an object."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class Usage:
    """Tokens of one call. ``estimated`` is true when the provider reported none (or nonsense)
    and the numbers are our own estimate; costs computed from it are estimates too."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.estimated or other.estimated,
        )


@dataclass(frozen=True)
class CallContext:
    """Who asked: journal rows and budgets are keyed on these. All optional."""

    agent: str | None = None
    mission: str | None = None
    order: str | None = None
    customer: str | None = None
    workflow_run: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    """What the router sends to one deployment (the model name is the deployment's)."""

    messages: tuple[Message, ...]
    tools: tuple[Tool, ...] = ()
    response_schema: Mapping[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None

    def canonical(self) -> dict[str, Any]:
        return {
            "messages": [asdict(m) for m in self.messages],
            "tools": [asdict(t) for t in self.tools],
            "response_schema": self.response_schema,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
        }

    def fingerprint(self, model: str) -> str:
        """SHA-256 of the canonical request plus the requested model (alias or provider:model)."""
        data = {"model": model, **self.canonical()}
        raw = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChatResult:
    """The answer. ``parsed`` holds the validated object when a response schema was given."""

    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    provider: str = ""
    model: str = ""
    finish_reason: str = ""
    cost_usd: float = 0.0
    parsed: Any = None
    #: ``live``, ``cached`` or ``replayed``: where the answer came from.
    source: str = "live"
    latency_ms: float = 0.0
    request_hash: str = ""

    def message(self) -> Message:
        """This answer as an assistant message, to append to the conversation."""
        return Message.assistant(self.content, self.tool_calls)

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "tool_calls": [asdict(t) for t in self.tool_calls],
            "provider": self.provider,
            "model": self.model,
            "usage": {
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "estimated": self.usage.estimated,
            },
            "cost_usd": round(self.cost_usd, 8),
            "finish_reason": self.finish_reason,
            "source": self.source,
        }


@dataclass(frozen=True)
class EmbedResult:
    """One vector per input text, in input order."""

    vectors: tuple[tuple[float, ...], ...]
    usage: Usage = field(default_factory=Usage)
    provider: str = ""
    model: str = ""
    cost_usd: float = 0.0
    source: str = "live"


@dataclass(frozen=True)
class StreamEvent:
    """One piece of a streamed answer: a text delta, then a final event with ``result`` set."""

    delta: str = ""
    result: ChatResult | None = None


def _call(c: Any) -> ToolCall:
    if isinstance(c, ToolCall):
        return c
    if isinstance(c, Mapping):
        return ToolCall(str(c["id"]), str(c["name"]), dict(c.get("arguments") or {}))
    return ToolCall(str(c.id), str(c.name), dict(c.arguments or {}))


def _message(m: Any) -> Message:
    if isinstance(m, Message):
        return m
    get = m.get if isinstance(m, Mapping) else (lambda k, d=None: getattr(m, k, d))
    role = get("role")
    if role not in _ROLES:
        raise InputError(f"message role {role!r} is not one of {', '.join(_ROLES)}",
                         fix="give each message a role of system, user, assistant or tool")
    return Message(role, get("content") or "", tuple(_call(c) for c in get("tool_calls") or ()),
                   get("tool_call_id"), get("name"))


def as_messages(messages: str | Message | Sequence[Any]) -> tuple[Message, ...]:
    """Accept a prompt string, one message, or a list of messages, ``{"role","content",…}`` dicts
    or any objects with those attributes (another package's own message type)."""
    if isinstance(messages, str):
        return (Message.user(messages),)
    if isinstance(messages, Message):
        return (messages,)
    return tuple(_message(m) for m in messages)


def as_tools(tools: Sequence[Any]) -> tuple[Tool, ...]:
    """Tools as :class:`Tool`, ``{"name","description","parameters"}`` dicts or such objects."""
    out = []
    for t in tools:
        if isinstance(t, Tool):
            out.append(t)
            continue
        get = t.get if isinstance(t, Mapping) else (lambda k, d=None, t=t: getattr(t, k, d))
        params = get("parameters") or get("input_schema") or {"type": "object", "properties": {}}
        out.append(Tool(str(get("name")), str(get("description") or ""), dict(params)))
    return tuple(out)


def as_context(context: CallContext | Mapping[str, Any] | None) -> CallContext:
    """A :class:`CallContext` from itself, ``None``, or a metadata dict (unknown keys ignored;
    ``order_id``/``mission_id``/``agent_id``-style names are understood too)."""
    if context is None:
        return CallContext()
    if isinstance(context, CallContext):
        return context
    def pick(name: str) -> str | None:
        for key in (name, f"{name}_id", f"{name}_ref"):
            if context.get(key) is not None:
                return str(context[key])
        return None

    return CallContext(agent=pick("agent"), mission=pick("mission"), order=pick("order"),
                       customer=pick("customer"), workflow_run=pick("workflow_run") or pick("run"))
