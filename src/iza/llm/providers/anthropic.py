"""Anthropic messages wire format.

Differences from OpenAI that this module absorbs: system text is a parameter, not a message;
tool results travel inside a *user* message as ``tool_result`` blocks; consecutive messages of
one role must be merged; ``max_tokens`` is mandatory. Structured output is asked for in the
system prompt and validated by the router (portable across API versions).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iza.llm._errors import ProviderError, StreamTruncated
from iza.llm._messages import ChatRequest, ChatResult, StreamEvent, ToolCall
from iza.llm.providers.base import (
    error_for_status,
    is_vendor_error,
    map_transport_error,
    parse_arguments,
    sane_usage,
)

__all__ = ["DEFAULT_MAX_TOKENS", "AnthropicProvider", "to_wire"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_TOKENS = 4096


def schema_instruction(schema: Any) -> str:
    return (
        "Answer with one JSON value only, no prose and no code fences, matching this JSON schema:\n"
        + json.dumps(schema, sort_keys=True)
    )


def to_wire(request: ChatRequest, model: str) -> dict[str, Any]:
    """The keyword arguments of ``client.messages.create``."""
    system = [m.content for m in request.messages if m.role == "system"]
    if request.response_schema is not None:
        system.append(schema_instruction(request.response_schema))
    turns: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        blocks: list[dict[str, Any]]
        if m.role == "tool":
            role = "user"
            blocks = [{"type": "tool_result", "tool_use_id": m.tool_call_id or "", "content": m.content}]
        elif m.role == "assistant":
            role = "assistant"
            blocks = [{"type": "text", "text": m.content}] if m.content else []
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.tool_calls
            ]
        else:
            role = "user"
            blocks = [{"type": "text", "text": m.content}]
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    kw: dict[str, Any] = {
        "model": model,
        "messages": turns,
        "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
    }
    if system:
        kw["system"] = "\n\n".join(system)
    if request.tools:
        kw["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
            for t in request.tools
        ]
    if request.temperature is not None:
        kw["temperature"] = request.temperature
    return kw


@dataclass
class AnthropicProvider:
    """Messages through an ``anthropic.Anthropic`` client (SDK retries already off)."""

    client: Any
    name: str = "anthropic"

    def complete(self, model: str, request: ChatRequest, timeout: float) -> ChatResult:
        try:
            resp = self.client.messages.create(**to_wire(request, model), timeout=timeout)
            text: list[str] = []
            calls: list[ToolCall] = []
            for block in resp.content or ():
                if block.type == "text":
                    text.append(block.text)
                elif block.type == "tool_use":
                    calls.append(ToolCall(block.id, block.name, parse_arguments(block.input)))
            content = "".join(text)
            usage = getattr(resp, "usage", None)
            return ChatResult(
                content=content,
                tool_calls=tuple(calls),
                provider=self.name,
                model=model,
                finish_reason=resp.stop_reason or "",
                usage=sane_usage(
                    getattr(usage, "input_tokens", None),
                    getattr(usage, "output_tokens", None),
                    request,
                    content,
                ),
            )
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc

    def stream(self, model: str, request: ChatRequest, timeout: float) -> Iterator[StreamEvent]:
        text: list[str] = []
        blocks: dict[int, dict[str, str]] = {}
        input_tokens: Any = None
        output_tokens: Any = None
        finish = ""
        stopped = False
        try:
            events = self.client.messages.create(**to_wire(request, model), timeout=timeout, stream=True)
            for ev in events:
                kind = ev.type
                if kind == "message_start":
                    input_tokens = getattr(ev.message.usage, "input_tokens", None)
                elif kind == "content_block_start" and ev.content_block.type == "tool_use":
                    blocks[ev.index] = {"id": ev.content_block.id, "name": ev.content_block.name, "json": ""}
                elif kind == "content_block_delta":
                    if ev.delta.type == "text_delta":
                        text.append(ev.delta.text)
                        yield StreamEvent(delta=ev.delta.text)
                    elif ev.delta.type == "input_json_delta" and ev.index in blocks:
                        blocks[ev.index]["json"] += ev.delta.partial_json
                elif kind == "message_delta":
                    output_tokens = getattr(ev.usage, "output_tokens", None)
                    finish = ev.delta.stop_reason or finish
                elif kind == "message_stop":
                    stopped = True
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc
        if not stopped:
            raise StreamTruncated(
                f"{self.name} {model}: stream ended before message_stop", provider=self.name, model=model
            )
        content = "".join(text)
        calls = tuple(
            ToolCall(b["id"], b["name"], parse_arguments(b["json"] or "{}"))
            for _, b in sorted(blocks.items())
        )
        yield StreamEvent(
            result=ChatResult(
                content=content,
                tool_calls=calls,
                provider=self.name,
                model=model,
                finish_reason=finish,
                usage=sane_usage(input_tokens, output_tokens, request, content),
            )
        )

    def _map(self, exc: Exception, model: str) -> ProviderError:
        if not is_vendor_error(exc):
            raise exc
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            response = getattr(exc, "response", None)
            headers = dict(response.headers) if response is not None else None
            body = getattr(exc, "body", None)
            return error_for_status(
                status,
                getattr(exc, "message", str(exc)),
                provider=self.name,
                model=model,
                headers=headers,
                body=json.dumps(body, default=str)[:2000] if body else None,
                key_name="ANTHROPIC_API_KEY",
            )
        return map_transport_error(exc, provider=self.name, model=model)
