"""OpenAI chat completions wire format (also every OpenAI-compatible server).

The same translation serves ``openai`` and ``compat`` (Ollama, vLLM, llama.cpp, LM Studio);
they differ only in the client's base URL and in ``max_tokens`` naming: OpenAI's newer models
take ``max_completion_tokens`` and refuse ``max_tokens``, while most local servers know only the
latter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from iza.llm._errors import ProviderError, StreamTruncated
from iza.llm._messages import ChatRequest, ChatResult, EmbedResult, Message, StreamEvent, ToolCall
from iza.llm.providers.base import (
    embed_usage,
    error_for_status,
    is_vendor_error,
    map_transport_error,
    parse_arguments,
    sane_usage,
)

__all__ = ["OpenAIProvider", "to_wire"]

logger = logging.getLogger(__name__)


def _message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content}
    if m.role == "assistant" and m.tool_calls:
        return {
            "role": "assistant",
            "content": m.content or None,
            "tool_calls": [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                }
                for c in m.tool_calls
            ],
        }
    return {"role": m.role, "content": m.content}


def to_wire(
    request: ChatRequest, model: str, *, max_tokens_name: str = "max_completion_tokens"
) -> dict[str, Any]:
    """The keyword arguments of ``client.chat.completions.create``."""
    kw: dict[str, Any] = {"model": model, "messages": [_message(m) for m in request.messages]}
    if request.tools:
        kw["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)},
            }
            for t in request.tools
        ]
    if request.response_schema is not None:
        kw["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": dict(request.response_schema)},
        }
    if request.max_tokens is not None:
        kw[max_tokens_name] = request.max_tokens
    if request.temperature is not None:
        kw["temperature"] = request.temperature
    return kw


@dataclass
class OpenAIProvider:
    """Chat completions through an ``openai.OpenAI`` client (SDK retries already off)."""

    client: Any
    name: str = "openai"
    key_name: str = "OPENAI_API_KEY"
    max_tokens_name: str = "max_completion_tokens"

    def complete(self, model: str, request: ChatRequest, timeout: float) -> ChatResult:
        try:
            resp = self.client.chat.completions.create(
                **to_wire(request, model, max_tokens_name=self.max_tokens_name), timeout=timeout
            )
            choice = resp.choices[0]
            msg = choice.message
            calls = tuple(
                ToolCall(c.id, c.function.name, parse_arguments(c.function.arguments))
                for c in (msg.tool_calls or ())
            )
            content = msg.content or ""
            usage = getattr(resp, "usage", None)
            return ChatResult(
                content=content,
                tool_calls=calls,
                provider=self.name,
                model=model,
                finish_reason=choice.finish_reason or "",
                usage=sane_usage(
                    getattr(usage, "prompt_tokens", None),
                    getattr(usage, "completion_tokens", None),
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
        calls: dict[int, dict[str, str]] = {}
        finish = ""
        usage: Any = None
        try:
            chunks = self.client.chat.completions.create(
                **to_wire(request, model, max_tokens_name=self.max_tokens_name),
                timeout=timeout,
                stream=True,
                stream_options={"include_usage": True},
            )
            for chunk in chunks:
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage
                for choice in chunk.choices or ():
                    delta = choice.delta
                    if delta is not None and delta.content:
                        text.append(delta.content)
                        yield StreamEvent(delta=delta.content)
                    for tc in (delta.tool_calls if delta is not None else None) or ():
                        slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = tc.id or slot["id"]
                        if tc.function is not None:
                            slot["name"] += tc.function.name or ""
                            slot["arguments"] += tc.function.arguments or ""
                    if choice.finish_reason:
                        finish = choice.finish_reason
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc
        if not finish:
            raise StreamTruncated(
                f"{self.name} {model}: stream ended before its finish_reason", provider=self.name, model=model
            )
        content = "".join(text)
        tool_calls = tuple(
            ToolCall(c["id"], c["name"], parse_arguments(c["arguments"])) for _, c in sorted(calls.items())
        )
        yield StreamEvent(
            result=ChatResult(
                content=content,
                tool_calls=tool_calls,
                provider=self.name,
                model=model,
                finish_reason=finish,
                usage=sane_usage(
                    getattr(usage, "prompt_tokens", None),
                    getattr(usage, "completion_tokens", None),
                    request,
                    content,
                ),
            )
        )

    def embed(self, model: str, texts: Sequence[str], timeout: float) -> EmbedResult:
        try:
            resp = self.client.embeddings.create(model=model, input=list(texts), timeout=timeout)
            data = sorted(resp.data, key=lambda d: d.index)
            vectors = tuple(tuple(float(x) for x in d.embedding) for d in data)
            usage = getattr(resp, "usage", None)
            return EmbedResult(vectors, embed_usage(getattr(usage, "prompt_tokens", None), texts),
                               provider=self.name, model=model)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc

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
                key_name=self.key_name,
            )
        return map_transport_error(exc, provider=self.name, model=model)
