"""The scheduler inside ``iza serve``: fires active workflows' schedule triggers at their times and
resumes waiting executions whose time has come.

Time comes from an injected ``clock`` (UTC ``datetime``), so tests move time forward by hours
without sleeping; :meth:`Scheduler.tick` does one pass and can be called directly. The thread in
:meth:`start` only calls ``tick`` every ``tick_s`` seconds of real time.

Like n8n, a rule's first fire is its next time after the workflow is seen active, and fires missed
while the server was down are not made up: after a fire, the next time is the first one after
*now*. Editing or re-activating a workflow reschedules it. When several server processes share a
store, each runs a scheduler but only the holder of the store's ``scheduler`` lease
(:class:`~iza.workflows._lease.Lease`) fires rules and resumes waits; another takes over within
the lease's time-to-live when the holder stops or dies.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iza.errors import IzaError
from iza.kernel.store import utcnow
from iza.workflows._dispatch import ActiveWorkflows, Dispatcher
from iza.workflows._lease import Lease
from iza.workflows._model import Workflow
from iza.workflows._triggers import ScheduleRule, schedule_item, schedule_rules

__all__ = ["Fired", "Scheduler"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fired:
    workflow_id: str
    workflow: str
    node: str
    at: datetime
    run: Future[Any] | int


class Scheduler:
    """Schedule triggers of the active workflows, fired on an injectable clock."""

    def __init__(self, dispatcher: Dispatcher, *, timezone: str = "America/New_York",
                 clock: Callable[[], datetime] = utcnow, tick_s: float = 1.0,
                 resume_waiting: bool = True, lease: Lease | None = None) -> None:
        self.dispatcher = dispatcher
        #: With a lease, this scheduler fires only while it holds it (several servers, one store).
        self.lease = lease
        self.active = ActiveWorkflows(dispatcher.service)
        self.timezone = timezone
        self.clock = clock
        self.tick_s = tick_s
        self.resume_waiting = resume_waiting
        #: (workflow id, rule key) → (definition stamp, rule, next fire time)
        self._next: dict[tuple[str, str], tuple[str, ScheduleRule, datetime]] = {}
        self._rules: dict[str, tuple[Workflow, str, list[ScheduleRule]]] = {}
        self._resuming: Future[Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ---- one pass ---------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> list[Fired]:
        """Fire every rule that is due at ``now`` (default: the clock) and resume due waits."""
        now = now or self.clock()
        fired: list[Fired] = []
        if self.lease is not None and not self.lease.hold(now):
            with self._lock:  # another server fires; start afresh if this one takes over later
                self._next.clear()
            return fired
        with self._lock:
            seen: set[tuple[str, str]] = set()
            seen_wf: set[str] = set()
            for wf in self.active.current():
                seen_wf.add(str(wf.id))
                parsed = self._rules_of(wf)
                if parsed is None:
                    continue
                stamp, rules = parsed
                for rule in rules:
                    key = (str(wf.id), rule.key)
                    seen.add(key)
                    entry = self._next.get(key)
                    if entry is None or entry[0] != stamp:
                        self._next[key] = (stamp, rule, rule.next_after(now))
                        continue
                    _, _, due = entry
                    if due > now:
                        continue
                    node = wf.nodes[rule.node]
                    item = schedule_item(node.kind, due, rule.timezone)
                    try:
                        run = self.dispatcher.launch(wf, items=[item], mode="trigger", start=rule.node)
                    except IzaError as exc:
                        logger.error("workflow %s: schedule %s could not start: %s", wf.name,
                                     rule.key, exc)
                        run = 0
                    fired.append(Fired(str(wf.id), wf.name, rule.node, due, run))
                    self._next[key] = (stamp, rule, rule.next_after(now, last=due))
            for key in set(self._next) - seen:
                del self._next[key]
            for wf_id in set(self._rules) - seen_wf:
                del self._rules[wf_id]
        if self.resume_waiting and (self._resuming is None or self._resuming.done()):
            self._resuming = self.dispatcher.call(self.dispatcher.service.resume_due, now)
        return fired

    def _rules_of(self, wf: Workflow) -> tuple[str, list[ScheduleRule]] | None:
        """The workflow's rules, computed once per parsed definition (the active set reuses the
        same object until the workflow changes)."""
        cached = self._rules.get(str(wf.id))
        if cached is not None and cached[0] is wf:
            return cached[1], cached[2]
        try:
            rules = schedule_rules(wf, self.timezone)
        except IzaError as exc:
            logger.warning("workflow %s: schedule not usable: %s", wf.name, exc)
            return None
        stamp = str(hash(str(wf.raw.get("nodes")) + str(wf.settings)))
        self._rules[str(wf.id)] = (wf, stamp, rules)
        return stamp, rules

    def upcoming(self) -> list[dict[str, Any]]:
        """The next fire time of each scheduled rule (for the dashboard)."""
        with self._lock:
            return [{"workflow_id": wf_id, "rule": key, "node": rule.node,
                     "describe": rule.describe(), "next": at.isoformat()}
                    for (wf_id, key), (_, rule, at) in sorted(self._next.items())]

    # ---- the background thread ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="iza-wf-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the scheduler must outlive one bad pass (a locked database…)
                logger.exception("workflow scheduler pass failed")
            self._stop.wait(self.tick_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.lease is not None:
            try:
                self.lease.release()
            except Exception:  # a store already closed: the lease simply runs out
                logger.warning("workflow scheduler lease not released", exc_info=True)
