"""Domain events the business subsystem publishes through :mod:`iza.kernel.events`.

Workflows and agents subscribe to these names (``order.paid`` starts delivery, ``payment.failed``
starts dunning…). They are published inside the transaction that makes them true, so a
subscriber never hears of a payment the ledger does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from iza.kernel.events import Event

__all__ = [
    "DisputeUpdated",
    "LeadStageChanged",
    "OrderCreated",
    "OrderDelivered",
    "OrderPaid",
    "PaymentFailed",
    "PaymentReceived",
    "PaymentRefunded",
    "SubscriptionChanged",
]


@dataclass(frozen=True)
class OrderCreated(Event):
    name: ClassVar[str] = "order.created"
    order_id: str
    service_slug: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class OrderPaid(Event):
    name: ClassVar[str] = "order.paid"
    order_id: str
    service_slug: str
    amount_minor: int
    currency: str
    customer_ref: str | None = None


@dataclass(frozen=True)
class OrderDelivered(Event):
    name: ClassVar[str] = "order.delivered"
    order_id: str
    service_slug: str
    mission_id: str | None = None


@dataclass(frozen=True)
class PaymentReceived(Event):
    name: ClassVar[str] = "payment.received"
    reference: str
    amount_minor: int
    currency: str
    customer_ref: str | None = None
    order_id: str | None = None


@dataclass(frozen=True)
class PaymentRefunded(Event):
    name: ClassVar[str] = "payment.refunded"
    charge_id: str
    amount_minor: int
    currency: str
    refunded_total_minor: int
    full: bool
    order_id: str | None = None


@dataclass(frozen=True)
class PaymentFailed(Event):
    name: ClassVar[str] = "payment.failed"
    reference: str
    reason: str
    customer_ref: str | None = None
    attempt_count: int = 0
    next_retry_at: str | None = None


@dataclass(frozen=True)
class DisputeUpdated(Event):
    name: ClassVar[str] = "payment.disputed"
    dispute_id: str
    charge_id: str | None
    status: str
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class SubscriptionChanged(Event):
    name: ClassVar[str] = "subscription.changed"
    subscription_id: str
    customer_ref: str
    status: str
    currency: str
    mrr_minor: int
    previous_mrr_minor: int
    change: str


@dataclass(frozen=True)
class LeadStageChanged(Event):
    name: ClassVar[str] = "lead.stage_changed"
    lead_id: int
    source: str
    stage: str
    previous_stage: str
