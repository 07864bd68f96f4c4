"""Writing the ledger, customers and orders: the primitives every money path uses.

Ledger rows are insert-only and keyed by ``source_key`` (``invoice:in_…``, ``refund:ch_…:evt_…``,
``llm:<run>``). Inserting goes through ``INSERT … ON CONFLICT DO NOTHING`` so that the same
money movement reported twice — by two deliveries, or by two event types describing one
payment — lands once. Corrections are new rows, never updates.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from iza.business._events import OrderCreated, OrderDelivered, OrderPaid
from iza.business._models import (
    LEDGER_KINDS,
    ORDER_STATUSES,
    CustomerRow,
    LedgerRow,
    OrderRow,
    StripeObjectRow,
)
from iza.business._money import normalise_currency
from iza.errors import InputError, NotFoundError
from iza.kernel.events import publish
from iza.kernel.store import Store, utcnow

__all__ = [
    "advance_watermark",
    "attach_mission",
    "charge_refund_total",
    "create_order",
    "deliver_order",
    "ensure_customer",
    "insert_entry",
    "mark_order_paid",
    "new_order_id",
    "record_llm_cost",
    "set_order_status",
]


_STATEMENTS: dict[tuple[str, str, str], Any] = {}


def _dialect_insert(dialect: str, table: Any) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def _insert_stmt(dialect: str, table: Any, index: list[str]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING <key>``, built once per table and dialect.

    The values are passed at execution, so SQLAlchemy compiles the statement once and reuses
    it from its cache; building a fresh statement with ``.values(**row)`` each time costs more
    than running it (the webhook ingest profile showed statement construction on top)."""
    key = (dialect, table.name, ",".join(index))
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        # RETURNING tells inserted from skipped on every driver (psycopg reports rowcount -1 here).
        stmt = _STATEMENTS[key] = (_dialect_insert(dialect, table)
                                   .on_conflict_do_nothing(index_elements=index)
                                   .returning(table.c[index[0]]))
    return stmt


def _insert(session: Session, table: Any, values: dict[str, Any], index: list[str]) -> bool:
    # Core statements run on the session's connection: same transaction, none of the ORM
    # execution layer (there is nothing to autoflush for a Core insert).
    conn = session.connection()
    return conn.execute(_insert_stmt(conn.dialect.name, table, index), values).first() is not None


def insert_entry(session: Session, *, kind: str, amount_minor: int, currency: str,
                 occurred_at: datetime, source: str, source_key: str, **refs: Any) -> bool:
    """Add a ledger row unless one with ``source_key`` exists; True when it was added."""
    if kind not in LEDGER_KINDS:
        raise InputError(f"unknown ledger kind {kind!r}", fix=f"use one of {', '.join(LEDGER_KINDS)}")
    values = {"kind": kind, "amount_minor": int(amount_minor),
              "currency": normalise_currency(currency), "occurred_at": occurred_at,
              "source": source, "source_key": source_key[:200], **refs}
    if not _insert(session, LedgerRow.__table__, values, ["source_key"]):
        return False
    from iza.business._rollup import add_to_rollup

    add_to_rollup(session, values)
    return True


_REFUND_TOTAL = (sa.select(sa.func.coalesce(sa.func.sum(LedgerRow.amount_minor), 0))
                 .where(LedgerRow.charge_ref == sa.bindparam("charge_ref"), LedgerRow.kind == "refund"))


def charge_refund_total(session: Session, charge_ref: str) -> int:
    """Refunds recorded against a charge, as a positive number of minor units."""
    return -int(session.scalar(_REFUND_TOTAL, {"charge_ref": charge_ref}) or 0)


def _watermark_stmt(dialect: str) -> Any:
    key = (dialect, "biz_stripe_objects", "watermark")
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        table: Any = StripeObjectRow.__table__
        ins = _dialect_insert(dialect, table)
        stmt = _STATEMENTS[key] = ins.on_conflict_do_update(
            index_elements=["object_id"],
            set_={"event_created": ins.excluded.event_created, "event_id": ins.excluded.event_id},
            where=ins.excluded.event_created >= table.c.event_created,
        ).returning(table.c.object_id)
    return stmt


def advance_watermark(session: Session, object_id: str, object_type: str, created: int,
                      event_id: str) -> bool:
    """True when an event created at ``created`` is not older than the newest one already applied
    to ``object_id`` (and records it as the newest).

    One upsert decides and records it: the row is inserted, or updated only when the event is not
    older, and ``RETURNING`` yields a row exactly in those two cases. On PostgreSQL the upsert
    locks the object's row (also when its ``WHERE`` leaves it unchanged) for the rest of the
    transaction, so two events for one object apply one after the other."""
    conn = session.connection()
    row = conn.execute(_watermark_stmt(conn.dialect.name), {
        "object_id": object_id, "object_type": object_type, "event_created": created,
        "event_id": event_id}).first()
    return row is not None


def ensure_customer(session: Session, *, stripe_id: str | None = None, email: str | None = None,
                    name: str | None = None) -> CustomerRow:
    """The customer with this Stripe id (or, failing that, e-mail), created when missing."""
    row: CustomerRow | None = None
    if stripe_id:
        _insert(session, CustomerRow.__table__,
                {"stripe_id": stripe_id, "email": email, "name": name, "created_at": utcnow()},
                ["stripe_id"])
        row = session.scalars(sa.select(CustomerRow).where(CustomerRow.stripe_id == stripe_id)).one()
    elif email:
        row = session.scalars(sa.select(CustomerRow).where(CustomerRow.email == email)
                              .order_by(CustomerRow.id).limit(1)).first()
        if row is None:
            row = CustomerRow(email=email, name=name, created_at=utcnow())
            session.add(row)
            session.flush()
    else:
        raise InputError("a customer needs a Stripe id or an e-mail address",
                         fix="pass --email")
    if email and not row.email:
        row.email = email
    if name and not row.name:
        row.name = name
    return row


def new_order_id() -> str:
    return "ord_" + secrets.token_hex(8)


def create_order(store: Store, session: Session, *, service_slug: str, amount_minor: int,
                 currency: str, price_key: str | None = None, customer_id: int | None = None,
                 mission_id: str | None = None, checkout_session: str | None = None,
                 source: str = "manual", order_id: str | None = None) -> OrderRow:
    row = OrderRow(id=order_id or new_order_id(), service_slug=service_slug, price_key=price_key,
                   amount_minor=amount_minor, currency=normalise_currency(currency),
                   status="pending", customer_id=customer_id, mission_id=mission_id,
                   checkout_session=checkout_session, source=source, created_at=utcnow())
    session.add(row)
    session.flush()
    publish(store, OrderCreated(row.id, service_slug, amount_minor, row.currency), session=session)
    return row


def mark_order_paid(store: Store, session: Session, order: OrderRow, at: datetime,
                    customer_ref: str | None = None) -> bool:
    """Move a pending order to paid (once) and publish ``order.paid``."""
    if order.status != "pending":
        return False
    order.status = "paid"
    order.paid_at = at
    publish(store, OrderPaid(order.id, order.service_slug, order.amount_minor, order.currency,
                             customer_ref), session=session)
    return True


def set_order_status(session: Session, order_id: str, status: str) -> OrderRow:
    if status not in ORDER_STATUSES:
        raise InputError(f"unknown order status {status!r}",
                         fix=f"use one of {', '.join(ORDER_STATUSES)}")
    order = session.get(OrderRow, order_id)
    if order is None:
        raise NotFoundError(f"no order {order_id!r}", fix="run `iza orders list`")
    order.status = status
    return order


def deliver_order(store: Store, order_id: str, mission_id: str | None = None) -> OrderRow:
    """Mark an order delivered (by the mission that did the work) and publish ``order.delivered``."""
    with store.transaction() as session:
        order = session.get(OrderRow, order_id)
        if order is None:
            raise NotFoundError(f"no order {order_id!r}", fix="run `iza orders list`")
        if order.status in ("canceled", "refunded"):
            raise InputError(f"order {order_id} is {order.status} and cannot be delivered",
                             fix="create a new order")
        order.status = "delivered"
        order.delivered_at = utcnow()
        if mission_id:
            order.mission_id = mission_id
        publish(store, OrderDelivered(order.id, order.service_slug, order.mission_id),
                session=session)
        return order


def attach_mission(store: Store, order_id: str, mission_id: str) -> bool:
    """Link ``order_id`` to the mission that delivers it, unless it already has one (a redelivered
    ``order.paid`` must not start a second mission); True when this call linked it."""
    with store.transaction() as session:
        order = session.get(OrderRow, order_id)
        if order is None:
            raise NotFoundError(f"no order {order_id!r}", fix="run `iza orders list`")
        if order.mission_id:
            return False
        order.mission_id = mission_id
        return True


def record_llm_cost(store: Store, *, order_id: str, amount_minor: int, currency: str,
                    reference: str, at: datetime | None = None) -> bool:
    """Record the LLM cost of work done for an order (idempotent by ``reference``, e.g. a run id).

    This is the write side of the LLM-cost seam: the run journal (``iza.llm``, not on this
    branch yet) or any other meter calls it; margins subtract these rows.
    """
    with store.transaction() as session:
        order = session.get(OrderRow, order_id)
        if order is None:
            raise NotFoundError(f"no order {order_id!r}", fix="run `iza orders list`")
        return insert_entry(session, kind="llm_cost", amount_minor=-abs(amount_minor),
                            currency=currency, occurred_at=at or utcnow(), source="llm",
                            source_key=f"llm:{reference}", order_id=order_id,
                            service_slug=order.service_slug)
