"""Health and doctor checks of the business component (catalog, ledger, Stripe settings)."""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.registry import Check, Component, Health
from iza.kernel.store import Store

__all__ = ["business_component"]


def _health(settings: Settings) -> Health:
    from iza.business._catalog import load_catalog
    from iza.business._models import LedgerRow, OrderRow, StripeEventRow

    try:
        catalog = load_catalog(settings.home)
    except IzaError as exc:
        return Health.degraded(f"catalog invalid: {exc.message}")
    store = Store.from_settings(settings)
    if store.migration_state().pending:
        return Health.degraded("business tables not migrated (run `iza db migrate`)")
    with store.read() as s:
        ledger = s.scalar(sa.select(sa.func.count()).select_from(LedgerRow)) or 0
        open_orders = s.scalar(sa.select(sa.func.count()).select_from(OrderRow).where(
            OrderRow.status.in_(("pending", "paid", "in_delivery")))) or 0
        events = s.scalar(sa.select(sa.func.count()).select_from(StripeEventRow)) or 0
    stripe = "Stripe webhook secret set" if settings.secret("STRIPE_WEBHOOK_SECRET") else \
        "Stripe webhook not configured"
    return Health.ok(f"{len(catalog.services)} services; {stripe}", counts={
        "services": len(catalog.services), "ledger entries": ledger, "open orders": open_orders,
        "stripe events": events})


def _doctor(settings: Settings) -> list[Check]:
    from iza.business._analytics import zone
    from iza.business._catalog import load_catalog

    checks: list[Check] = []
    try:
        load_catalog(settings.home)
        checks.append(Check("business.catalog", "ok", "service catalog is valid"))
    except IzaError as exc:
        checks.append(Check("business.catalog", "fail", exc.message, exc.fix))
    try:
        zone(settings.get_str("business.timezone"))
        checks.append(Check("business.timezone", "ok", settings.get_str("business.timezone")))
    except IzaError as exc:
        checks.append(Check("business.timezone", "fail", exc.message, exc.fix))
    key = settings.secret("STRIPE_API_KEY")
    if importlib.util.find_spec("stripe") is None:
        checks.append(Check("stripe.library", "warn", "the stripe package is not installed",
                            "pip install 'iza-os[stripe]'"))
    if not key:
        checks.append(Check("stripe.api_key", "warn", "STRIPE_API_KEY is not set; checkout and "
                            "reconcile are unavailable", "export STRIPE_API_KEY=sk_test_…"))
    elif not key.startswith(("sk_", "rk_")):
        checks.append(Check("stripe.api_key", "fail", "STRIPE_API_KEY does not look like a Stripe "
                            "secret key", "use the sk_… or rk_… key from the Stripe dashboard"))
    else:
        mode = "live" if "_live_" in key else "test"
        checks.append(Check("stripe.api_key", "ok", f"STRIPE_API_KEY set ({mode} mode)"))
    secrets = [s for s in (settings.secret("STRIPE_WEBHOOK_SECRET") or "").split(",") if s.strip()]
    if not secrets:
        checks.append(Check("stripe.webhook_secret", "warn", "STRIPE_WEBHOOK_SECRET is not set; "
                            "POST /webhooks/stripe rejects every delivery",
                            "export STRIPE_WEBHOOK_SECRET=whsec_… (comma-separate several to rotate)"))
    elif not all(s.strip().startswith("whsec_") for s in secrets):
        checks.append(Check("stripe.webhook_secret", "warn", "a webhook secret does not start "
                            "with whsec_", "copy the endpoint's signing secret from Stripe"))
    else:
        checks.append(Check("stripe.webhook_secret", "ok", f"{len(secrets)} webhook secret(s) set"))
    return checks


def business_component() -> Component:
    return Component("business", "interfaces", _health, _doctor,
                     "Catalog, orders, ledger, Stripe and revenue analytics")
