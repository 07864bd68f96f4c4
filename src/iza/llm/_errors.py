"""Errors of the LLM layer, with data a router can act on.

::

    ProviderNotConfigured (ConfigError)   no provider can serve the request; fix says how to set one up
    BudgetExceeded (UsageError)           the call would exceed a budget; refused before sending
    ReplayMiss (RuntimeFailure)           replay mode found no recorded answer for a request
    ProviderError (RuntimeFailure)        a provider failed; ``retryable`` tells the router what to do
    ├── RateLimited                       429; ``retry_after`` in seconds when the provider said so
    ├── ProviderTimeout                   no answer within the per-call timeout
    ├── ProviderUnavailable               5xx, connection refused, or every deployment cooling down
    ├── MalformedResponse                 the body could not be parsed (retryable: usually transient)
    ├── StreamTruncated                   a stream ended without its terminal event
    └── StructuredOutputError             the answer did not match the JSON schema after one repair

Vendor SDK exceptions never escape ``iza.llm.providers``: each adapter maps them to these.
"""

from __future__ import annotations

from iza.errors import ConfigError, RuntimeFailure, UsageError

__all__ = [
    "BudgetExceeded",
    "MalformedResponse",
    "ProviderError",
    "ProviderNotConfigured",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "ReplayMiss",
    "StreamTruncated",
    "StructuredOutputError",
]

_CONFIGURE = (
    "export OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY, or point "
    "IZA_OPENAI_COMPAT_BASE_URL at a local server (e.g. http://127.0.0.1:11434/v1 for Ollama); "
    "`iza llm status` shows what is configured"
)


class ProviderNotConfigured(ConfigError):
    """No configured provider can serve this request. IZA never answers in a model's place."""

    def __init__(self, message: str = "no LLM provider is configured", *, fix: str | None = None) -> None:
        super().__init__(message, fix=fix or _CONFIGURE)


class BudgetExceeded(UsageError):
    """A call would take a budget over its limit; it was refused before anything was sent."""

    status_code = 402

    def __init__(self, scope: str, key: str, limit_usd: float, spent_usd: float, estimate_usd: float) -> None:
        label = scope if not key else f"{scope} {key!r}"
        super().__init__(
            f"LLM budget of {label} would be exceeded: limit ${limit_usd:.4f}, spent ${spent_usd:.4f}, "
            f"this call estimated ${estimate_usd:.4f}; the call was not sent",
            fix=f"raise the {scope} budget (`iza llm budget set {scope} {key or '-'} USD`), "
            "use a cheaper model, or lower max_tokens",
        )
        self.scope = scope
        self.key = key
        self.limit_usd = limit_usd
        self.spent_usd = spent_usd
        self.estimate_usd = estimate_usd


class ReplayMiss(RuntimeFailure):
    """Replay mode was asked for a response that the journal does not hold."""

    def __init__(self, request_hash: str, source: str) -> None:
        super().__init__(
            f"replay of {source}: no recorded response for request {request_hash[:12]}",
            fix="the run diverged from the recording (different prompt, model or order); "
            "re-record it without replay",
        )
        self.request_hash = request_hash


class ProviderError(RuntimeFailure):
    """A provider failed. ``retryable`` says whether the same request may succeed if repeated."""

    status_code = 502
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.provider = provider
        self.model = model
        self.status = status
        self.retry_after = retry_after
        self.body = body


class RateLimited(ProviderError):
    status_code = 429
    retryable = True


class ProviderTimeout(ProviderError):
    status_code = 504
    retryable = True


class ProviderUnavailable(ProviderError):
    status_code = 503
    retryable = True


class MalformedResponse(ProviderError):
    retryable = True


class StreamTruncated(ProviderError):
    """Not retried by the router once text has reached the caller: it cannot be taken back."""

    retryable = True


class StructuredOutputError(ProviderError):
    """The model's answer did not satisfy the response schema, even after one repair attempt."""

    def __init__(self, message: str, *, content: str, provider: str = "", model: str = "") -> None:
        super().__init__(
            message,
            provider=provider,
            model=model,
            fix="simplify the schema, or use a stronger model for this call",
        )
        self.content = content
