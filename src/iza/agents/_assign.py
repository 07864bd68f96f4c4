"""Delegation: turning the task table into worker load and recording each assignment.

The load snapshot counts, for every candidate worker, the tasks assigned to it across all
running missions (running or waiting their turn), and derives its success rate and seconds per task from
its last finished tasks. :func:`iza.agents._balancer.choose` picks; this module writes the
choice and its reason in the same transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from iza.agents._balancer import PRIOR_LATENCY, Decision, WorkerLoad, choose
from iza.agents._models import AssignmentRow, MissionRow, TaskRow
from iza.agents._roster import AgentSpec
from iza.errors import RuntimeFailure
from iza.kernel.store import Store, utcnow

__all__ = ["assign", "load_snapshot"]

_HISTORY = 20


def load_snapshot(store: Store, candidates: list[AgentSpec]) -> list[WorkerLoad]:
    ids = [a.id for a in candidates]
    with store.read() as session:
        # Only missions that are running hold a worker's capacity: a mission paused for
        # approval (or cancelled) must not block everyone else's work.
        counts = session.execute(
            sa.select(TaskRow.agent_id, TaskRow.state, sa.func.count())
            .join(MissionRow, MissionRow.id == TaskRow.mission_id)
            .where(TaskRow.agent_id.in_(ids), TaskRow.state.in_(("pending", "running")),
                   TaskRow.tier == "worker", MissionRow.state == "running")
            .group_by(TaskRow.agent_id, TaskRow.state)
        ).all()
        history: dict[str, list[tuple[str, float]]] = {i: [] for i in ids}
        for agent_id in ids:
            rows = session.execute(
                sa.select(TaskRow.state, TaskRow.started_at, TaskRow.finished_at)
                .where(TaskRow.agent_id == agent_id, TaskRow.state.in_(("done", "failed")),
                       TaskRow.finished_at.is_not(None))
                .order_by(TaskRow.finished_at.desc()).limit(_HISTORY)
            ).all()
            history[agent_id] = [
                (st, (fin - sta).total_seconds() if sta and fin else PRIOR_LATENCY)
                for st, sta, fin in rows
            ]
    running = {i: 0 for i in ids}
    queued = {i: 0 for i in ids}
    for who, state, n in counts:
        (running if state == "running" else queued)[str(who)] = int(n)
    observed = [sum(d for _, d in h) / len(h) for h in history.values() if h]
    # A worker with no history is assumed as fast as its peers' average, so it gets tried
    # rather than starved by workers whose (short) history makes them look fast.
    prior = sum(observed) / len(observed) if observed else PRIOR_LATENCY
    loads = []
    for a in candidates:
        hist = history[a.id]
        ok = sum(1 for st, _ in hist if st == "done")
        rate = (ok + 1) / (len(hist) + 1)  # Laplace: one failure out of one is not 0%
        latency = (sum(d for _, d in hist) / len(hist)) if hist else prior
        loads.append(WorkerLoad(a.id, frozenset(a.skills), a.capacity, running[a.id], queued[a.id],
                                float(running[a.id] + queued[a.id]), rate, max(latency, 1e-3)))
    return loads


def assign(
    store: Store, task_id: str, skill: str, candidates: list[AgentSpec], *, max_queue: int,
    wait: bool = False, check: Callable[[], None] | None = None,
) -> Decision | None:
    """Pick a worker for ``task_id`` and record why; ``None`` if all are full and not ``wait``.

    With ``wait`` the call backs off until a worker has room (``check`` raises to give up,
    e.g. on cancellation or the wall-clock limit).
    """
    if not candidates:
        raise RuntimeFailure(f"no worker in the roster has skill {skill!r} for task {task_id}",
                             fix="add a worker with that skill (and the step's tool) to "
                             "$IZA_HOME/agents/roster.json, then resume the mission")
    delay = 0.05
    while True:
        decision = choose(skill, load_snapshot(store, candidates), max_queue=max_queue)
        if decision is not None or not wait:
            break
        if check is not None:
            check()
        time.sleep(delay)
        delay = min(delay * 2, 2.0)
    if decision is None:
        return None
    with store.transaction() as session:
        session.execute(sa.update(TaskRow).where(TaskRow.id == task_id)
                        .values(agent_id=decision.agent_id))
        mission_id = task_id.rsplit(".", 1)[0]
        session.add(AssignmentRow(mission_id=mission_id, task_id=task_id, agent_id=decision.agent_id,
                                  reason=decision.reason, scores=decision.scores, created_at=utcnow()))
    return decision
