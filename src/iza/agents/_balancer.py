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

__all__ = ["Decision", "WorkerLoad", "choose", "priority", "update_latency"]

#: Seconds per unit of work assumed for a worker with no history.
PRIOR_LATENCY = 1.0
#: Weight of the newest observation in the latency average.
EWMA_ALPHA = 0.3
#: Units of priority a waiting task gains per second waited (aging: nothing waits forever).
AGING_PER_SECOND = 1.0


def priority(units: float, waited: float, *, exploring: bool = False) -> float:
    """Order of service among waiting tasks (higher first): larger first, and aging.

    Serving larger tasks first keeps one big task from starting last and setting the makespan.
    While some workers have no history (``exploring``) smaller tasks go first instead, so an
    unknown, possibly slow worker is measured on a small task rather than handed the biggest.
    The aging term grows without bound, so no task is overtaken forever (no starvation).
    Equal sizes (the runtime's default estimate of one unit) reduce to first come, first served.
    """
    return (-units if exploring else units) + AGING_PER_SECOND * waited


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
    wait = w.backlog_units / w.capacity if w.running + w.queued >= w.capacity else 0.0
    rate = max(w.success_rate, 0.05)
    return (wait + units) * w.latency / rate


def _throughput(workers: Sequence[WorkerLoad]) -> float:
    return sum(w.capacity * max(w.success_rate, 0.05) / w.latency for w in workers)


def choose(
    skill: str, workers: Sequence[WorkerLoad], *, units: float = 1.0, max_queue: int = 2,
    waiting_units: float = 0.0,
) -> Decision | None:
    """The best worker for one task of ``skill``; ``None`` means: wait (back-pressure).

    A task waits when every eligible worker is full, and also when the only workers with room
    are so slow that the task would finish there after all known work has drained (the
    *horizon*: work assigned plus ``waiting_units`` still unassigned, over the eligible
    workers' combined throughput) while a busy faster worker would finish it sooner. That
    second rule keeps a slow worker from taking the last big task and setting the makespan;
    because waiting tasks are served oldest first, a waiting task gets the next free slot of
    a faster worker and is never starved. Ties break by fewer tasks in hand, then by id.
    """
    eligible = [w for w in workers if skill in w.skills]
    if not eligible:
        return None
    open_ = [w for w in eligible if w.running + w.queued < w.capacity + max_queue]
    if not open_:
        return None
    best = min(open_, key=lambda w: (_expected(w, units), w.running + w.queued, w.agent_id))
    eta = _expected(best, units)
    horizon = (sum(w.backlog_units for w in eligible) + waiting_units + units) / _throughput(eligible)
    fastest = min(_expected(w, units) for w in eligible)
    if eta > horizon and fastest < eta:
        return None
    reason = (
        f"skill {skill!r}; {best.running}/{best.capacity} busy, {best.queued} queued; "
        f"success {best.success_rate:.0%}; {best.latency:.2f}s/unit → expected finish {eta:.2f}s, "
        f"best of {len(open_)} with free room ({len(eligible)} with the skill)"
    )
    scores = {"expected_finish": round(eta, 4), "running": float(best.running),
              "queued": float(best.queued), "capacity": float(best.capacity),
              "success_rate": round(best.success_rate, 4), "latency": round(best.latency, 4),
              "candidates": float(len(open_)), "horizon": round(horizon, 4)}
    return Decision(best.agent_id, reason, eta, scores)
