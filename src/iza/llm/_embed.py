"""Embeddings through the same loop, budgets and journal as chat.

Unlike chat, an embedding call never falls back to another *model*: vectors from different
models live in different spaces, and a memory index silently mixing them would return nonsense.
So an embedding request resolves to exactly one deployment (retries stay on it). Vectors are
kept in the journal so that a replayed mission embeds exactly as it did when recorded.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from iza.errors import InputError
from iza.llm._budget import Hold
from iza.llm._catalog import load_catalog
from iza.llm._errors import ProviderError, ProviderNotConfigured
from iza.llm._journal import JournalEntry, record
from iza.llm._messages import CallContext, EmbedResult, Usage
from iza.llm._router import Attempted, Deployment
from iza.llm.providers.base import Embedder, Provider, estimate_tokens

if TYPE_CHECKING:
    from iza.llm._service import LLM

__all__ = ["embed", "embedding_deployment"]


def embedding_deployment(llm: LLM, model: str | None) -> Deployment:
    """``provider:model`` as given, else the first available provider that offers embeddings."""
    defaults: dict[str, str] = load_catalog()["embeddings"]
    available = llm.available()
    if model:
        provider, sep, name = model.partition(":")
        if not sep or not name:
            raise InputError(f"embedding model {model!r} must be 'provider:model'",
                             fix="e.g. 'openai:text-embedding-3-small' or 'google:gemini-embedding-001'")
        if provider not in available:
            raise ProviderNotConfigured(f"LLM provider {provider!r} (asked for {model!r}) is not configured")
        return Deployment(provider, name)
    for name in available:
        if name in defaults:
            return Deployment(name, defaults[name])
        if name in llm._injected and isinstance(llm._injected[name], Embedder):
            return Deployment(name, f"{name}-embed")
    raise ProviderNotConfigured("no configured LLM provider offers embeddings (Anthropic has none)",
                                fix="export OPENAI_API_KEY or GEMINI_API_KEY, or point "
                                "IZA_OPENAI_COMPAT_BASE_URL at a server with an embedding model")


def embed(llm: LLM, texts: list[str], model: str | None, ctx: CallContext) -> EmbedResult:
    label = model or "embed"
    request_hash = hashlib.sha256(json.dumps({"embed": texts, "model": label}).encode()).hexdigest()

    def journal(status: str, result: EmbedResult | None, nanos: int = 0, latency: float = 0.0,
                attempts: int = 0, error: str | None = None, dep: Deployment | None = None,
                hold: Hold | None = None) -> None:
        if not llm.journal:
            return
        if hold is not None:
            hold.deferred = True
        usage = result.usage if result else Usage()
        record(llm.store, JournalEntry(
            request_hash=request_hash, alias=label, status=status,
            provider=result.provider if result else (dep.provider if dep else ""),
            model=result.model if result else (dep.model if dep else ""),
            input_tokens=usage.input_tokens, usage_estimated=usage.estimated, cost_nanos=nanos,
            latency_ms=latency, error=error, attempts=attempts, agent=ctx.agent, mission=ctx.mission,
            order_ref=ctx.order, customer=ctx.customer, workflow_run=ctx.workflow_run,
            response={"vectors": [list(v) for v in result.vectors]} if result else None),
            background=llm.journal_async, done=hold.release if hold is not None else None)

    if llm.replay is not None:
        row = llm.replay.take_row(request_hash)
        vectors = tuple(tuple(v) for v in (row.response or {}).get("vectors", ()))
        replayed = EmbedResult(vectors, Usage(row.input_tokens, 0, row.usage_estimated), row.provider,
                               row.model, source="replayed")
        journal("replayed", replayed, attempts=1)
        return replayed
    dep = embedding_deployment(llm, model)
    tokens = sum(estimate_tokens(t) for t in texts)
    timeout = llm.router.policy.timeout

    def attempt(provider: Provider, name: str) -> Iterator[EmbedResult]:
        if not isinstance(provider, Embedder):
            raise ProviderError(f"{provider.name} has no embeddings API", provider=provider.name, model=name,
                                fix="use an OpenAI, Google or OpenAI-compatible embedding model")
        yield provider.embed(name, texts, timeout)

    attempted = Attempted()
    started = time.perf_counter()
    estimate = llm.prices.cost_nanos(dep.provider, dep.model, Usage(tokens, 0))
    with llm._reserve(ctx, estimate, label, request_hash) as hold:
        try:
            raw = llm.router.call([dep], attempt, tokens=tokens, attempted=attempted)
        except ProviderError as err:
            journal("error", None, latency=(time.perf_counter() - started) * 1000.0,
                    attempts=attempted.attempts, error=f"{type(err).__name__}: {err.message}", dep=dep)
            raise
        if len(raw.vectors) != len(texts):
            raise ProviderError(f"{dep.id} returned {len(raw.vectors)} vectors for {len(texts)} texts",
                                provider=dep.provider, model=dep.model)
        nanos = llm.prices.cost_nanos(raw.provider, raw.model, raw.usage)
        latency = (time.perf_counter() - started) * 1000.0
        result = EmbedResult(raw.vectors, raw.usage, raw.provider, raw.model, cost_usd=nanos / 1e9)
        if hold is not None:
            hold.settle(nanos)
        journal("ok", result, nanos, latency, attempted.attempts, hold=hold)
        return result
