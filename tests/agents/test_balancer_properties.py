"""Properties of the worker-choice rule (Hypothesis), and no starvation in a small simulation."""

from __future__ import annotations

import heapq
from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from iza.agents import WorkerLoad, choose
from iza.agents._balancer import priority

SKILLS = ("a", "b")

loads = st.builds(
    WorkerLoad,
    agent_id=st.sampled_from([f"w{i}" for i in range(8)]),
    skills=st.frozensets(st.sampled_from(SKILLS), min_size=1),
    capacity=st.integers(1, 4),
    running=st.integers(0, 4),
    queued=st.integers(0, 4),
    backlog_units=st.floats(0, 20),
    success_rate=st.floats(0.01, 1.0),
    latency=st.floats(0.05, 10.0),
)


@given(st.lists(loads, max_size=8, unique_by=lambda w: w.agent_id), st.sampled_from(SKILLS),
       st.floats(0.1, 10.0), st.integers(0, 3), st.floats(0, 100))
def test_choice_is_eligible_with_room_and_deterministic(
    workers: list[WorkerLoad], skill: str, units: float, max_queue: int, waiting: float
) -> None:
    decision = choose(skill, workers, units=units, max_queue=max_queue, waiting_units=waiting)
    again = choose(skill, list(reversed(workers)), units=units, max_queue=max_queue,
                   waiting_units=waiting)
    assert decision == again
    if decision is None:
        return
    chosen = next(w for w in workers if w.agent_id == decision.agent_id)
    assert skill in chosen.skills
    assert chosen.running + chosen.queued < chosen.capacity + max_queue
    assert decision.reason and decision.expected_finish >= 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SKILLS), st.floats(0.1, 8.0)), min_size=1, max_size=60),
       st.lists(st.tuples(st.integers(1, 3), st.floats(0.2, 3.0)), min_size=1, max_size=5))
def test_every_task_is_served(tasks: list[tuple[str, float]], specs: list[tuple[int, float]]) -> None:
    """Pull scheduling with back-pressure and aging finishes every task (no starvation)."""
    workers = {f"w{i}": {"skills": frozenset(SKILLS), "cap": cap, "speed": speed, "running": 0,
                         "units": 0.0} for i, (cap, speed) in enumerate(specs)}
    backlog = deque(range(len(tasks)))
    events: list[tuple[float, int, str]] = []
    now, done = 0.0, 0
    for _ in range(10 * len(tasks) + 10):
        ordered = sorted(backlog, key=lambda t: -priority(tasks[t][1], now))
        backlog = deque()
        for tid in ordered:
            skill, units = tasks[tid]
            snapshot = [WorkerLoad(wid, w["skills"], w["cap"], w["running"], 0, w["units"], 1.0,
                                   1.0 / w["speed"]) for wid, w in workers.items()]
            d = choose(skill, snapshot, units=units, max_queue=0)
            if d is None:
                backlog.append(tid)
                continue
            w = workers[d.agent_id]
            w["running"] += 1
            w["units"] += units
            heapq.heappush(events, (now + units / w["speed"], tid, d.agent_id))
        if not events:
            break
        now, tid, wid = heapq.heappop(events)
        workers[wid]["running"] -= 1
        workers[wid]["units"] -= tasks[tid][1]
        done += 1
    assert done == len(tasks) and not backlog
