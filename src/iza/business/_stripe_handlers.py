"""What each Stripe event type does to customers, orders, subscriptions and the ledger.

Two rules make any delivery order safe:

* **Money** rows are keyed by a natural key (``invoice:in_…``, ``payment:pi_…``,
  ``dispute:dp_…:withdrawn``) and inserted with ON CONFLICT DO NOTHING, so they land once
  whatever the order. Refunds arrive as a *cumulative* ``amount_refunded`` on the charge; the
  ledger books the difference to what it already holds, guarded by the charge's watermark, so
  an older ``charge.refunded`` delivered late changes nothing.
* **State** (customer details, subscription status and MRR, dispute status) is applied only
  when the event is not older than the newest event already applied to that object
  (:func:`~iza.business._ledger.advance_watermark`).

Payments are booked from ``checkout.session.*`` (one-off) and ``invoice.paid`` (subscriptions),
which carry the business context. ``payment_intent.succeeded`` only links orders: booking it
too would count an invoice's payment twice in the 2025-03-31 API, where a PaymentIntent no
longer names its invoice. Fees are booked when a balance transaction is expanded in the
payload and otherwise by ``iza stripe reconcile --apply-fees``.

Both API shapes are read: 2025-03-31 ("basil": ``invoice.parent.subscription_details``,
``items.data[].current_period_end``) and older (``invoice.subscription``,
``subscription.current_period_end``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from iza.business._events import (
    DisputeUpdated,
    PaymentFailed,
    PaymentReceived,
    PaymentRefunded,
    SubscriptionChanged,
)
from iza.business._ledger import (
    advance_watermark,
    charge_refund_total,
    create_order,
    ensure_customer,
    insert_entry,
    mark_order_paid,
)
from iza.business._models import LedgerRow, MrrChangeRow, OrderRow, SubscriptionRow
from iza.business._mrr import subscription_mrr
from iza.kernel.events import publish
from iza.kernel.store import Store

__all__ = ["HANDLED_TYPES", "Ctx", "dispatch"]

logger = logging.getLogger(__name__)


@dataclass
class Ctx:
    store: Store
    session: Session
    event_id: str
    created: int
    type: str

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.created, UTC)

    def fresh(self, obj: dict[str, Any]) -> bool:
        return advance_watermark(self.session, str(obj["id"]), str(obj.get("object", "?")),
                                 self.created, self.event_id)


def _ref(value: Any) -> str | None:
    """An id whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int) and value > 0 else None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


# ---- customers ---------------------------------------------------------------------------
def _customer(ctx: Ctx, obj: dict[str, Any]) -> str:
    if not ctx.fresh(obj):
        return "stale"
    row = ensure_customer(ctx.session, stripe_id=obj["id"])
    if ctx.type == "customer.deleted" or obj.get("deleted"):
        row.deleted_at = ctx.at
    else:
        row.email = obj.get("email") or row.email
        row.name = obj.get("name") or row.name
    return "applied"


# ---- one-off payments through Checkout -----------------------------------------------------
def _find_order(session: Session, obj: dict[str, Any]) -> OrderRow | None:
    order_id = _meta(obj).get("iza_order_id") or obj.get("client_reference_id")
    if order_id:
        found = session.get(OrderRow, str(order_id))
        if found is not None:
            return found
    if obj.get("object") == "checkout.session":
        return session.scalars(sa.select(OrderRow).where(OrderRow.checkout_session == obj["id"])).first()
    if obj.get("object") == "payment_intent":
        return session.scalars(sa.select(OrderRow).where(OrderRow.payment_intent == obj["id"])).first()
    return None


def _checkout(ctx: Ctx, obj: dict[str, Any]) -> str:
    customer = _ref(obj.get("customer"))
    email = (obj.get("customer_details") or {}).get("email") or obj.get("customer_email")
    cust = ensure_customer(ctx.session, stripe_id=customer, email=email) if customer or email else None
    order = _find_order(ctx.session, obj)
    currency = obj.get("currency") or "usd"
    amount = int(obj.get("amount_total") or 0)
    if order is None:
        order = create_order(ctx.store, ctx.session, service_slug=str(_meta(obj).get(
            "iza_service", "unassigned")), amount_minor=amount, currency=currency,
            customer_id=cust.id if cust else None, checkout_session=obj["id"], source="stripe")
    order.checkout_session = order.checkout_session or obj["id"]
    order.payment_intent = _ref(obj.get("payment_intent")) or order.payment_intent
    if cust is not None and order.customer_id is None:
        order.customer_id = cust.id
    if ctx.type == "checkout.session.async_payment_failed":
        if order.status == "pending":
            order.status = "canceled"
        publish(ctx.store, PaymentFailed(obj["id"], "async_payment_failed", customer), ctx.session)
        return "applied"
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return "awaiting_payment"
    mark_order_paid(ctx.store, ctx.session, order, ctx.at, customer)
    if obj.get("mode") == "payment" and amount > 0:
        reference = order.payment_intent or obj["id"]
        if insert_entry(ctx.session, kind="payment", amount_minor=amount, currency=currency,
                        occurred_at=ctx.at, source="stripe", source_key=f"payment:{reference}",
                        customer_ref=customer, order_id=order.id, service_slug=order.service_slug,
                        charge_ref=order.payment_intent, description="checkout"):
            publish(ctx.store, PaymentReceived(reference, amount, currency, customer, order.id),
                    ctx.session)
    return "applied"


def _payment_intent(ctx: Ctx, obj: dict[str, Any]) -> str:
    order = _find_order(ctx.session, obj)
    if ctx.type == "payment_intent.payment_failed":
        err = obj.get("last_payment_error") or {}
        publish(ctx.store, PaymentFailed(obj["id"], str(err.get("code") or "payment_failed"),
                                         _ref(obj.get("customer"))), ctx.session)
        return "applied"
    if order is not None:
        order.payment_intent = obj["id"]
        mark_order_paid(ctx.store, ctx.session, order, ctx.at, _ref(obj.get("customer")))
        return "applied"
    return "ignored"


# ---- subscriptions -------------------------------------------------------------------------
def _invoice_subscription(inv: dict[str, Any]) -> str | None:
    parent = inv.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return _ref(details.get("subscription")) or _ref(inv.get("subscription"))


def _invoice(ctx: Ctx, inv: dict[str, Any]) -> str:
    customer = _ref(inv.get("customer"))
    sub_id = _invoice_subscription(inv)
    sub = ctx.session.get(SubscriptionRow, sub_id) if sub_id else None
    if ctx.type == "invoice.paid":
        amount = int(inv.get("amount_paid") or 0)
        paid_at = _ts((inv.get("status_transitions") or {}).get("paid_at")) or ctx.at
        if sub is not None and ctx.fresh(inv):
            sub.failed_payments, sub.next_retry_at = 0, None
        if amount > 0 and insert_entry(
                ctx.session, kind="payment", amount_minor=amount, currency=inv["currency"],
                occurred_at=paid_at, source="stripe", source_key=f"invoice:{inv['id']}",
                customer_ref=customer, subscription_ref=sub_id,
                service_slug=sub.service_slug if sub else _meta(inv).get("iza_service"),
                charge_ref=_ref(inv.get("payment_intent")), description="invoice"):
            publish(ctx.store, PaymentReceived(inv["id"], amount, inv["currency"], customer), ctx.session)
        return "applied"
    if not ctx.fresh(inv):
        return "stale"
    attempts = int(inv.get("attempt_count") or 0)
    retry = _ts(inv.get("next_payment_attempt"))
    if sub is not None:
        sub.failed_payments, sub.next_retry_at = attempts, retry
    reason = "action_required" if ctx.type == "invoice.payment_action_required" else "payment_failed"
    publish(ctx.store, PaymentFailed(inv["id"], reason, customer, attempts,
                                     retry.isoformat() if retry else None), ctx.session)
    return "applied"


def _period_end(sub: dict[str, Any]) -> datetime | None:
    if sub.get("current_period_end"):
        return _ts(sub.get("current_period_end"))
    ends = [i.get("current_period_end") for i in (sub.get("items") or {}).get("data") or []]
    ends = [e for e in ends if isinstance(e, int)]
    return _ts(max(ends)) if ends else None


def _first_price(sub: dict[str, Any]) -> tuple[str | None, int, str | None]:
    items = (sub.get("items") or {}).get("data") or []
    if not items:
        return None, 1, None
    price: dict[str, Any] = items[0].get("price") or items[0].get("plan") or {}
    meta = _meta(price)
    ref = price.get("lookup_key") or price.get("id")
    return ref, int(items[0].get("quantity") or 1), meta.get("iza_service")


def _subscription(ctx: Ctx, obj: dict[str, Any]) -> str:
    if not ctx.fresh(obj):
        return "stale"
    customer = _ref(obj.get("customer")) or "unknown"
    ensure_customer(ctx.session, stripe_id=customer)
    status = "canceled" if ctx.type == "customer.subscription.deleted" else str(obj.get("status"))
    mrr = subscription_mrr({**obj, "status": status})
    price_ref, quantity, service = _first_price(obj)
    service = _meta(obj).get("iza_service") or service
    row = ctx.session.get(SubscriptionRow, obj["id"])
    previous = row.mrr_minor if row is not None else 0
    if row is None:
        row = SubscriptionRow(id=obj["id"], customer_ref=customer, started_at=_ts(
            obj.get("start_date")) or ctx.at, failed_payments=0, mrr_minor=0)
        ctx.session.add(row)
    row.status, row.currency, row.mrr_minor = status, str(obj.get("currency") or "usd"), mrr
    row.service_slug = service or row.service_slug
    row.price_ref, row.quantity = price_ref, quantity
    row.cancel_at_period_end = bool(obj.get("cancel_at_period_end") or obj.get("cancel_at"))
    row.current_period_end = _period_end(obj)
    row.trial_end = _ts(obj.get("trial_end"))
    row.canceled_at = _ts(obj.get("canceled_at")) or (ctx.at if status == "canceled" else None)
    row.updated_at = ctx.at
    if mrr != previous:
        ctx.session.add(MrrChangeRow(subscription_id=row.id, customer_ref=customer,
                                     currency=row.currency, at=ctx.at, mrr_minor=mrr,
                                     service_slug=row.service_slug))
    publish(ctx.store, SubscriptionChanged(row.id, customer, status, row.currency, mrr, previous,
                                           ctx.type.rsplit(".", 1)[1]), ctx.session)
    return "applied"


# ---- refunds and disputes -------------------------------------------------------------------
def _payment_entry(session: Session, payment_ref: str | None) -> LedgerRow | None:
    if not payment_ref:
        return None
    return session.scalars(sa.select(LedgerRow).where(
        LedgerRow.kind == "payment", LedgerRow.charge_ref == payment_ref).limit(1)).first()


def _charge_refunded(ctx: Ctx, charge: dict[str, Any]) -> str:
    if not ctx.fresh(charge):
        return "stale"
    target = int(charge.get("amount_refunded") or 0)
    delta = target - charge_refund_total(ctx.session, charge["id"])
    if delta == 0:
        return "ignored"
    paid = _payment_entry(ctx.session, _ref(charge.get("payment_intent")))
    order_id = paid.order_id if paid else None
    insert_entry(ctx.session, kind="refund", amount_minor=-delta, currency=charge["currency"],
                 occurred_at=ctx.at, source="stripe", source_key=f"refund:{charge['id']}:{ctx.event_id}",
                 customer_ref=_ref(charge.get("customer")) or (paid.customer_ref if paid else None),
                 order_id=order_id, service_slug=paid.service_slug if paid else None,
                 subscription_ref=paid.subscription_ref if paid else None,
                 charge_ref=charge["id"], description="refund")
    full = bool(charge.get("refunded")) or target >= int(charge.get("amount_captured") or
                                                         charge.get("amount") or 0)
    if full and order_id:
        order = ctx.session.get(OrderRow, order_id)
        if order is not None:
            order.status = "refunded"
    publish(ctx.store, PaymentRefunded(charge["id"], delta, charge["currency"], target, full,
                                       order_id), ctx.session)
    return "applied"


def _refund(ctx: Ctx, refund: dict[str, Any]) -> str:
    """A refund that failed or was canceled after it was booked gives the money back."""
    if not ctx.fresh(refund):
        return "stale"
    if refund.get("status") not in ("failed", "canceled"):
        return "ignored"
    charge = _ref(refund.get("charge"))
    if charge is None or charge_refund_total(ctx.session, charge) <= 0:
        return "ignored"
    insert_entry(ctx.session, kind="refund", amount_minor=int(refund["amount"]),
                 currency=refund["currency"], occurred_at=ctx.at, source="stripe",
                 source_key=f"refund_reversed:{refund['id']}", charge_ref=charge,
                 description=f"refund {refund.get('status')}")
    return "applied"


def _dispute(ctx: Ctx, dp: dict[str, Any]) -> str:
    charge = _ref(dp.get("charge"))
    amount, currency = int(dp.get("amount") or 0), str(dp.get("currency") or "usd")
    paid = _payment_entry(ctx.session, _ref(dp.get("payment_intent")))
    refs = {"charge_ref": charge, "order_id": paid.order_id if paid else None,
            "service_slug": paid.service_slug if paid else None,
            "customer_ref": paid.customer_ref if paid else None}
    if ctx.type == "charge.dispute.funds_withdrawn":
        insert_entry(ctx.session, kind="dispute", amount_minor=-amount, currency=currency,
                     occurred_at=ctx.at, source="stripe", source_key=f"dispute:{dp['id']}:withdrawn",
                     description="dispute funds withdrawn", **refs)
        for txn in dp.get("balance_transactions") or []:
            if isinstance(txn, dict) and txn.get("fee"):
                insert_entry(ctx.session, kind="fee", amount_minor=-int(txn["fee"]),
                             currency=txn.get("currency", currency), occurred_at=ctx.at,
                             source="stripe", source_key=f"fee:{txn['id']}",
                             description="dispute fee", **refs)
    elif ctx.type == "charge.dispute.funds_reinstated":
        insert_entry(ctx.session, kind="dispute_reversal", amount_minor=amount, currency=currency,
                     occurred_at=ctx.at, source="stripe", source_key=f"dispute:{dp['id']}:reinstated",
                     description="dispute funds reinstated", **refs)
    fresh = ctx.fresh(dp)
    if fresh:
        publish(ctx.store, DisputeUpdated(dp["id"], charge, str(dp.get("status")), amount, currency),
                ctx.session)
    return "applied" if fresh or ctx.type.startswith("charge.dispute.funds_") else "stale"


_HANDLERS: dict[str, Callable[[Ctx, dict[str, Any]], str]] = {
    "customer.created": _customer,
    "customer.updated": _customer,
    "customer.deleted": _customer,
    "checkout.session.completed": _checkout,
    "checkout.session.async_payment_succeeded": _checkout,
    "checkout.session.async_payment_failed": _checkout,
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "invoice.paid": _invoice,
    "invoice.payment_failed": _invoice,
    "invoice.payment_action_required": _invoice,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    **{f"customer.subscription.{s}": _subscription for s in (
        "created", "updated", "deleted", "trial_will_end", "paused", "resumed")},
    **{f"charge.dispute.{s}": _dispute for s in (
        "created", "updated", "closed", "funds_withdrawn", "funds_reinstated")},
}

HANDLED_TYPES = frozenset(_HANDLERS)


def dispatch(ctx: Ctx, obj: dict[str, Any]) -> str:
    """Apply one event; returns the outcome recorded with it."""
    handler = _HANDLERS.get(ctx.type)
    if handler is None:
        return "ignored"
    outcome = handler(ctx, obj)
    logger.debug("stripe event %s (%s): %s", ctx.event_id, ctx.type, outcome)
    return outcome

