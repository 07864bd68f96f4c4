"""The two ports through which the workforce reaches a model and the shared memory.

``iza.llm`` and ``iza.memory`` are built in parallel with this package, so the workforce does not
import them: it declares what it needs as two small protocols and ships a default memory backed
by its own tables (:mod:`iza.agents._memory`). Adapters to the real subsystems implement these
protocols; nothing else in the package changes.

* :class:`ChatModel` — one chat turn that may return text, structured data or tool calls, with
  the usage it cost. Tests script it with a function of the messages (:class:`ScriptedModel`).
* :class:`MemorySink` — results stored with provenance, searched per mission namespace, and the
  agents' mailboxes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "MailMessage",
    "MemoryRecord",
    "MemorySink",
    "ScriptedModel",
    "ToolCall",
]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ChatMessage:
    """``role`` is system, user, assistant or tool (a tool's observation, with ``tool_call_id``)."""

    role: str
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class ChatRequest:
    """One turn. ``response_schema`` asks for JSON matching it; ``tools`` offers tool calls."""

    model: str
    messages: tuple[ChatMessage, ...]
    tools: tuple[dict[str, Any], ...] = ()
    response_schema: dict[str, Any] | None = None
    #: mission, task and agent ids: for the provider's journal and cost attribution.
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatResponse:
    """A model's answer. ``content`` holds the text (JSON text for structured output)."""

    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_micros: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"content": self.content, "model": self.model, "tokens_in": self.tokens_in,
                "tokens_out": self.tokens_out, "cost_micros": self.cost_micros,
                "tool_calls": [{"id": c.id, "name": c.name, "arguments": c.arguments}
                               for c in self.tool_calls]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatResponse:
        calls = tuple(ToolCall(c["id"], c["name"], dict(c["arguments"])) for c in data["tool_calls"])
        return cls(data["content"], calls, data["model"], data["tokens_in"], data["tokens_out"],
                   data["cost_micros"])


@runtime_checkable
class ChatModel(Protocol):
    """A chat model. Implementations raise ``iza.errors.RuntimeFailure`` subclasses on failure."""

    def chat(self, request: ChatRequest) -> ChatResponse:
        """Answer one turn."""
        ...


class ScriptedModel:
    """A :class:`ChatModel` whose answers come from a function of the request (tests, demos).

    >>> model = ScriptedModel(lambda req: ChatResponse(content='{"objectives": []}'))
    """

    __test__ = False

    def __init__(self, script: Callable[[ChatRequest], ChatResponse]) -> None:
        self.script = script
        self.calls: list[ChatRequest] = []

    def chat(self, request: ChatRequest) -> ChatResponse:
        self.calls.append(request)
        return self.script(request)


@dataclass(frozen=True)
class MemoryRecord:
    """A result with provenance: which mission, agent and task produced it."""

    namespace: str
    text: str
    kind: str = "note"
    mission_id: str | None = None
    agent_id: str | None = None
    task_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    score: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "namespace": self.namespace, "text": self.text, "kind": self.kind,
                "mission_id": self.mission_id, "agent_id": self.agent_id, "task_id": self.task_id,
                "data": self.data, "score": self.score}


@dataclass(frozen=True)
class MailMessage:
    sender: str
    recipient: str
    body: str
    mission_id: str | None = None
    task_id: str | None = None
    id: str = ""


@runtime_checkable
class MemorySink(Protocol):
    """Shared memory for agents: results with provenance, search, and mailboxes."""

    def add(self, record: MemoryRecord) -> str:
        """Store ``record``; return its id."""
        ...

    def search(self, namespace: str, query: str, limit: int = 5) -> Sequence[MemoryRecord]:
        """Records of ``namespace`` relevant to ``query``, best first."""
        ...

    def send(self, message: MailMessage) -> str:
        """Deliver ``message`` to its recipient's mailbox; return its id."""
        ...

    def inbox(self, recipient: str, mission_id: str | None = None) -> Sequence[MailMessage]:
        """Messages to ``recipient`` (optionally of one mission), oldest first."""
        ...
