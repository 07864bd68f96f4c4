"""The universal LLM orchestrator: one message model, every provider, one router.

The surface others use::

    from iza import llm
    r = llm.chat(settings, "Plan the launch", model="smart",
                 tools=[llm.Tool("search", "Search memory", {...})],
                 context=llm.CallContext(agent="strategist-1", mission="m-42"))
    r.content, r.tool_calls, r.usage, r.cost_usd

``llm.chat`` / ``llm.stream`` use the process's :class:`LLM` for the settings; build your own
``LLM(settings, store=..., providers=[FakeProvider(...)])`` in tests. With no provider
configured every call raises :class:`ProviderNotConfigured`: nothing pretends to be a model.

This ``__init__`` imports no SDK and no SQLAlchemy; heavier names load on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from iza.llm._errors import (
    BudgetExceeded,
    MalformedResponse,
    ProviderError,
    ProviderNotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    ReplayMiss,
    StreamTruncated,
    StructuredOutputError,
)
from iza.llm._messages import (
    CallContext,
    ChatRequest,
    ChatResult,
    EmbedResult,
    Message,
    StreamEvent,
    Tool,
    ToolCall,
    Usage,
)
from iza.llm.fake import FakeProvider
from iza.llm.providers.base import Provider

if TYPE_CHECKING:
    from datetime import datetime

    from iza.kernel.config import Settings
    from iza.kernel.store import Store
    from iza.llm._budget import set_budget
    from iza.llm._replay import Replay
    from iza.llm._router import Deployment, RetryPolicy, Router
    from iza.llm._service import LLM, default_llm
    from iza.llm._status import llm_status

__all__ = [
    "BudgetExceeded",
    "CallContext",
    "ChatRequest",
    "ChatResult",
    "Deployment",
    "EmbedResult",
    "FakeProvider",
    "LLM",
    "MalformedResponse",
    "Message",
    "Provider",
    "ProviderError",
    "ProviderNotConfigured",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "Replay",
    "ReplayMiss",
    "RetryPolicy",
    "Router",
    "StreamEvent",
    "StreamTruncated",
    "StructuredOutputError",
    "Tool",
    "ToolCall",
    "Usage",
    "chat",
    "default_llm",
    "embed",
    "llm_status",
    "set_budget",
    "stream",
    "usage",
]

_LAZY = {
    "LLM": "iza.llm._service",
    "Replay": "iza.llm._replay",
    "default_llm": "iza.llm._service",
    "Deployment": "iza.llm._router",
    "RetryPolicy": "iza.llm._router",
    "Router": "iza.llm._router",
    "set_budget": "iza.llm._budget",
    "llm_status": "iza.llm._status",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'iza.llm' has no attribute {name!r}")


def chat(settings: Settings, messages: Any, **kwargs: Any) -> ChatResult:
    """One answer from the model named by ``model=`` (alias, ``provider:model`` or the default).

    Keyword arguments: ``model``, ``tools``, ``response_schema``, ``max_tokens``, ``temperature``,
    ``context`` (:class:`CallContext`), ``cache_ttl_s``. See :meth:`LLM.chat`.
    """
    from iza.llm._service import default_llm

    return default_llm(settings).chat(messages, **kwargs)


def stream(settings: Settings, messages: Any, **kwargs: Any) -> Iterator[StreamEvent]:
    """Text deltas, then a final event whose ``result`` is the whole :class:`ChatResult`."""
    from iza.llm._service import default_llm

    return default_llm(settings).stream(messages, **kwargs)


def embed(settings: Settings, texts: Any, **kwargs: Any) -> EmbedResult:
    """One vector per text (``model="provider:model"`` or the first provider with embeddings)."""
    from iza.llm._service import default_llm

    return default_llm(settings).embed([texts] if isinstance(texts, str) else list(texts), **kwargs)


def usage(store: Store, by: str = "model", since: datetime | None = None,
          until: datetime | None = None) -> list[dict[str, Any]]:
    """Calls, tokens and cost from the journal grouped by ``by`` (agent, model, mission, order,
    customer, workflow_run or day) over [since, until); each row has exact ``cost_nanos``.

    Business margins read LLM cost per order through this (one journal row per call, so cost
    shared by several agents is never counted twice)."""
    from iza.llm._journal import usage_report

    return usage_report(store, by, since=since, until=until)
