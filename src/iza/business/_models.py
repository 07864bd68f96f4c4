"""The business tables. Money columns are integer minor units next to a currency column.

Names are prefixed ``biz_`` so they never collide with another subsystem's tables. Every row
that comes from Stripe carries a natural key with a unique constraint (``source_key`` on the
ledger, ``event_id`` on processed events), which is what makes webhook handling idempotent
even when two deliveries of one event race each other.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from iza.kernel.store import Base, UTCDateTime, utcnow

__all__ = [
    "CustomerRow",
    "FxRateRow",
    "LeadRow",
    "LeadSpendRow",
    "LedgerDayRow",
    "LedgerRow",
    "MrrChangeRow",
    "OrderRow",
    "StripeEventRow",
    "StripeObjectRow",
    "SubscriptionRow",
]

_BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

LEAD_STAGES = ("inquiry", "demo", "proposal", "won", "lost")
ORDER_STATUSES = ("pending", "paid", "in_delivery", "delivered", "failed", "canceled", "refunded")
LEDGER_KINDS = ("payment", "refund", "dispute", "dispute_reversal", "fee", "llm_cost", "adjustment")


class CustomerRow(Base):
    __tablename__ = "biz_customers"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True, nullable=True)
    name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    stripe_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LeadRow(Base):
    __tablename__ = "biz_leads"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320), nullable=True)
    company: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    source: Mapped[str] = mapped_column(sa.String(60), index=True)
    stage: Mapped[str] = mapped_column(sa.String(20), index=True)
    service_slug: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    value_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="usd")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    demo_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    proposal_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


class LeadSpendRow(Base):
    """Acquisition spend per source and month, for cost per lead and per won customer."""

    __tablename__ = "biz_lead_spend"
    __table_args__ = (sa.UniqueConstraint("source", "month", "currency"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(sa.String(60))
    month: Mapped[str] = mapped_column(sa.String(7))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))


class OrderRow(Base):
    __tablename__ = "biz_orders"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("biz_customers.id", ondelete="SET NULL"), nullable=True, index=True)
    service_slug: Mapped[str] = mapped_column(sa.String(80), index=True)
    price_key: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    mission_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    checkout_session: Mapped[str | None] = mapped_column(sa.String(100), unique=True, nullable=True)
    payment_intent: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    source: Mapped[str] = mapped_column(sa.String(20), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LedgerRow(Base):
    """One money movement. Positive amounts flow in (payments), negative flow out."""

    __tablename__ = "biz_ledger"
    __table_args__ = (
        sa.Index("ix_biz_ledger_time", "occurred_at", "currency", "kind", "service_slug",
                 "amount_minor"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    customer_ref: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    order_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True, index=True)
    subscription_ref: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    service_slug: Mapped[str | None] = mapped_column(sa.String(80), nullable=True, index=True)
    charge_ref: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    source_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)


class LedgerDayRow(Base):
    """Ledger sums per UTC day, currency, kind and service, kept in the transaction that
    inserts the ledger row; revenue over long ranges reads these instead of every entry."""

    __tablename__ = "biz_ledger_daily"

    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    service_slug: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    entries: Mapped[int] = mapped_column(sa.Integer)


class SubscriptionRow(Base):
    """The latest known state of a subscription and its normalised MRR."""

    __tablename__ = "biz_subscriptions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(sa.String(30))
    currency: Mapped[str] = mapped_column(sa.String(3))
    mrr_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    service_slug: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    price_ref: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    quantity: Mapped[int] = mapped_column(sa.Integer, default=1)
    cancel_at_period_end: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    trial_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_payments: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MrrChangeRow(Base):
    """Each time a subscription's MRR changes: its new value from ``at`` on (history for analytics)."""

    __tablename__ = "biz_mrr_changes"
    __table_args__ = (sa.Index("ix_biz_mrr_changes_cust", "customer_ref", "at"),
                      # the replay reads ORDER BY at, id: one index scan, no sort
                      sa.Index("ix_biz_mrr_changes_at_id", "at", "id"))

    id: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    customer_ref: Mapped[str] = mapped_column(sa.String(64))
    currency: Mapped[str] = mapped_column(sa.String(3))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    mrr_minor: Mapped[int] = mapped_column(sa.BigInteger)
    service_slug: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)


class StripeEventRow(Base):
    """A Stripe event already processed: the primary key is the idempotency guard."""

    __tablename__ = "biz_stripe_events"

    event_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    event_created: Mapped[int] = mapped_column(sa.BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.String(40))


class StripeObjectRow(Base):
    """Per-object watermark: the ``created`` time of the newest event applied to the object's
    state, so an older event delivered late never overwrites newer state."""

    __tablename__ = "biz_stripe_objects"

    object_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    event_created: Mapped[int] = mapped_column(sa.BigInteger)
    event_id: Mapped[str] = mapped_column(sa.String(100))


class FxRateRow(Base):
    """An explicit FX rate: ``1 base = rate quote`` from ``day`` on. The rate is kept as the exact
    decimal text the owner entered (a float column would round it)."""

    __tablename__ = "biz_fx_rates"

    base: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    rate: Mapped[str] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
