"""A fake LLM for other subsystems' tests: a :class:`Provider` you inject, never configured.

``FakeProvider(script)`` answers with whatever ``script(messages)`` returns (a string, an
assistant :class:`Message` with tool calls, or a full :class:`ChatResult`); a script may raise a
:class:`~iza.llm.ProviderError` to act out a failure. ``FakeProvider()`` without a script plays
the default agent turn: it calls every offered tool once (arguments filled from each tool's
schema), then answers, with JSON matching the response schema when one is given.

It goes through the same router, budgets and journal as a real provider::

    llm = LLM(settings, store=store, providers=[FakeProvider(lambda msgs: "42")])
    assert llm.chat("the answer?").content == "42"

Nothing selects it from configuration, so it can never stand in for a model by accident.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from iza.llm._messages import ChatRequest, ChatResult, EmbedResult, Message, StreamEvent, ToolCall, Usage
from iza.llm.providers.base import estimate_tokens

__all__ = ["FakeProvider", "sample_for_schema"]

__test__ = False

Script = Callable[[Sequence[Message]], "str | Message | ChatResult"]


def sample_for_schema(schema: Mapping[str, Any]) -> Any:
    """A small value that satisfies ``schema`` (first enum value, required properties only)."""
    if "enum" in schema:
        return list(schema["enum"])[0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: sample_for_schema(props.get(k, {})) for k in schema.get("required", list(props))}
    if kind == "array":
        return (
            [sample_for_schema(schema["items"])] * int(schema.get("minItems", 0)) if "items" in schema else []
        )
    return {"string": "text", "integer": 1, "number": 1.0, "boolean": True, "null": None}.get(kind, "text")


class FakeProvider:
    """A scripted provider. ``calls`` lists every request it received, for assertions."""

    __test__ = False

    def __init__(self, script: Script | None = None, *, name: str = "fake") -> None:
        self.script = script
        self.name = name
        self.calls: list[tuple[str, ChatRequest]] = []

    def _default(self, request: ChatRequest) -> Message | str:
        called = {c.name for m in request.messages for c in m.tool_calls}
        pending = [t for t in request.tools if t.name not in called]
        if pending:
            n = sum(len(m.tool_calls) for m in request.messages)
            return Message.assistant(
                "",
                [
                    ToolCall(f"fake_call_{n + i}", t.name, sample_for_schema(t.parameters))
                    for i, t in enumerate(pending)
                ],
            )
        if request.response_schema is not None:
            return json.dumps(sample_for_schema(request.response_schema))
        results = [m.content for m in request.messages if m.role == "tool"]
        return "done" + (": " + "; ".join(results) if results else "")

    def complete(self, model: str, request: ChatRequest, timeout: float) -> ChatResult:
        self.calls.append((model, request))
        out = self.script(request.messages) if self.script else self._default(request)
        if isinstance(out, ChatResult):
            return out
        msg = Message.assistant(out) if isinstance(out, str) else out
        prompt = "".join(m.content for m in request.messages)
        usage = Usage(estimate_tokens(prompt), estimate_tokens(msg.content) if msg.content else 0)
        return ChatResult(
            content=msg.content,
            tool_calls=msg.tool_calls,
            usage=usage,
            provider=self.name,
            model=model,
            finish_reason="tool_calls" if msg.tool_calls else "stop",
        )

    def embed(self, model: str, texts: Sequence[str], timeout: float) -> EmbedResult:
        """Deterministic unit vectors (16 dimensions) from each text's SHA-256: equal texts get equal
        vectors, different texts almost surely different ones; no meaning is implied."""
        vectors = []
        for text in texts:
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            raw = [b - 127.5 for b in digest[:16]]
            norm = sum(x * x for x in raw) ** 0.5 or 1.0
            vectors.append(tuple(x / norm for x in raw))
        self.calls.append((model, ChatRequest(tuple(Message.user(t) for t in texts))))
        return EmbedResult(tuple(vectors), Usage(sum(estimate_tokens(t) for t in texts), 0),
                           provider=self.name, model=model)

    def stream(self, model: str, request: ChatRequest, timeout: float) -> Iterator[StreamEvent]:
        result = self.complete(model, request, timeout)
        words = result.content.split(" ") if result.content else []
        for i, word in enumerate(words):
            yield StreamEvent(delta=word + (" " if i < len(words) - 1 else ""))
        yield StreamEvent(result=result)
