"""The router: one retry loop for every provider, over an ordered list of deployments.

For each call the strategy orders the candidate deployments (``fallback`` keeps the configured
order; ``least-busy``, ``lowest-latency`` and ``lowest-cost`` sort by live state or price). Then
each attempt takes the first candidate that is not cooling down and fits its rate limit:

* success → done; the deployment's breaker resets and its latency estimate moves;
* a retryable failure (429, 5xx, timeout, malformed body, truncated stream before any text)
  → the deployment is marked (Retry-After cools it for that long; ``trip_after`` failures in a
  row open its breaker for ``cooldown`` seconds), and the next attempt goes to the next ready
  candidate at once, or, when none is ready, after exponential backoff with full jitter (never
  shorter than Retry-After);
* a non-retryable failure: auth/not-found errors move on to the next candidate (another vendor
  may work), a bad request is raised at once (every vendor would refuse it).

SDK retries are off, so ``max_retries`` here is the only retry budget there is.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from iza.llm._errors import ProviderError, ProviderUnavailable, RateLimited
from iza.llm._limits import DeploymentState, state_for
from iza.llm._messages import ChatRequest, ChatResult, StreamEvent
from iza.llm.providers.base import Provider

__all__ = ["STRATEGIES", "Attempted", "Deployment", "RetryPolicy", "Router"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

STRATEGIES = ("fallback", "least-busy", "lowest-latency", "lowest-cost")


@dataclass(frozen=True)
class Deployment:
    """One concrete model at one provider, with its configured limits (0 = none)."""

    provider: str
    model: str
    rpm: int = 0
    tpm: int = 0

    @property
    def id(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class RetryPolicy:
    """Knobs of the retry loop; defaults come from the ``llm.*`` settings."""

    max_retries: int = 3
    timeout: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 20.0
    cooldown: float = 30.0
    trip_after: int = 3

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**attempt)]."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * (2**attempt)))


@dataclass
class Attempted:
    """What the loop did, for the journal: the deployment that answered and the attempts made."""

    deployment: Deployment | None = None
    attempts: int = 0
    errors: tuple[str, ...] = ()


def _fallthrough(err: ProviderError) -> bool:
    """Non-retryable errors that another deployment might not have (keys, model names)."""
    return err.status in (401, 403, 404)


class Router:
    """Runs calls over deployments. ``resolve(provider_name)`` gives the provider adapter."""

    def __init__(
        self,
        resolve: Callable[[str], Provider],
        policy: RetryPolicy | None = None,
        *,
        strategy: str = "fallback",
        price: Callable[[Deployment], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = None,
    ) -> None:
        self.resolve = resolve
        self.policy = policy or RetryPolicy()
        self.strategy = strategy
        self.price = price or (lambda d: 0.0)
        self.sleep = sleep
        self.clock = clock
        self._rng = random.Random(seed)

    # ---- ordering -----------------------------------------------------------------------------
    def order(self, deployments: Sequence[Deployment], strategy: str | None = None) -> list[Deployment]:
        strategy = strategy or self.strategy
        ds = list(deployments)
        if strategy == "least-busy":
            return sorted(ds, key=lambda d: self._state(d).in_flight)
        if strategy == "lowest-latency":
            # untried deployments first (latency unknown = 0) so every one gets measured
            return sorted(ds, key=lambda d: self._state(d).latency_ewma_ms or 0.0)
        if strategy == "lowest-cost":
            return sorted(ds, key=self.price)
        return ds

    def _state(self, d: Deployment) -> DeploymentState:
        return state_for(d.id, d.rpm, d.tpm)

    def _pick(self, order: list[Deployment], tokens: int) -> tuple[Deployment | None, float]:
        """First ready candidate, else ``(None, seconds until one might be ready)``."""
        now = self.clock()
        soonest = float("inf")
        for d in order:
            st = self._state(d)
            if not st.available(now):
                soonest = min(soonest, st.cooldown_until - now)
                continue
            with st.lock:
                wait = st.limiter.wait_time(tokens, now)
            if wait <= 0:
                return d, 0.0
            soonest = min(soonest, wait)
        return None, soonest

    # ---- the loop -----------------------------------------------------------------------------
    def complete(
        self,
        deployments: Sequence[Deployment],
        request: ChatRequest,
        *,
        tokens: int,
        strategy: str | None = None,
        attempted: Attempted | None = None,
        timeout: float | None = None,
    ) -> ChatResult:
        """Answer ``request`` from the first deployment that can, retrying what is retryable."""
        timeout = timeout or self.policy.timeout

        def attempt(provider: Provider, model: str) -> Iterator[ChatResult]:
            yield provider.complete(model, request, timeout)

        return self.call(deployments, attempt, tokens=tokens, strategy=strategy, attempted=attempted)

    def call(
        self,
        deployments: Sequence[Deployment],
        attempt: Callable[[Provider, str], Iterator[T]],
        *,
        tokens: int,
        strategy: str | None = None,
        attempted: Attempted | None = None,
    ) -> T:
        """Run one-shot ``attempt(provider, model)`` (its iterator yields the answer) under the loop."""
        out: list[T] = list(self._run(deployments, attempt, lambda _: False, tokens, strategy,
                                      attempted or Attempted()))
        return out[-1]

    def stream(
        self,
        deployments: Sequence[Deployment],
        request: ChatRequest,
        *,
        tokens: int,
        strategy: str | None = None,
        attempted: Attempted | None = None,
        timeout: float | None = None,
    ) -> Iterator[StreamEvent]:
        """Stream ``request``; retries happen only until the first text reaches the caller."""
        timeout = timeout or self.policy.timeout

        def attempt(provider: Provider, model: str) -> Iterator[StreamEvent]:
            return provider.stream(model, request, timeout)

        yield from self._run(deployments, attempt, lambda ev: bool(ev.delta), tokens, strategy,
                             attempted or Attempted())

    def _run(
        self,
        deployments: Sequence[Deployment],
        attempt: Callable[[Provider, str], Iterator[T]],
        progressed: Callable[[T], bool],
        tokens: int,
        strategy: str | None,
        attempted: Attempted,
    ) -> Iterator[T]:
        """The loop. Items are passed through as they come; once ``progressed(item)`` is true for
        one of them, a failure is no longer retried (the caller already has part of the answer)."""
        order = self.order(deployments, strategy)
        skip: set[str] = set()
        errors: list[str] = []
        last: ProviderError | None = None
        while attempted.attempts <= self.policy.max_retries:
            candidates = [d for d in order if d.id not in skip]
            if not candidates:
                break
            dep, wait = self._pick(candidates, tokens)
            if dep is None:
                if wait > self.policy.max_delay:
                    break
                self.sleep(wait)
                continue
            attempted.attempts += 1
            attempted.deployment = dep
            st = self._state(dep)
            provider = self.resolve(dep.provider)
            started = self.clock()
            st.begin(tokens, started)
            emitted = False
            try:
                for item in attempt(provider, dep.model):
                    emitted = emitted or progressed(item)
                    yield item
            except ProviderError as err:
                now = self.clock()
                st.fail(
                    now,
                    trip_after=self.policy.trip_after,
                    cooldown=self.policy.cooldown,
                    rate_limited=isinstance(err, RateLimited),
                    retry_after=err.retry_after,
                )
                errors.append(f"{dep.id}: {err.message}")
                attempted.errors = tuple(errors)
                last = err
                logger.info("llm %s attempt %d failed: %s", dep.id, attempted.attempts, err.message)
                if emitted or not (err.retryable or _fallthrough(err)):
                    raise
                if _fallthrough(err):
                    skip.add(dep.id)
                    continue
                # the next attempt prefers the other candidates; the failed one goes last
                order.remove(dep)
                order.append(dep)
                nxt, _ = self._pick([d for d in order if d.id not in skip], tokens)
                if nxt is None and attempted.attempts <= self.policy.max_retries:
                    delay = max(
                        err.retry_after or 0.0, self.policy.backoff(attempted.attempts - 1, self._rng)
                    )
                    if delay > self.policy.max_delay:
                        raise
                    self.sleep(delay)
                continue
            except BaseException:
                with st.lock:
                    st.in_flight -= 1
                raise
            st.succeed((self.clock() - started) * 1000.0)
            logger.info("llm %s answered in %.0f ms", dep.id, (self.clock() - started) * 1000.0)
            return
        if last is not None:
            raise last
        raise ProviderUnavailable(
            "every deployment is cooling down or rate limited: " + ", ".join(d.id for d in order),
            fix="wait and retry, add another deployment to the alias, or raise llm.rate_limits",
        )
