"""Per-deployment state shared by every caller in the process: load, latency, health, rate.

One :class:`DeploymentState` exists per ``provider:model`` per process (``state_for``), so that
fifty agents sharing a model also share its rate limit, its circuit breaker and its latency
estimate. Limits adapt: a 429 lowers the allowed requests per minute below what was observed,
and each success raises it again by one, up to the configured ceiling.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

__all__ = ["DeploymentState", "RateLimiter", "reset_states", "state_for"]


@dataclass
class RateLimiter:
    """Sliding one-minute window of requests and tokens. ``0`` means no configured limit."""

    rpm: int = 0
    tpm: int = 0
    #: the adaptive ceiling after 429s; ``None`` while the provider has not complained
    adaptive_rpm: int | None = None
    _events: deque[tuple[float, int]] = field(default_factory=deque)

    def _trim(self, now: float) -> None:
        while self._events and now - self._events[0][0] >= 60.0:
            self._events.popleft()

    def effective_rpm(self) -> int:
        limits = [v for v in (self.rpm, self.adaptive_rpm or 0) if v > 0]
        return min(limits) if limits else 0

    def wait_time(self, tokens: int, now: float) -> float:
        """Seconds until a request of ``tokens`` fits the window (0 when it fits now)."""
        self._trim(now)
        waits = [0.0]
        rpm = self.effective_rpm()
        if rpm and len(self._events) >= rpm:
            waits.append(60.0 - (now - self._events[len(self._events) - rpm][0]))
        if self.tpm:
            used = sum(t for _, t in self._events)
            if used + tokens > self.tpm and self._events:
                freed = 0
                for ts, t in self._events:
                    freed += t
                    if used - freed + tokens <= self.tpm:
                        waits.append(60.0 - (now - ts))
                        break
        return max(waits)

    def record(self, tokens: int, now: float) -> None:
        self._events.append((now, tokens))

    def observed_rpm(self, now: float) -> int:
        self._trim(now)
        return len(self._events)

    def on_rate_limited(self, now: float) -> None:
        """Lower the ceiling to 70% of the rate that drew the 429. With fewer than five requests
        in the window there is no rate to learn from (Retry-After and backoff handle it)."""
        observed = self.observed_rpm(now)
        if observed < 5:
            return
        current = self.effective_rpm() or observed
        self.adaptive_rpm = max(1, int(min(current, observed) * 0.7))

    def on_success(self) -> None:
        if self.adaptive_rpm is None:
            return
        self.adaptive_rpm += 1
        if self.rpm and self.adaptive_rpm >= self.rpm:
            self.adaptive_rpm = None


@dataclass
class DeploymentState:
    """Live facts about one deployment; guarded by ``lock``."""

    id: str
    limiter: RateLimiter = field(default_factory=RateLimiter)
    in_flight: int = 0
    latency_ewma_ms: float | None = None
    consecutive_failures: int = 0
    cooldown_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def available(self, now: float) -> bool:
        return now >= self.cooldown_until

    def begin(self, tokens: int, now: float) -> None:
        with self.lock:
            self.in_flight += 1
            self.limiter.record(tokens, now)

    def succeed(self, latency_ms: float) -> None:
        with self.lock:
            self.in_flight -= 1
            self.consecutive_failures = 0
            self.latency_ewma_ms = (
                latency_ms
                if self.latency_ewma_ms is None
                else (0.8 * self.latency_ewma_ms + 0.2 * latency_ms)
            )
            self.limiter.on_success()

    def fail(
        self, now: float, *, trip_after: int, cooldown: float, rate_limited: bool, retry_after: float | None
    ) -> None:
        """Count a failure; open the breaker after ``trip_after`` in a row or on Retry-After."""
        with self.lock:
            self.in_flight -= 1
            self.consecutive_failures += 1
            if rate_limited and not retry_after:
                self.limiter.on_rate_limited(now)
            if retry_after:
                self.cooldown_until = max(self.cooldown_until, now + retry_after)
            if self.consecutive_failures >= trip_after:
                self.cooldown_until = max(self.cooldown_until, now + cooldown)


_STATES: dict[str, DeploymentState] = {}
_LOCK = threading.Lock()


def state_for(deployment_id: str, rpm: int = 0, tpm: int = 0) -> DeploymentState:
    """The process-wide state of a deployment (created on first use with its limits)."""
    with _LOCK:
        st = _STATES.get(deployment_id)
        if st is None:
            st = _STATES[deployment_id] = DeploymentState(deployment_id, RateLimiter(rpm, tpm))
        elif rpm or tpm:
            st.limiter.rpm, st.limiter.tpm = rpm, tpm
        return st


def reset_states() -> None:
    """Forget every deployment's state (tests that need a fresh process view)."""
    with _LOCK:
        _STATES.clear()
