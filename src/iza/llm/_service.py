"""The orchestrator: resolve → replay/cache → budget → router → cost → journal.

:class:`LLM` is what agents, workflows and the CLI hold. One instance per process is enough
(``default_llm``): it owns no per-call state, and the deployment state it relies on (rate
limits, breakers) is process-wide anyway.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any

from iza.kernel.config import Settings
from iza.kernel.store import Store
from iza.llm._budget import BudgetGuard, Hold
from iza.llm._catalog import PriceTable, load_prices
from iza.llm._clients import build_provider, configured_providers
from iza.llm._errors import BudgetExceeded, ProviderError, StructuredOutputError
from iza.llm._journal import JournalEntry, cached_answer, record
from iza.llm._messages import (
    CallContext,
    ChatRequest,
    ChatResult,
    EmbedResult,
    Message,
    StreamEvent,
    Tool,
    Usage,
    as_context,
    as_messages,
    as_tools,
)
from iza.llm._replay import Replay, result_from_row
from iza.llm._resolve import resolve
from iza.llm._router import Attempted, Deployment, RetryPolicy, Router
from iza.llm._schema import extract_json, repair_prompt, validate
from iza.llm.providers.base import Provider, estimate_tokens, normalize_finish

__all__ = ["LLM", "default_llm"]

logger = logging.getLogger(__name__)

Messages = str | Message | Sequence[Message | Mapping[str, Any]]


class LLM:
    """Chat with any configured provider through the router, budgets and journal.

    >>> llm = LLM(settings)
    >>> r = llm.chat("Summarise this", model="fast", context=CallContext(agent="writer-1"))
    >>> r.content, r.usage.input_tokens, r.cost_usd
    """

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        providers: Iterable[Provider] = (),
        journal: bool = True,
        replay: Replay | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        self.settings = settings
        self._injected = {p.name: p for p in providers}
        self._built: dict[str, Provider] = {}
        self._build_lock = threading.Lock()
        self.prices: PriceTable = load_prices(settings)
        policy = RetryPolicy(
            max_retries=settings.get_int("llm.max_retries"),
            timeout=float(settings["llm.timeout_s"]),
            cooldown=float(settings["llm.cooldown_s"]),
        )
        self.router = Router(
            self._provider,
            policy,
            strategy=settings.get_str("llm.strategy"),
            price=self._unit_price,
            sleep=sleep,
            clock=clock,
            seed=seed,
        )
        self.journal = journal
        self.journal_async = settings.get_bool("llm.journal_async")
        self._store = store
        self._schema_ready = store is not None
        self.replay = replay
        self._budgets: BudgetGuard | None = None

    # ---- wiring -------------------------------------------------------------------------------
    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.from_settings(self.settings)
        if not self._schema_ready:
            self._store.ensure_schema()
            self._schema_ready = True
        return self._store

    def _guard(self) -> BudgetGuard:
        if self._budgets is None:
            self._budgets = BudgetGuard(self.store, float(self.settings["llm.budget_usd"]))
        return self._budgets

    def available(self) -> dict[str, str]:
        """Usable providers → default model: injected ones first, then configured ones."""
        out = {name: f"{name}-model" for name in self._injected}
        for name, cfg in configured_providers(self.settings).items():
            out.setdefault(name, cfg.default_model)
        return out

    def _provider(self, name: str) -> Provider:
        if name in self._injected:
            return self._injected[name]
        with self._build_lock:
            if name not in self._built:
                self._built[name] = build_provider(name, self.settings)
            return self._built[name]

    def _unit_price(self, d: Deployment) -> float:
        price = self.prices.lookup(d.provider, d.model)
        return (price[0] + price[1]) if price else float("inf")

    def deployments(self, model: str | None = None) -> list[Deployment]:
        return resolve(self.settings, model, self.available())

    # ---- calls --------------------------------------------------------------------------------
    def chat(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] = (),
        response_schema: Mapping[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        context: CallContext | Mapping[str, Any] | None = None,
        cache_ttl_s: int | None = None,
        timeout: float | None = None,
    ) -> ChatResult:
        """One answer. With ``response_schema`` the answer is validated (``parsed`` holds the value)
        and, if invalid, the model gets one repair attempt; then :class:`StructuredOutputError`.
        ``timeout`` bounds each attempt of this call (default ``llm.timeout_s``)."""
        request = ChatRequest(as_messages(messages), as_tools(tools), response_schema, max_tokens,
                              temperature)
        ctx = as_context(context)
        result = self._once(request, model, ctx, cache_ttl_s, timeout)
        if response_schema is None:
            return result
        problems, value = self._check(result.content, response_schema)
        if not problems:
            return replace(result, parsed=value)
        repair = replace(
            request, messages=request.messages + (result.message(), Message.user(repair_prompt(problems)))
        )
        second = self._once(repair, model, ctx, cache_ttl_s, timeout)
        problems, value = self._check(second.content, response_schema)
        if problems:
            raise StructuredOutputError(
                "the answer does not match the response schema after one repair: " + "; ".join(problems[:3]),
                content=second.content,
                provider=second.provider,
                model=second.model,
            )
        return replace(
            second,
            parsed=value,
            usage=result.usage + second.usage,
            cost_usd=result.cost_usd + second.cost_usd,
        )

    @staticmethod
    def _check(content: str, schema: Mapping[str, Any]) -> tuple[list[str], Any]:
        try:
            value = extract_json(content)
        except ValueError as exc:
            return [f"not JSON: {exc}"], None
        return validate(value, schema), value

    def embed(
        self, texts: Sequence[str], *, model: str | None = None,
        context: CallContext | Mapping[str, Any] | None = None,
    ) -> EmbedResult:
        """One vector per text from an embedding model (``provider:model`` or None for the first
        configured provider that has embeddings); journaled, budgeted and replayable like chat."""
        from iza.llm._embed import embed

        return embed(self, list(texts), model, as_context(context))

    def stream(
        self,
        messages: Messages,
        *,
        model: str | None = None,
        tools: Sequence[Tool | Mapping[str, Any]] = (),
        max_tokens: int | None = None,
        temperature: float | None = None,
        context: CallContext | Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamEvent]:
        """Text deltas as they arrive, then one event whose ``result`` is the whole answer."""
        request = ChatRequest(as_messages(messages), as_tools(tools), None, max_tokens, temperature)
        ctx = as_context(context)
        label, request_hash = self._label(request, model)
        if self.replay is not None:
            result = self.replay.take(request_hash)
            self._record(label, request_hash, ctx, result, "replayed", 0, 0, 1)
            yield StreamEvent(delta=result.content)
            yield StreamEvent(result=result)
            return
        deployments = self.deployments(model)
        tokens, estimate = self._estimate(request, deployments)
        attempted = Attempted()
        started = time.perf_counter()
        with self._reserve(ctx, estimate, label, request_hash) as hold:
            try:
                for ev in self.router.stream(deployments, request, tokens=tokens, attempted=attempted,
                                             timeout=timeout):
                    if ev.result is None:
                        yield ev
                        continue
                    yield StreamEvent(
                        result=self._finish(ev.result, label, request_hash, ctx, started, attempted, hold)
                    )
            except ProviderError as err:
                self._record_error(label, request_hash, ctx, err, attempted, started)
                raise

    def _label(self, request: ChatRequest, model: str | None) -> tuple[str, str]:
        label = model or self.settings.get_str("llm.default_model") or "default"
        return label, request.fingerprint(label)

    def _estimate(self, request: ChatRequest, deployments: Sequence[Deployment]) -> tuple[int, int]:
        """(estimated tokens, estimated cost in nano-dollars at the dearest candidate)."""
        prompt = "".join(m.content for m in request.messages)
        if request.tools:
            prompt += json.dumps([asdict(t) for t in request.tools])
        inp = estimate_tokens(prompt) + 4 * len(request.messages)
        out = request.max_tokens or self.settings.get_int("llm.max_output_tokens")
        cost = max(self.prices.cost_nanos(d.provider, d.model, Usage(inp, out)) for d in deployments)
        return inp + out, cost

    @contextmanager
    def _reserve(
        self, ctx: CallContext, estimate: int, label: str, request_hash: str
    ) -> Iterator[Hold | None]:
        """Hold budget for the call; a refusal is journaled (status ``refused``) and raised."""
        if not self.journal:
            yield None
            return
        guard = self._guard()
        try:
            hold = Hold(guard, guard.acquire(ctx, estimate))
        except BudgetExceeded as exc:
            self._record(label, request_hash, ctx, None, "refused", 0, 0, 0, error=exc.message)
            raise
        try:
            yield hold
        finally:
            if not hold.deferred:
                hold.release()

    def _once(
        self, request: ChatRequest, model: str | None, ctx: CallContext, cache_ttl_s: int | None,
        timeout: float | None = None,
    ) -> ChatResult:
        label, request_hash = self._label(request, model)
        if self.replay is not None:
            result = self.replay.take(request_hash)
            self._record(label, request_hash, ctx, result, "replayed", 0, 0, 1)
            return result
        ttl = self.settings.get_int("llm.cache_ttl_s") if cache_ttl_s is None else cache_ttl_s
        if ttl > 0 and self.journal:
            row = cached_answer(self.store, request_hash, ttl)
            if row is not None:
                result = result_from_row(row, "cached")
                self._record(label, request_hash, ctx, result, "cached", 0, 0, 0)
                return result
        deployments = self.deployments(model)
        tokens, estimate = self._estimate(request, deployments)
        attempted = Attempted()
        started = time.perf_counter()
        with self._reserve(ctx, estimate, label, request_hash) as hold:
            try:
                raw = self.router.complete(deployments, request, tokens=tokens, attempted=attempted,
                                           timeout=timeout)
            except ProviderError as err:
                self._record_error(label, request_hash, ctx, err, attempted, started)
                raise
            return self._finish(raw, label, request_hash, ctx, started, attempted, hold)

    # ---- journal ------------------------------------------------------------------------------
    def _finish(
        self,
        raw: ChatResult,
        label: str,
        request_hash: str,
        ctx: CallContext,
        started: float,
        attempted: Attempted,
        hold: Hold | None = None,
    ) -> ChatResult:
        latency = (time.perf_counter() - started) * 1000.0
        nanos = self.prices.cost_nanos(raw.provider, raw.model, raw.usage)
        result = replace(
            raw,
            cost_usd=nanos / 1e9,
            latency_ms=latency,
            request_hash=request_hash,
            finish_reason=normalize_finish(raw.finish_reason, bool(raw.tool_calls)),
        )
        if hold is not None:
            hold.settle(nanos)
        self._record(label, request_hash, ctx, result, "ok", nanos, latency, attempted.attempts, hold=hold)
        return result

    def _record_error(
        self,
        label: str,
        request_hash: str,
        ctx: CallContext,
        err: ProviderError,
        attempted: Attempted,
        started: float,
    ) -> None:
        dep = attempted.deployment
        self._record(
            label,
            request_hash,
            ctx,
            None,
            "error",
            0,
            (time.perf_counter() - started) * 1000.0,
            attempted.attempts,
            error=f"{type(err).__name__}: {err.message}",
            provider=dep.provider if dep else "",
            model=dep.model if dep else "",
        )

    def _record(
        self,
        label: str,
        request_hash: str,
        ctx: CallContext,
        result: ChatResult | None,
        status: str,
        nanos: int,
        latency: float,
        attempts: int,
        *,
        error: str | None = None,
        provider: str = "",
        model: str = "",
        hold: Hold | None = None,
    ) -> None:
        if not self.journal:
            return
        if hold is not None:
            hold.deferred = True  # released by the journal once this row is committed
        response = None
        if result is not None:
            response = {
                "content": result.content,
                "finish_reason": result.finish_reason,
                "tool_calls": [asdict(c) for c in result.tool_calls],
            }
        record(
            self.store,
            JournalEntry(
                request_hash=request_hash,
                alias=label,
                status=status,
                provider=result.provider if result else provider,
                model=result.model if result else model,
                input_tokens=result.usage.input_tokens if result else 0,
                output_tokens=result.usage.output_tokens if result else 0,
                usage_estimated=result.usage.estimated if result else False,
                cost_nanos=nanos,
                latency_ms=latency,
                error=error,
                attempts=attempts,
                agent=ctx.agent,
                mission=ctx.mission,
                order_ref=ctx.order,
                customer=ctx.customer,
                workflow_run=ctx.workflow_run,
                response=response,
            ),
            background=self.journal_async,
            done=hold.release if hold is not None else None,
        )


_DEFAULT: dict[int, tuple[Settings, LLM]] = {}
_DEFAULT_LOCK = threading.Lock()


def default_llm(settings: Settings) -> LLM:
    """The process's :class:`LLM` for these settings (created on first use)."""
    with _DEFAULT_LOCK:
        hit = _DEFAULT.get(id(settings))
        if hit is None or hit[0] is not settings:
            hit = _DEFAULT[id(settings)] = (settings, LLM(settings))
        return hit[1]
