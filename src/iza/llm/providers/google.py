"""Google Gemini ``generateContent`` wire format (google-genai SDK).

Gemini names the assistant ``model``, answers tools with ``function_response`` parts that carry
the function *name* (not only an id), and takes the system prompt and JSON schema in the
generation config. Automatic function calling is switched off: tools run in our agents, never
inside the SDK.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from iza.llm._errors import ProviderError, StreamTruncated
from iza.llm._messages import ChatRequest, ChatResult, EmbedResult, StreamEvent, ToolCall
from iza.llm.providers.base import (
    embed_usage,
    error_for_status,
    is_vendor_error,
    map_transport_error,
    parse_arguments,
    sane_usage,
)

__all__ = ["GoogleProvider", "to_wire"]

logger = logging.getLogger(__name__)


def to_wire(request: ChatRequest, timeout: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``(contents, config)`` for ``client.models.generate_content``."""
    names = {c.id: c.name for m in request.messages for c in m.tool_calls}
    contents: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        parts: list[dict[str, Any]]
        if m.role == "tool":
            role = "user"
            name = m.name or names.get(m.tool_call_id or "", "tool")
            parts = [
                {"function_response": {"id": m.tool_call_id, "name": name, "response": {"result": m.content}}}
            ]
        elif m.role == "assistant":
            role = "model"
            parts = [{"text": m.content}] if m.content else []
            parts += [
                {"function_call": {"id": c.id, "name": c.name, "args": c.arguments}} for c in m.tool_calls
            ]
        else:
            role = "user"
            parts = [{"text": m.content}]
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    config: dict[str, Any] = {
        "http_options": {"timeout": int(timeout * 1000)},
        "automatic_function_calling": {"disable": True},
    }
    system = [m.content for m in request.messages if m.role == "system"]
    if system:
        config["system_instruction"] = "\n\n".join(system)
    if request.tools:
        config["tools"] = [
            {
                "function_declarations": [
                    {
                        "name": t.name,
                        "description": t.description,
                        "parameters_json_schema": dict(t.parameters),
                    }
                    for t in request.tools
                ]
            }
        ]
    if request.response_schema is not None:
        config["response_mime_type"] = "application/json"
        config["response_json_schema"] = dict(request.response_schema)
    if request.max_tokens is not None:
        config["max_output_tokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    return contents, config


def _parts(resp: Any) -> tuple[list[str], list[ToolCall], str]:
    text: list[str] = []
    calls: list[ToolCall] = []
    finish = ""
    for cand in (resp.candidates or ())[:1]:
        if cand.finish_reason:
            finish = str(getattr(cand.finish_reason, "value", cand.finish_reason))
        for part in (cand.content.parts if cand.content else None) or ():
            if part.text:
                text.append(part.text)
            if part.function_call is not None:
                fc = part.function_call
                calls.append(
                    ToolCall(
                        fc.id or f"call_{fc.name}_{len(calls)}", fc.name or "", parse_arguments(fc.args or {})
                    )
                )
    return text, calls, finish


@dataclass
class GoogleProvider:
    """Gemini through a ``google.genai.Client`` (SDK retries off: one attempt per call)."""

    client: Any
    name: str = "google"

    def complete(self, model: str, request: ChatRequest, timeout: float) -> ChatResult:
        contents, config = to_wire(request, timeout)
        try:
            resp = self.client.models.generate_content(model=model, contents=contents, config=config)
            text, calls, finish = _parts(resp)
            content = "".join(text)
            meta = getattr(resp, "usage_metadata", None)
            return ChatResult(
                content=content,
                tool_calls=tuple(calls),
                provider=self.name,
                model=model,
                finish_reason=finish,
                usage=sane_usage(
                    getattr(meta, "prompt_token_count", None),
                    getattr(meta, "candidates_token_count", None),
                    request,
                    content,
                ),
            )
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc

    def stream(self, model: str, request: ChatRequest, timeout: float) -> Iterator[StreamEvent]:
        contents, config = to_wire(request, timeout)
        text: list[str] = []
        calls: list[ToolCall] = []
        finish = ""
        meta: Any = None
        try:
            for chunk in self.client.models.generate_content_stream(
                model=model, contents=contents, config=config
            ):
                t, c, f = _parts(chunk)
                calls.extend(c)
                finish = f or finish
                if getattr(chunk, "usage_metadata", None) is not None:
                    meta = chunk.usage_metadata
                for piece in t:
                    text.append(piece)
                    yield StreamEvent(delta=piece)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc
        if not finish:
            raise StreamTruncated(
                f"{self.name} {model}: stream ended before a finish_reason", provider=self.name, model=model
            )
        content = "".join(text)
        yield StreamEvent(
            result=ChatResult(
                content=content,
                tool_calls=tuple(calls),
                provider=self.name,
                model=model,
                finish_reason=finish,
                usage=sane_usage(
                    getattr(meta, "prompt_token_count", None),
                    getattr(meta, "candidates_token_count", None),
                    request,
                    content,
                ),
            )
        )

    def embed(self, model: str, texts: Sequence[str], timeout: float) -> EmbedResult:
        try:
            resp = self.client.models.embed_content(
                model=model, contents=list(texts), config={"http_options": {"timeout": int(timeout * 1000)}})
            vectors = tuple(tuple(float(x) for x in (e.values or ())) for e in resp.embeddings or ())
            meta = getattr(resp, "usage_metadata", None)
            return EmbedResult(vectors, embed_usage(getattr(meta, "prompt_token_count", None), texts),
                               provider=self.name, model=model)
        except ProviderError:
            raise
        except Exception as exc:
            raise self._map(exc, model) from exc

    def _map(self, exc: Exception, model: str) -> ProviderError:
        if not is_vendor_error(exc):
            raise exc
        code = getattr(exc, "code", None)
        if isinstance(code, int) and type(exc).__module__.startswith("google"):
            response = getattr(exc, "response", None)
            headers = dict(getattr(response, "headers", {}) or {}) if response is not None else None
            details = getattr(exc, "details", None)
            return error_for_status(
                code,
                getattr(exc, "message", None) or str(exc),
                provider=self.name,
                model=model,
                headers={k.lower(): v for k, v in (headers or {}).items()},
                body=json.dumps(details, default=str)[:2000] if details else None,
                key_name="GEMINI_API_KEY",
            )
        return map_transport_error(exc, provider=self.name, model=model)
