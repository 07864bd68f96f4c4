"""Group commit for webhook deliveries: many events, one transaction.

Each webhook request hands its verified event to the store's single ingest thread and waits for
the result, so Stripe still gets its 2xx only after the event is durably applied. The thread
drains whatever has queued up (up to ``MAX_BATCH`` events) and applies the lot in one
transaction (waiting up to ``LINGER_SECONDS`` for company), in arrival order, with the same
per-event logic as :func:`process_event`. On SQLite, where one writer at a time is the rule
anyway, this turns N commits (and N lock hand-offs) into one. A request from the event loop
(:func:`submit_async`) gets an asyncio future, and a batch's results reach each loop in one
``call_soon_threadsafe``: one wake-up of the loop per batch, not one per event.

If anything in a batch fails — a malformed event, or a unique-key race with another process on
PostgreSQL — the batch is rolled back and its events are re-applied one by one, so one bad
event can only fail its own request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future, InvalidStateError
from typing import Any

import sqlalchemy as sa

from iza.business._models import StripeEventRow
from iza.business._stripe_handlers import Ctx, dispatch
from iza.business._webhook import IngestResult, check_event, process_event
from iza.kernel.store import Store, utcnow

__all__ = ["MAX_BATCH", "submit", "submit_async"]

logger = logging.getLogger(__name__)

MAX_BATCH = 200
#: How long the writer waits for more deliveries before committing: a few milliseconds of
#: latency buys far fewer commits when webhooks arrive together.
LINGER_SECONDS = 0.003
_IDLE_SECONDS = 5.0

#: How a result gets back to its request: a concurrent Future (any thread), or an asyncio
#: future with its loop, resolved together with the rest of its batch in one loop wake-up.
_Sink = Future[IngestResult] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[IngestResult]"]
_Item = tuple[dict[str, Any], _Sink]
_Outcome = IngestResult | BaseException


class _Ingestor:
    def __init__(self, store: Store) -> None:
        self.store = store
        # SimpleQueue: put/get in C, no Python-level Condition per delivery (the profile showed
        # queue.Queue's notify among the top costs of the request path).
        self.queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, event: dict[str, Any], sink: _Sink) -> None:
        self.queue.put((event, sink))
        with self.lock:  # the thread retires under this lock only when the queue is empty
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="iza-stripe-ingest",
                                               daemon=True)
                self.thread.start()

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
            _resolve(batch, self._apply([ev for ev, _ in batch]))

    def _apply(self, events: list[dict[str, Any]]) -> list[_Outcome]:
        try:
            return list(_apply_batch(self.store, events))
        except Exception:
            logger.info("stripe batch of %d failed; applying its events one by one", len(events))
        outcomes: list[_Outcome] = []
        for ev in events:
            try:
                outcomes.append(process_event(self.store, ev))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes


def _set(fut: Future[IngestResult] | asyncio.Future[IngestResult], outcome: _Outcome) -> None:
    if fut.done():  # the request was cancelled (client went away); the event is applied anyway
        return
    try:
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)
    except InvalidStateError:  # cancelled from another thread in between: nobody waits for it
        pass


def _resolve(batch: list[_Item], outcomes: list[_Outcome]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[IngestResult], _Outcome]]] = {}
    for (_, sink), outcome in zip(batch, outcomes, strict=True):
        if isinstance(sink, Future):
            _set(sink, outcome)
        else:
            by_loop.setdefault(sink[0], []).append((sink[1], outcome))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_all, pairs)
        except RuntimeError:  # the loop has closed; nobody is waiting any more
            pass


def _resolve_all(pairs: list[tuple[asyncio.Future[IngestResult], _Outcome]]) -> None:
    for fut, outcome in pairs:
        _set(fut, outcome)


_EVENT_TABLE: Any = StripeEventRow.__table__
_EVENT_INSERT = sa.insert(_EVENT_TABLE)


_EVENT_ID: Any = _EVENT_TABLE.c.event_id
_KNOWN = {
    # PostgreSQL gets the ids as one array parameter: an expanding IN renders a typed bind per
    # id on every batch, which was the top PostgreSQL cost in the ingest profile.
    "postgresql": sa.select(_EVENT_ID).where(_EVENT_ID == sa.any_(
        sa.bindparam("ids", type_=sa.ARRAY(sa.String)))),
    "other": sa.select(_EVENT_ID).where(_EVENT_ID.in_(sa.bindparam("ids", expanding=True))),
}


def _known_stmt(dialect: str) -> Any:
    return _KNOWN["postgresql" if dialect == "postgresql" else "other"]


def _apply_batch(store: Store, events: list[dict[str, Any]]) -> list[IngestResult]:
    for ev in events:
        check_event(ev)
    ids = [str(ev["id"]) for ev in events]
    results: list[IngestResult] = []
    seen: list[dict[str, Any]] = []
    with store.transaction() as session:
        conn = session.connection()
        known = set(conn.execute(_known_stmt(conn.dialect.name), {"ids": sorted(set(ids))}).scalars())
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
            session.connection().execute(_EVENT_INSERT, seen)
    logger.info("stripe batch: %d event(s) applied in one transaction", len(events))
    return results


_ingestors: dict[str, _Ingestor] = {}
_registry_lock = threading.Lock()


def _ingestor(store: Store) -> _Ingestor:
    ing = _ingestors.get(store.url)
    if ing is None or ing.store is not store:
        with _registry_lock:
            ing = _ingestors.get(store.url)
            if ing is None or ing.store is not store:
                ing = _ingestors[store.url] = _Ingestor(store)
    return ing


def submit(store: Store, event: dict[str, Any]) -> Future[IngestResult]:
    """Queue an authenticated event for the store's ingest thread; resolve when committed."""
    fut: Future[IngestResult] = Future()
    _ingestor(store).submit(event, fut)
    return fut


def submit_async(store: Store, event: dict[str, Any]) -> asyncio.Future[IngestResult]:
    """:func:`submit` for a coroutine: the future belongs to the running loop, and a batch's
    results reach the loop in one ``call_soon_threadsafe`` instead of one per event."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[IngestResult] = loop.create_future()
    _ingestor(store).submit(event, (loop, fut))
    return fut

