"""Calls to Stripe through the official ``stripe`` library (extra ``iza-os[stripe]``).

``stripe.api_base`` (setting) points the client at another server — a local fake in tests.
Catalog prices map to Stripe prices by ``lookup_key`` = the catalog price key, so syncing is
idempotent: a price that exists is reused, never duplicated. Stripe exceptions never leave
this module; they become :class:`StripeApiError` with the HTTP status and Stripe's message.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from iza.business._catalog import Catalog, Price, Service
from iza.business._ledger import create_order, ensure_customer, insert_entry
from iza.business._models import LedgerRow
from iza.errors import ConfigError, MissingDependency, RuntimeFailure
from iza.kernel.config import Settings
from iza.kernel.store import Store

__all__ = ["CheckoutLink", "Drift", "StripeApiError", "create_checkout", "reconcile", "stripe_client",
           "sync_catalog"]

logger = logging.getLogger(__name__)

#: balance transaction type → ledger kind it should match
_TXN_KIND = {"charge": "payment", "payment": "payment", "refund": "refund",
             "payment_refund": "refund", "payment_failure_refund": "refund"}


class StripeApiError(RuntimeFailure):
    """Stripe (or the server at ``stripe.api_base``) refused or failed a request."""

    def __init__(self, message: str, *, http_status: int | None = None, fix: str | None = None) -> None:
        super().__init__(message, fix=fix or "check STRIPE_API_KEY and stripe.api_base; "
                         "`iza doctor` shows both")
        self.http_status = http_status


def stripe_client(settings: Settings) -> Any:
    try:
        import stripe
    except ImportError:
        raise MissingDependency("stripe", "stripe", purpose="talking to Stripe") from None
    key = settings.secret("STRIPE_API_KEY")
    if not key:
        raise ConfigError("STRIPE_API_KEY is not set",
                          fix="export STRIPE_API_KEY=sk_test_… (a test-mode key while you try this)")
    base = settings.get_str("stripe.api_base")
    kwargs: dict[str, Any] = {"max_network_retries": 0}
    if base:
        kwargs["base_addresses"] = {"api": base.rstrip("/")}
    return stripe.StripeClient(key, **kwargs)


def _call(what: str, fn: Any, params: dict[str, Any]) -> Any:
    import stripe

    try:
        result = fn(params=params)
    except stripe.StripeError as exc:
        logger.info("stripe %s: failed (%s)", what, exc.http_status)
        raise StripeApiError(f"Stripe {what} failed: {exc.user_message or exc}",
                             http_status=exc.http_status) from exc
    logger.info("stripe %s: ok", what)
    return result


def _ensure_price(client: Any, service: Service, price: Price,
                  products: dict[str, str]) -> str:
    found = _call("prices.list", client.v1.prices.list, {"lookup_keys": [price.key], "limit": 1})
    if found.data:
        return str(found.data[0].id)
    if service.slug not in products:
        product = _call("products.create", client.v1.products.create, {
            "name": service.name, "description": service.description or service.name,
            "metadata": {"iza_service": service.slug}})
        products[service.slug] = str(product.id)
    params: dict[str, Any] = {
        "product": products[service.slug], "unit_amount": price.amount_minor,
        "currency": price.currency, "lookup_key": price.key,
        "metadata": {"iza_service": service.slug, "iza_tier": price.tier}}
    if price.recurring:
        params["recurring"] = {"interval": price.interval, "interval_count": price.interval_count}
    created = _call("prices.create", client.v1.prices.create, params)
    return str(created.id)


def sync_catalog(settings: Settings, catalog: Catalog) -> dict[str, str]:
    """Make every catalog price exist in Stripe; returns price key → Stripe price id."""
    client = stripe_client(settings)
    products: dict[str, str] = {}
    return {p.key: _ensure_price(client, s, p, products) for s in catalog.services for p in s.prices}


@dataclass(frozen=True)
class CheckoutLink:
    order_id: str
    session_id: str
    url: str
    service: str
    price_key: str

    def as_dict(self) -> dict[str, str]:
        return {"order_id": self.order_id, "session_id": self.session_id, "url": self.url,
                "service": self.service, "price_key": self.price_key}


def create_checkout(settings: Settings, store: Store, catalog: Catalog, service_slug: str, *,
                    email: str, price_key: str | None = None,
                    success_url: str = "https://example.com/thanks",
                    cancel_url: str = "https://example.com/cancel") -> CheckoutLink:
    """A pending order plus a Stripe Checkout Session that pays it (the webhook completes it)."""
    service = catalog.get(service_slug)
    price = service.price(price_key)
    client = stripe_client(settings)
    stripe_price = _ensure_price(client, service, price, {})
    with store.transaction() as session:
        customer = ensure_customer(session, email=email)
        order = create_order(store, session, service_slug=service.slug, price_key=price.key,
                             amount_minor=price.amount_minor, currency=price.currency,
                             customer_id=customer.id, source="checkout")
        order_id = order.id
    meta = {"iza_order_id": order_id, "iza_service": service.slug}
    params: dict[str, Any] = {
        "mode": "subscription" if price.recurring else "payment",
        "line_items": [{"price": stripe_price, "quantity": 1}], "customer_email": email,
        "client_reference_id": order_id, "metadata": meta,
        "success_url": success_url, "cancel_url": cancel_url}
    if price.recurring:
        params["subscription_data"] = {"metadata": meta}
    cs = _call("checkout.sessions.create", client.v1.checkout.sessions.create, params)
    with store.transaction() as session:
        from iza.business._models import OrderRow

        row = session.get(OrderRow, order_id)
        assert row is not None
        row.checkout_session = str(cs.id)
    return CheckoutLink(order_id, str(cs.id), str(cs.url), service.slug, price.key)


@dataclass
class Drift:
    """Ledger versus Stripe balance transactions, per currency and category."""

    stripe: dict[str, dict[str, int]] = field(default_factory=dict)
    ledger: dict[str, dict[str, int]] = field(default_factory=dict)
    fees_applied: int = 0
    transactions: int = 0

    def differences(self) -> list[dict[str, Any]]:
        out = []
        for cur in sorted(set(self.stripe) | set(self.ledger)):
            for cat in sorted(set(self.stripe.get(cur, {})) | set(self.ledger.get(cur, {}))):
                s, led = self.stripe.get(cur, {}).get(cat, 0), self.ledger.get(cur, {}).get(cat, 0)
                if s != led:
                    out.append({"currency": cur, "category": cat, "stripe_minor": s,
                                "ledger_minor": led, "drift_minor": led - s})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"stripe": self.stripe, "ledger": self.ledger, "transactions": self.transactions,
                "fees_applied": self.fees_applied, "drift": self.differences(),
                "in_balance": not self.differences()}


def reconcile(settings: Settings, store: Store, start: datetime, end: datetime,
              apply_fees: bool = False) -> Drift:
    """Compare Stripe's balance transactions in [start, end) with the ledger's rows.

    Categories: ``payment`` (charges), ``refund``, ``fee``. With ``apply_fees`` the Stripe fee
    of every transaction is booked (idempotently, ``fee:<txn>``) before comparing.
    """
    client = stripe_client(settings)
    drift = Drift()
    stripe_totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    txns: list[Any] = []
    params: dict[str, Any] = {"limit": 100, "created": {"gte": int(start.timestamp()),
                                                        "lt": int(end.timestamp())}}
    while True:
        page = _call("balance_transactions.list", client.v1.balance_transactions.list, params)
        txns.extend(page.data)
        if not page.has_more or not page.data:
            break
        params["starting_after"] = page.data[-1].id
    for t in txns:
        kind = _TXN_KIND.get(str(t.type))
        if kind is not None:
            stripe_totals[str(t.currency)][kind] += int(t.amount)
        if int(t.fee or 0):
            stripe_totals[str(t.currency)]["fee"] -= int(t.fee)
    drift.transactions = len(txns)
    if apply_fees:
        with store.transaction() as session:
            for t in txns:
                if int(t.fee or 0) and insert_entry(
                        session, kind="fee", amount_minor=-int(t.fee), currency=str(t.currency),
                        occurred_at=datetime.fromtimestamp(int(t.created), UTC), source="stripe",
                        source_key=f"fee:{t.id}", charge_ref=str(t.source) if t.source else None,
                        description=f"Stripe fee ({t.type})"):
                    drift.fees_applied += 1
    with store.read() as session:
        rows = session.execute(
            sa.select(LedgerRow.currency, LedgerRow.kind, sa.func.sum(LedgerRow.amount_minor))
            .where(LedgerRow.occurred_at >= start, LedgerRow.occurred_at < end,
                   LedgerRow.kind.in_(("payment", "refund", "fee")))
            .group_by(LedgerRow.currency, LedgerRow.kind)).all()
    drift.stripe = {c: dict(v) for c, v in stripe_totals.items()}
    ledger: dict[str, dict[str, int]] = defaultdict(dict)
    for cur, kind, total in rows:
        ledger[cur][kind] = int(total)
    drift.ledger = dict(ledger)
    return drift
