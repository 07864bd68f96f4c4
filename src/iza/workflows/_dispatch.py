"""Where triggered executions run, and which active workflows a trigger reaches.

:class:`Dispatcher` runs an execution that a webhook, a schedule or a domain event started: in a
small thread pool of this process (``workflows.executor = "inline"``), or stored as ``queued`` and
sent to Celery workers (``"celery"``) — the same engine code runs it either way.

:class:`ActiveWorkflows` keeps the parsed definitions of the active workflows, re-reading only
those whose ``updated_at`` changed, so a trigger lookup (one per webhook request or domain event)
is one small query, not a parse of every definition.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from iza.errors import IzaError
from iza.workflows._errors import WorkflowError, WorkflowInputError
from iza.workflows._model import Workflow, parse_workflow
from iza.workflows._tables import WorkflowRow
from iza.workflows._triggers import event_matches, event_specs

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.events import EventRecord
    from iza.workflows.service import WorkflowService

__all__ = ["ActiveWorkflows", "Dispatcher", "event_handler"]

logger = logging.getLogger(__name__)

Item = dict[str, Any]


class ActiveWorkflows:
    """The active workflows of a store, parsed once per change."""

    def __init__(self, service: WorkflowService) -> None:
        self.service = service
        self._cache: dict[str, tuple[datetime, Workflow | None]] = {}
        self._lock = threading.Lock()

    def current(self) -> list[Workflow]:
        store = self.service.store
        with store.read() as s:
            stamps = dict(s.execute(sa.select(WorkflowRow.id, WorkflowRow.updated_at)
                                    .where(WorkflowRow.active.is_(True))).all())
        with self._lock:
            stale = [i for i, at in stamps.items() if i not in self._cache or self._cache[i][0] != at]
            if stale:
                with store.read() as s:
                    rows = s.execute(sa.select(WorkflowRow.id, WorkflowRow.updated_at,
                                               WorkflowRow.definition)
                                     .where(WorkflowRow.id.in_(stale))).all()
                for wf_id, at, definition in rows:
                    try:
                        wf: Workflow | None = parse_workflow(definition, source=f"workflow {wf_id}")
                    except WorkflowInputError as exc:
                        logger.warning("active workflow %s cannot be parsed: %s", wf_id, exc.message)
                        wf = None
                    self._cache[wf_id] = (at, wf)
            for gone in set(self._cache) - set(stamps):
                del self._cache[gone]
            return [wf for _, wf in self._cache.values() if wf is not None]


class Dispatcher:
    """Runs triggered executions in this process's thread pool or on Celery workers."""

    def __init__(self, service: WorkflowService, settings: Settings | None = None, *,
                 workers: int = 2, background: bool = True) -> None:
        self.service = service
        self.settings = settings
        self.executor = settings.get_str("workflows.executor") if settings is not None else "inline"
        self.background = background
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def _submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="iza-wf-trigger")
            future = self._pool.submit(fn, *args, **kwargs)
            self._futures.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)
        exc = future.exception()
        if exc is not None:
            logger.error("triggered workflow run failed: %s", exc, exc_info=exc)

    def launch(self, wf: Workflow, *, items: list[Item], mode: str, start: str | None) -> Future[Any] | int:
        """Start one execution; returns the queued execution id (Celery) or the running future."""
        if self.executor == "celery" and self.settings is not None:
            from iza.workflows._celery import submit

            exec_id = self.service.enqueue(wf, items=items, mode=mode, start=start)
            submit(self.settings, exec_id)
            logger.info("workflow %s (%s) queued as execution %s", wf.name, mode, exec_id)
            return exec_id
        if not self.background:
            future: Future[Any] = Future()
            future.set_result(self.service.run(wf, items=items, mode=mode, start=start))
            return future
        logger.info("workflow %s started by %s trigger %s", wf.name, mode, start)
        return self._submit(self.service.run, wf, items=items, mode=mode, start=start)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` on the pool (or now, when not in the background)."""
        if not self.background:
            future: Future[Any] = Future()
            future.set_result(fn(*args, **kwargs))
            return future
        return self._submit(fn, *args, **kwargs)

    def pending(self) -> int:
        with self._lock:
            return len(self._futures)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted run has finished (tests and shutdown)."""
        from concurrent.futures import wait

        with self._lock:
            futures = list(self._futures)
        done, not_done = wait(futures, timeout=timeout)
        return not not_done

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


def event_handler(active: ActiveWorkflows, dispatcher: Dispatcher) -> Callable[[EventRecord], None]:
    """A ``subscribe("*", …)`` handler: run each active workflow whose Event Trigger matches.

    The item is the event's payload plus ``_event`` (name, id, created_at), so a workflow reads
    ``{{ $json.order_id }}`` directly.
    """

    def on_event(record: EventRecord) -> None:
        try:
            workflows = active.current()
        except Exception as exc:  # a store that went away must not fail the publisher
            logger.warning("event %s: active workflows unavailable: %s", record.name, exc)
            return
        failed: list[str] = []
        for wf in workflows:
            for spec in event_specs(wf):
                if event_matches(spec.patterns, record.name):
                    item = {"json": {**record.payload, "_event": {
                        "name": record.name, "id": record.id,
                        "created_at": record.created_at.isoformat()}}}
                    try:
                        dispatcher.launch(wf, items=[item], mode="trigger", start=spec.node)
                    except IzaError as exc:  # the other workflows still start
                        logger.error("event %s: workflow %s did not start: %s", record.name, wf.name, exc)
                        failed.append(f"{wf.name}: {exc.message}")
                    break
        if failed:
            raise WorkflowError("event-triggered workflows did not start: " + "; ".join(failed))

    return on_event
