"""The provider port and the helpers every adapter shares (error mapping, usage sanity).

The port is deliberately two methods: a provider answers a request, or streams one. Retries,
fallback, budgets and the journal belong to the router; a provider makes exactly one attempt.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from iza.llm._errors import (
    MalformedResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from iza.llm._messages import ChatRequest, ChatResult, EmbedResult, StreamEvent, Usage

__all__ = [
    "Embedder",
    "Provider",
    "embed_usage",
    "error_for_status",
    "estimate_tokens",
    "is_vendor_error",
    "normalize_finish",
    "parse_arguments",
    "parse_retry_after",
    "sane_usage",
]

_VENDOR_MODULES = (
    "openai",
    "anthropic",
    "google",
    "httpx",
    "httpx2",
    "httpcore",
    "httpcore2",
    "json",
    "pydantic",
    "h11",
    "requests",
    "urllib3",
)


@runtime_checkable
class Provider(Protocol):
    """One attempt at one model. ``name`` is the provider part of ``provider:model``.

    Subclass example (a provider that always says hello)::

        class Hello:
            name = "hello"
            def complete(self, model, request, timeout):
                return ChatResult("hello", provider="hello", model=model)
            def stream(self, model, request, timeout):
                yield StreamEvent(result=self.complete(model, request, timeout))
    """

    name: str

    def complete(self, model: str, request: ChatRequest, timeout: float) -> ChatResult: ...

    def stream(self, model: str, request: ChatRequest, timeout: float) -> Iterator[StreamEvent]: ...


@runtime_checkable
class Embedder(Protocol):
    """A provider that also turns texts into vectors (OpenAI, Google, compat servers, the fake)."""

    name: str

    def embed(self, model: str, texts: Sequence[str], timeout: float) -> EmbedResult: ...


def embed_usage(reported: Any, texts: Sequence[str]) -> Usage:
    """Input tokens of an embedding call: reported when plausible, else estimated (and flagged)."""
    if isinstance(reported, int) and not isinstance(reported, bool) and reported > 0:
        return Usage(reported, 0)
    return Usage(sum(estimate_tokens(t) for t in texts), 0, estimated=True)


def is_vendor_error(exc: BaseException) -> bool:
    """True for exceptions raised by an SDK or its HTTP stack (ours and Python's bugs are not)."""
    if isinstance(exc, ValueError) and type(exc).__module__ == "json.decoder":
        return True
    root = type(exc).__module__.split(".", 1)[0]
    return root in _VENDOR_MODULES


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_for_status(
    status: int,
    message: str,
    *,
    provider: str,
    model: str,
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    key_name: str = "",
) -> ProviderError:
    """The most specific error for an HTTP status from a provider."""
    text = f"{provider} {model}: HTTP {status}: {message}"[:500]
    kw: dict[str, Any] = {"provider": provider, "model": model, "status": status, "body": body}
    if status == 429:
        return RateLimited(
            text,
            retry_after=parse_retry_after(headers),
            **kw,
            fix="wait, or lower the deployment's rpm/tpm in llm.rate_limits",
        )
    if status in (408, 409) or status >= 500:
        return ProviderUnavailable(text, retry_after=parse_retry_after(headers), **kw)
    if status in (401, 403):
        return ProviderError(text, **kw, fix=f"check {key_name or 'the API key'} for {provider}")
    if status == 404:
        return ProviderError(text, **kw, fix=f"check the model name {model!r} and the base URL")
    return ProviderError(text, **kw, fix="the request was refused; check the model and the messages")


def map_transport_error(exc: BaseException, *, provider: str, model: str) -> ProviderError:
    """Timeouts, refused connections and unparseable bodies, whatever the SDK called them."""
    name = type(exc).__name__
    if "Timeout" in name:
        return ProviderTimeout(f"{provider} {model}: timed out ({name})", provider=provider, model=model)
    if isinstance(exc, ValueError) or "Decode" in name or "Validation" in name:
        return MalformedResponse(
            f"{provider} {model}: malformed response: {exc}"[:500], provider=provider, model=model
        )
    return ProviderUnavailable(f"{provider} {model}: {name}: {exc}"[:500], provider=provider, model=model)


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments as a dict; invalid JSON from the model is kept under ``_unparsed`` so
    the agent can feed it back as an observation instead of the call failing."""
    if isinstance(raw, Mapping):
        return dict(raw)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"_unparsed": str(raw)}
    return value if isinstance(value, dict) else {"_value": value}


_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "stop": "stop",
    "tool_use": "tool_calls",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "max_tokens": "length",
    "length": "length",
    "content_filter": "content_filter",
    "safety": "content_filter",
    "refusal": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
}


def normalize_finish(raw: str, has_tool_calls: bool) -> str:
    """One vocabulary for why a model stopped: stop, tool_calls, length, content_filter (or the
    vendor's own word, lower-cased, when it is none of these). Gemini says STOP even when it
    called a function, hence ``has_tool_calls``."""
    value = _FINISH.get(raw.lower(), raw.lower()) if raw else ""
    return "tool_calls" if has_tool_calls and value in ("stop", "") else value


def estimate_tokens(text: str) -> int:
    """A provider-neutral estimate: about four characters per token, at least one."""
    return max(1, (len(text) + 3) // 4)


def sane_usage(input_tokens: Any, output_tokens: Any, request: ChatRequest, content: str) -> Usage:
    """The provider's usage when it is plausible, else our estimate (flagged ``estimated``).

    Missing, negative or non-integer counts happen (proxies, local servers); billing a call at
    zero tokens would hide its cost, so we estimate instead and say so.
    """
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (input_tokens, output_tokens))
    if ok and (input_tokens > 0 or output_tokens > 0):
        return Usage(int(input_tokens), int(output_tokens))
    prompt = "".join(m.content for m in request.messages)
    return Usage(
        estimate_tokens(prompt) + 4 * len(request.messages),
        estimate_tokens(content) if content else 0,
        estimated=True,
    )
