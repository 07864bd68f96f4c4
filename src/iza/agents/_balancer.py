"""Choosing a worker for a task: skill match, free capacity, queue, success rate and latency.

Pure functions over a snapshot of worker load, so the same code assigns real tasks (the snapshot
comes from the task table) and drives ``bench/balancing.py`` (the snapshot comes from a
simulation). The rule is *earliest expected finish*: a task goes to the eligible worker whose
expected completion time is lowest, where

    expected finish = (work already waiting / capacity + this task's work) × seconds per unit
                      ÷ recent success rate

``seconds per unit`` is an exponentially weighted average of the worker's observed latency, so a
slow or flaky worker gets less work without being starved of it. When every eligible worker is
full (running at capacity with ``max_queue`` waiting) :func:`choose` returns ``None``: the task
waits (back-pressure) instead of piling onto a queue. Waiting tasks are served oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Decision", "WorkerLoad", "choose", "update_latency"]

#: Seconds per unit of work assumed for a worker with no history.
PRIOR_LATENCY = 1.0
#: Weight of the newest observation in the latency average.
EWMA_ALPHA = 0.3


@dataclass(frozen=True)
class WorkerLoad:
    """A worker's state when a task is being placed."""

    agent_id: str
    skills: frozenset[str]
    capacity: int
    running: int = 0
    queued: int = 0
    #: Units of work assigned and not yet finished (running + queued).
    backlog_units: float = 0.0
    success_rate: float = 1.0
    latency: float = PRIOR_LATENCY

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.running)


@dataclass(frozen=True)
class Decision:
    agent_id: str
    reason: str
    expected_finish: float
    scores: dict[str, float]


def update_latency(previous: float | None, observed: float) -> float:
    """EWMA of seconds per unit; the first observation replaces the prior."""
    if previous is None:
        return observed
    return (1 - EWMA_ALPHA) * previous + EWMA_ALPHA * observed


def _expected(w: WorkerLoad, units: float) -> float:
    wait = w.backlog_units / w.capacity if w.running >= w.capacity else 0.0
    rate = max(w.success_rate, 0.05)
    return (wait + units) * w.latency / rate


def choose(
    skill: str, workers: Sequence[WorkerLoad], *, units: float = 1.0, max_queue: int = 2
) -> Decision | None:
    """The best worker for one task of ``skill``; ``None`` means every eligible worker is full.

    Ties break by fewer tasks in hand, then by id, so the choice is deterministic.
    """
    eligible = [w for w in workers if skill in w.skills]
    if not eligible:
        return None
    open_ = [w for w in eligible if w.running + w.queued < w.capacity + max_queue]
    if not open_:
        return None
    best = min(open_, key=lambda w: (_expected(w, units), w.running + w.queued, w.agent_id))
    eta = _expected(best, units)
    reason = (
        f"skill {skill!r}; {best.running}/{best.capacity} busy, {best.queued} queued; "
        f"success {best.success_rate:.0%}; {best.latency:.2f}s/unit → expected finish {eta:.2f}s, "
        f"best of {len(open_)} with free room ({len(eligible)} with the skill)"
    )
    scores = {"expected_finish": round(eta, 4), "running": float(best.running),
              "queued": float(best.queued), "capacity": float(best.capacity),
              "success_rate": round(best.success_rate, 4), "latency": round(best.latency, 4),
              "candidates": float(len(open_))}
    return Decision(best.agent_id, reason, eta, scores)
