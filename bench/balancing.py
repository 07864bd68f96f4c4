"""Workload balancing benchmark: 1,000 tasks on heterogeneous workers.

Compares the workforce's balancer (``iza.agents.choose``: earliest expected finish from skill,
free capacity, queue, learned latency and success rate, with back-pressure: tasks wait in a
central FIFO backlog until a worker has room) with round-robin and random assignment, and with
the lower bound ``total work / total capacity``.

The simulated workers differ in slots (capacity 1-4), speed (0.4x-2.5x) and reliability (a few
fail 15% of tasks, which then run again); each has two of three skills. Task sizes are
log-normal; the balancer sees only a noisy estimate (±25%) of a task's size and must *learn*
each worker's speed and success rate from what it observes, exactly as in the real assignment
path. The baselines push each task to a worker as it arrives (round-robin over the workers with
the skill, or uniformly at random among them). A stronger, work-conserving baseline is also
shown: ``free-slot`` pulls from the same backlog (first come, first served) into a random free
slot of a worker with the skill, using no speed or reliability information.

Run: ``.venv/bin/python bench/balancing.py [--tasks 1000] [--seeds 5]``
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
from collections import deque
from dataclasses import dataclass, field

from iza.agents import WorkerLoad, choose
from iza.agents._balancer import priority, update_latency


def warm_up(workers: list[Worker], rng: random.Random) -> None:
    """Give each worker the history the real snapshot reads: 5 timed tasks, 20 outcomes."""
    for w in workers:
        latency = None
        for _ in range(5):
            latency = update_latency(latency, rng.uniform(0.75, 1.25) / w.speed)
        w.latency = latency
        for _ in range(20):
            if rng.random() < w.fail_rate:
                w.failed += 1
            else:
                w.done += 1

SKILLS = ("frontend", "backend", "testing")


@dataclass
class Worker:
    id: str
    skills: frozenset[str]
    capacity: int
    speed: float
    fail_rate: float
    running: int = 0
    queue: deque[int] = field(default_factory=deque)
    backlog_units: float = 0.0
    # what the balancer has learned
    latency: float | None = None
    done: int = 0
    failed: int = 0


@dataclass
class Task:
    id: int
    skill: str
    size: float
    estimate: float


def make_world(rng: random.Random, n_tasks: int) -> tuple[list[Worker], list[Task]]:
    workers = []
    pairs = [frozenset(p) for p in (("frontend", "backend"), ("backend", "testing"),
                                     ("frontend", "testing"))]
    for i in range(24):
        workers.append(Worker(
            id=f"w{i:02d}", skills=pairs[i % 3], capacity=rng.choice((1, 2, 2, 3, 4)),
            speed=rng.choice((0.4, 0.7, 1.0, 1.0, 1.5, 2.5)),
            fail_rate=0.15 if i % 8 == 5 else rng.choice((0.0, 0.01, 0.03)),
        ))
    tasks = []
    for t in range(n_tasks):
        size = rng.lognormvariate(0.0, 0.6)
        tasks.append(Task(t, rng.choice(SKILLS), size, size * rng.uniform(0.75, 1.25)))
    return workers, tasks


def lower_bound(workers: list[Worker], tasks: list[Task]) -> float:
    return sum(t.size for t in tasks) / sum(w.capacity * w.speed for w in workers)


def _load(w: Worker) -> WorkerLoad:
    n = w.done + w.failed
    return WorkerLoad(w.id, w.skills, w.capacity, w.running, len(w.queue), w.backlog_units,
                      (w.done + 1) / (n + 1), w.latency if w.latency is not None else 1.0)


def simulate(  # noqa: C901 - one event loop, kept whole so it reads top to bottom
    policy: str, workers: list[Worker], tasks: list[Task], rng: random.Random, max_queue: int = 1
) -> dict[str, float]:
    """Discrete-event simulation; returns the makespan and the number of retries."""
    by_id = {w.id: w for w in workers}
    events: list[tuple[float, int, str, int]] = []  # (time, seq, worker, task)
    seq = 0
    now = 0.0
    started: dict[int, float] = {}
    arrival = {t.id: 0.0 for t in tasks}
    backlog: deque[int] = deque(t.id for t in tasks)
    rr: dict[str, int] = {s: 0 for s in SKILLS}
    finished = 0
    makespan = 0.0
    retries = 0

    def start_next(w: Worker) -> None:
        nonlocal seq
        while w.running < w.capacity and w.queue:
            tid = w.queue.popleft()
            w.running += 1
            started.setdefault(tid, now)
            seq += 1
            heapq.heappush(events, (now + tasks[tid].size / w.speed, seq, w.id, tid))

    def place(tid: int, w: Worker) -> None:
        w.queue.append(tid)
        w.backlog_units += tasks[tid].estimate
        start_next(w)

    def dispatch() -> None:
        """Balancer: waiting tasks by ``priority`` (larger first, aging), each to the best
        worker with room, or left waiting (back-pressure). Once a skill's head task must wait,
        no later task of that skill is placed in this round.
        """
        blocked: set[str] = set()
        kept: list[int] = []
        exploring = any(w.latency is None for w in workers)
        ordered = sorted(backlog, key=lambda t: -priority(tasks[t].estimate, now - arrival[t],
                                                          exploring=exploring))
        backlog.clear()
        backlog.extend(ordered)
        waiting = {s: 0.0 for s in SKILLS}
        for tid in backlog:
            waiting[tasks[tid].skill] += tasks[tid].estimate
        while backlog:
            if len(blocked) == len(SKILLS):
                kept.extend(backlog)
                backlog.clear()
                break
            tid = backlog.popleft()
            task = tasks[tid]
            waiting[task.skill] -= task.estimate
            target: Worker | None = None
            if task.skill in blocked:
                pass
            elif policy == "free-slot":
                free = [w for w in workers if task.skill in w.skills and w.running < w.capacity]
                target = rng.choice(free) if free else None
            else:
                decision = choose(task.skill, [_load(w) for w in workers if task.skill in w.skills],
                                  units=task.estimate, max_queue=max_queue,
                                  waiting_units=max(waiting[task.skill], 0.0))
                target = by_id[decision.agent_id] if decision else None
            if target is None:
                blocked.add(task.skill)
                kept.append(tid)
                continue
            place(tid, target)
        backlog.extend(kept)

    pulls = policy in ("balancer", "free-slot")
    if pulls:
        dispatch()
    else:
        for task in tasks:
            eligible = [w for w in workers if task.skill in w.skills]
            if policy == "round-robin":
                w = eligible[rr[task.skill] % len(eligible)]
                rr[task.skill] += 1
            else:
                w = rng.choice(eligible)
            place(task.id, w)
        backlog.clear()

    while events:
        now, _, wid, tid = heapq.heappop(events)
        w = by_id[wid]
        w.running -= 1
        w.backlog_units -= tasks[tid].estimate
        observed = (now - started[tid]) / max(tasks[tid].estimate, 1e-6)
        started.pop(tid)
        w.latency = update_latency(w.latency, observed)
        if rng.random() < w.fail_rate:
            w.failed += 1
            retries += 1
            if pulls:
                backlog.appendleft(tid)  # back to the shared backlog
            else:
                place(tid, w)  # baselines retry where they pushed it
        else:
            w.done += 1
            finished += 1
            makespan = now
        start_next(w)
        if pulls:
            dispatch()
    assert finished == len(tasks), (policy, finished)
    return {"makespan": makespan, "retries": float(retries)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-queue", type=int, default=2, help="agents.max_queue")
    args = parser.parse_args()
    print(f"{args.tasks} tasks (log-normal sizes), 24 heterogeneous workers (capacity 1-4, speed "
          f"0.4-2.5x, 3 flaky at 15% failures, 2 of 3 skills each); {args.seeds} seeds; "
          f"max_queue={args.max_queue}")
    print(f"{'scenario':<26} {'policy':<12} {'makespan/LB mean':>16} {'worst':>7} {'mean makespan':>14}")
    for scenario in ("with worker history", "cold start (no history)"):
        ratios: dict[str, list[float]] = {"balancer": [], "round-robin": [], "random": [],
                                          "free-slot": []}
        spans: dict[str, list[float]] = {p: [] for p in ratios}
        bounds = []
        for seed in range(args.seeds):
            _, tasks = make_world(random.Random(seed), args.tasks)
            for policy in ratios:
                workers, _ = make_world(random.Random(seed), args.tasks)  # same world, fresh state
                if scenario.startswith("with"):
                    warm_up(workers, random.Random(500 + seed))
                lb = lower_bound(workers, tasks)
                result = simulate(policy, workers, tasks, random.Random(1000 + seed), args.max_queue)
                ratios[policy].append(result["makespan"] / lb)
                spans[policy].append(result["makespan"])
            bounds.append(lb)
        print(f"{scenario:<26} {'lower bound':<12} {1.0:>16.3f} {1.0:>7.3f} "
              f"{statistics.mean(bounds):>14.2f}")
        for policy in ratios:
            print(f"{'':<26} {policy:<12} {statistics.mean(ratios[policy]):>16.3f} "
                  f"{max(ratios[policy]):>7.3f} {statistics.mean(spans[policy]):>14.2f}")


if __name__ == "__main__":
    main()
