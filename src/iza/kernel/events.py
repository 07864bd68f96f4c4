"""Typed domain events through one :func:`publish`, persisted in an outbox, delivered in process.

An event is a frozen dataclass with a dotted ``name`` (``order.paid``)::

    @dataclass(frozen=True)
    class OrderPaid(Event):
        name: ClassVar[str] = "order.paid"
        order_id: str
        amount_minor: int

    publish(store, OrderPaid(order_id="o1", amount_minor=4900))

``publish`` writes the event to the ``events`` table. Given the caller's session, the row is part
of the caller's transaction (it exists exactly when the caller's writes do) and subscribers run
after that transaction commits; without one, it commits its own. Subscribers are called in
process, in registration order; a failing subscriber is logged and recorded on the row
(``attempts``, ``last_error``) and never fails the publisher. Rows not yet delivered (a crash
between commit and delivery) are delivered by :func:`redeliver`. A Celery transport can take over
delivery later without changing publishers.

Lower layers own this registry; higher layers subscribe (``subscribe(OrderPaid, handler)``), so
nothing here imports upwards.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from iza.kernel._models import EventRow
from iza.kernel.store import Store, utcnow

__all__ = [
    "Event",
    "EventRecord",
    "SystemInitialized",
    "TokenCreated",
    "event_types",
    "publish",
    "recent",
    "redeliver",
    "subscribe",
    "unsubscribe",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every domain event. Subclasses set ``name`` and declare their fields."""

    name: ClassVar[str] = "event"
    _types: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name in Event._types and Event._types[cls.name] is not cls:
            existing = Event._types[cls.name].__qualname__
            raise TypeError(f"event name {cls.name!r} is already used by {existing}")
        Event._types[cls.name] = cls

    def payload(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class EventRecord:
    """An event as stored: what ``recent`` returns and what wildcard subscribers receive."""

    id: int
    name: str
    payload: dict[str, Any]
    created_at: datetime
    delivered_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "payload": self.payload,
            "created_at": self.created_at.isoformat(),
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class SystemInitialized(Event):
    name: ClassVar[str] = "system.initialized"
    home: str


@dataclass(frozen=True)
class TokenCreated(Event):
    name: ClassVar[str] = "auth.token_created"
    token_name: str


Handler = Callable[[Any], None]
_subscribers: list[tuple[str, Handler]] = []
_wants: dict[Handler, Callable[[str], bool]] = {}
_sub_lock = threading.Lock()


def event_types() -> dict[str, type[Event]]:
    return dict(Event._types)


def subscribe(target: type[Event] | str, handler: Handler, *,
              wants: Callable[[str], bool] | None = None) -> None:
    """Call ``handler`` for each delivered event.

    ``target`` is an event class (the handler gets the event object), or a name pattern:
    ``"order.paid"``, ``"order.*"`` or ``"*"`` (the handler gets an :class:`EventRecord`).
    ``wants(name)``, when given, narrows the pattern at publish time (a subscriber whose interest
    changes, such as the active workflows' Event Triggers): an event it declines is not delivered
    to it, and if nobody else matches, it is stored as already delivered (no second commit).
    """
    key = target if isinstance(target, str) else f"type:{target.name}"
    with _sub_lock:
        _subscribers.append((key, handler))
        if wants is not None:
            _wants[handler] = wants


def unsubscribe(handler: Handler) -> None:
    with _sub_lock:
        _subscribers[:] = [(k, h) for k, h in _subscribers if h is not handler]
        _wants.pop(handler, None)


def _matches(pattern: str, name: str) -> bool:
    if pattern == "*" or pattern == name:
        return True
    return pattern.endswith(".*") and name.startswith(pattern[:-1])


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _record(row: EventRow) -> EventRecord:
    return EventRecord(row.id, row.name, dict(row.payload), row.created_at, row.delivered_at,
                       row.attempts, row.last_error)


def _has_subscriber(name: str) -> bool:
    with _sub_lock:
        subs = list(_subscribers)
        wants = dict(_wants)
    # ``wants`` filters run outside the lock: they may read a store.
    return any(_wanted(key, handler, name, wants) for key, handler in subs)


def _wanted(key: str, handler: Handler, name: str, wants: dict[Handler, Callable[[str], bool]]) -> bool:
    if key.startswith("type:"):
        return key[5:] == name
    if not _matches(key, name):
        return False
    narrow = wants.get(handler)
    return narrow is None or narrow(name)


def publish(store: Store, event: Event, session: Session | None = None) -> int:
    """Persist ``event`` and deliver it to subscribers once its transaction has committed.

    An event that no subscriber of this process matches is stored as already delivered (to
    nobody, ``attempts = 1``), exactly what delivering it after the commit would record, but
    without a second write; it is the common case for a webhook that books a payment, and it
    halves the commits of a batch of them.
    """
    deliver = _has_subscriber(event.name)
    if session is None:
        with store.transaction() as own:
            record = _add(own, event, deliver)
        if deliver:
            _deliver(store, record.id, event, record)
        return record.id
    record = _add(session, event, deliver)
    if deliver:
        pending: list[tuple[int, Event, EventRecord]] = session.info.setdefault("iza_events", [])
        if not pending:
            sa_event.listen(session, "after_commit", _after_commit_factory(store), once=True)
        pending.append((record.id, event, record))
    return record.id


_TABLE: Any = EventRow.__table__
_INSERT = sa.insert(_TABLE).returning(_TABLE.c.id)


def _add(session: Session, event: Event, deliver: bool) -> EventRecord:
    # A Core insert, not ``session.add`` + flush: the unit of work costs several times the
    # insert itself, and nothing reads the row back through the ORM in this transaction.
    now = utcnow()
    payload = event.payload()
    delivered = None if deliver else now
    attempts = 0 if deliver else 1
    event_id = int(session.connection().execute(_INSERT, {
        "name": event.name, "payload": payload, "created_at": now, "delivered_at": delivered,
        "attempts": attempts}).scalar_one())
    return EventRecord(event_id, event.name, payload, now, delivered, attempts)


def _after_commit_factory(store: Store) -> Callable[[Session], None]:
    def _after_commit(session: Session) -> None:
        # The publisher's transaction has committed; each delivery records its outcome in a
        # transaction of its own (re-entrant writer lock on SQLite, same thread).
        # Outcomes are recorded together, in one transaction, so a transaction that
        # published many events (a batch of webhooks) costs one extra commit, not one per event.
        pending = session.info.pop("iza_events", [])
        _mark(store, [(event_id, _call_subscribers(event_id, ev, rec))
                      for event_id, ev, rec in pending])

    return _after_commit


def _deliver(store: Store, event_id: int, event: Event | None, record: EventRecord) -> None:
    _mark(store, [(event_id, _call_subscribers(event_id, event, record))])


def _call_subscribers(event_id: int, event: Event | None, record: EventRecord) -> list[str]:
    with _sub_lock:
        subs = list(_subscribers)
        wants = dict(_wants)
    errors: list[str] = []
    for key, handler in subs:
        if key.startswith("type:"):
            if key[5:] != record.name:
                continue
            arg: Any = event if event is not None else _rebuild(record)
        elif _wanted(key, handler, record.name, wants):
            arg = record
        else:
            continue
        try:
            handler(arg)
        except Exception as exc:  # a subscriber's failure must not fail the publisher
            logger.exception("subscriber %r failed on event %s #%s", handler, record.name, event_id)
            errors.append(f"{getattr(handler, '__qualname__', handler)}: {exc}")
    return errors


def _mark(store: Store, outcomes: list[tuple[int, list[str]]]) -> None:
    if not outcomes:
        return
    delivered = [event_id for event_id, errors in outcomes if not errors]
    with store.transaction() as session:
        if delivered:
            session.execute(
                sa.update(EventRow)
                .where(EventRow.id.in_(delivered))
                .values(attempts=EventRow.attempts + 1, delivered_at=utcnow(), last_error=None)
            )
        for event_id, errors in outcomes:
            if errors:
                session.execute(
                    sa.update(EventRow)
                    .where(EventRow.id == event_id)
                    .values(attempts=EventRow.attempts + 1, delivered_at=None,
                            last_error="; ".join(errors)[:2000])
                )


def _rebuild(record: EventRecord) -> Event | EventRecord:
    cls = Event._types.get(record.name)
    if cls is None:
        return record
    try:
        return cls(**record.payload)
    except TypeError:
        return record


def redeliver(store: Store, limit: int = 1000) -> int:
    """Deliver events that were committed but not (successfully) delivered; returns the count."""
    with store.read() as session:
        rows = session.scalars(
            sa.select(EventRow).where(EventRow.delivered_at.is_(None)).order_by(EventRow.id)
            .limit(limit)
        ).all()
        records = [_record(r) for r in rows]
    for rec in records:
        _deliver(store, rec.id, None, rec)
    return len(records)


def recent(
    store: Store, limit: int = 50, *, after_id: int = 0, names: Iterable[str] = ()
) -> list[EventRecord]:
    """Events newest first (or, with ``after_id``, those after it, oldest first)."""
    stmt = sa.select(EventRow)
    patterns = [p for p in names if p != "*"]
    if patterns:
        conds = [
            EventRow.name.like(p[:-1] + "%") if p.endswith(".*") else EventRow.name == p
            for p in patterns
        ]
        stmt = stmt.where(sa.or_(*conds))
    if after_id:
        stmt = stmt.where(EventRow.id > after_id).order_by(EventRow.id)
    else:
        stmt = stmt.order_by(EventRow.id.desc())
    with store.read() as session:
        return [_record(r) for r in session.scalars(stmt.limit(limit)).all()]
