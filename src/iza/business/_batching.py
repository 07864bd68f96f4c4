"""Group commit for webhook deliveries: many events, one transaction.

Each webhook request hands its verified event to the store's single ingest thread and waits for
the result, so Stripe still gets its 2xx only after the event is durably applied. The thread
drains whatever has queued up (up to ``MAX_BATCH`` events) and applies the lot in one
transaction (waiting up to ``LINGER_SECONDS`` for company), in arrival order, with the same
per-event logic as :func:`process_event`. On
SQLite, where one writer at a time is the rule anyway, this turns N commits (and N lock
hand-offs) into one.

If anything in a batch fails — a malformed event, or a unique-key race with another process on
PostgreSQL — the batch is rolled back and its events are re-applied one by one, so one bad
event can only fail its own request.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any

import sqlalchemy as sa

from iza.business._models import StripeEventRow
from iza.business._stripe_handlers import Ctx, dispatch
from iza.business._webhook import IngestResult, check_event, process_event
from iza.kernel.store import Store, utcnow

__all__ = ["MAX_BATCH", "submit"]

logger = logging.getLogger(__name__)

MAX_BATCH = 200
#: How long the writer waits for more deliveries before committing: a few milliseconds of
#: latency buys far fewer commits when webhooks arrive together.
LINGER_SECONDS = 0.003
_IDLE_SECONDS = 5.0

_Item = tuple[dict[str, Any], "Future[IngestResult]"]


class _Ingestor:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: queue.Queue[_Item] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, event: dict[str, Any]) -> Future[IngestResult]:
        fut: Future[IngestResult] = Future()
        self.queue.put((event, fut))
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="iza-stripe-ingest",
                                               daemon=True)
                self.thread.start()
        return fut

    def _run(self) -> None:
        while True:
            try:
                first = self.queue.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with self.lock:
                    if self.queue.empty():
                        self.thread = None
                        return
                continue
            batch = [first]
            deadline = time.monotonic() + LINGER_SECONDS
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                    continue
                except queue.Empty:
                    pass
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
                try:
                    batch.append(self.queue.get(timeout=wait))
                except queue.Empty:
                    break
            self._apply(batch)

    def _apply(self, batch: list[_Item]) -> None:
        try:
            results = _apply_batch(self.store, [ev for ev, _ in batch])
        except Exception:
            logger.info("stripe batch of %d failed; applying its events one by one", len(batch))
            for ev, fut in batch:
                try:
                    fut.set_result(process_event(self.store, ev))
                except Exception as exc:
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results, strict=True):
            fut.set_result(result)


_EVENT_TABLE: Any = StripeEventRow.__table__
_EVENT_INSERT = sa.insert(_EVENT_TABLE)


def _apply_batch(store: Store, events: list[dict[str, Any]]) -> list[IngestResult]:
    for ev in events:
        check_event(ev)
    ids = [str(ev["id"]) for ev in events]
    results: list[IngestResult] = []
    seen: list[dict[str, Any]] = []
    with store.transaction() as session:
        known = set(session.scalars(sa.select(StripeEventRow.event_id)
                                    .where(StripeEventRow.event_id.in_(set(ids)))))
        for ev, eid in zip(events, ids, strict=True):
            etype, created = str(ev["type"]), int(ev["created"])
            if eid in known:
                results.append(IngestResult(eid, etype, "duplicate"))
                continue
            known.add(eid)
            obj = ev["data"]["object"]
            outcome = dispatch(Ctx(store, session, eid, created, etype), obj)
            seen.append({"event_id": eid, "type": etype, "object_id": str(obj.get("id")),
                         "event_created": created, "received_at": utcnow(), "outcome": outcome})
            results.append(IngestResult(eid, etype, outcome))
        if seen:  # one multi-row insert for the batch; the primary key still refuses a repeat
            session.execute(_EVENT_INSERT, seen)
    logger.info("stripe batch: %d event(s) applied in one transaction", len(events))
    return results


_ingestors: dict[str, _Ingestor] = {}
_registry_lock = threading.Lock()


def submit(store: Store, event: dict[str, Any]) -> Future[IngestResult]:
    """Queue an authenticated event for the store's ingest thread; resolve when committed."""
    with _registry_lock:
        ing = _ingestors.get(store.url)
        if ing is None or ing.store is not store:
            ing = _ingestors[store.url] = _Ingestor(store)
    return ing.submit(event)
