"""Monthly recurring revenue of one Stripe subscription object (pure; no IO).

Conventions (ChartMogul's, differences in docs/business.md): only ``active`` and ``past_due``
subscriptions contribute (trials, paused, unpaid, canceled and incomplete ones do not); each
item contributes ``unit_amount × quantity`` normalised to a month — a year is /12, a week is
×52/12, a day is ×365/12 — and divided by ``interval_count``; percentage and fixed-amount
discounts (``discounts[]`` in the 2025-03-31 API, ``discount`` before it) reduce it. Rounding
happens once, at the end, half to even, so a quarterly 5400.00 plan is exactly 1800.00 MRR.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

__all__ = ["COUNTING_STATUSES", "monthly_factor", "subscription_mrr"]

COUNTING_STATUSES = frozenset({"active", "past_due"})
_FACTORS = {"month": Decimal(1), "year": Decimal(1) / 12, "week": Decimal(52) / 12,
            "day": Decimal(365) / 12}


def monthly_factor(interval: str, interval_count: int = 1) -> Decimal:
    return _FACTORS.get(interval, Decimal(1)) / max(1, int(interval_count or 1))


def _price_terms(item: dict[str, Any]) -> tuple[Decimal, str, int] | None:
    price = item.get("price") if isinstance(item.get("price"), dict) else None
    if price is not None:
        recurring = price.get("recurring") or {}
        amount = price.get("unit_amount")
        if amount is None and price.get("unit_amount_decimal") not in (None, ""):
            amount = Decimal(str(price["unit_amount_decimal"]))
        if amount is None or not recurring:
            return None
        return Decimal(amount), recurring.get("interval", "month"), recurring.get("interval_count", 1)
    plan = item.get("plan") if isinstance(item.get("plan"), dict) else None
    if plan is not None and plan.get("amount") is not None:
        return Decimal(plan["amount"]), plan.get("interval", "month"), plan.get("interval_count", 1)
    return None


def _coupons(sub: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[Any] = []
    for d in sub.get("discounts") or []:
        if isinstance(d, dict):
            found.append(d.get("coupon") or (d.get("source") or {}).get("coupon"))
    if isinstance(sub.get("discount"), dict):
        d = sub["discount"]
        found.append(d.get("coupon") or (d.get("source") or {}).get("coupon"))
    return [c for c in found if isinstance(c, dict) and c.get("valid", True) is not False]


def subscription_mrr(sub: dict[str, Any]) -> int:
    """MRR in the subscription's currency, integer minor units."""
    if sub.get("status") not in COUNTING_STATUSES or sub.get("pause_collection"):
        return 0
    items = ((sub.get("items") or {}).get("data")) or []
    total = Decimal(0)
    first_factor: Decimal | None = None
    for item in items:
        terms = _price_terms(item)
        if terms is None:
            continue
        amount, interval, count = terms
        factor = monthly_factor(interval, count)
        first_factor = factor if first_factor is None else first_factor
        total += amount * int(item.get("quantity") or 1) * factor
    for coupon in _coupons(sub):
        if coupon.get("percent_off"):
            total *= 1 - Decimal(str(coupon["percent_off"])) / 100
        elif coupon.get("amount_off"):
            total -= Decimal(coupon["amount_off"]) * (first_factor or 1)
    total = max(total, Decimal(0))
    return int(total.to_integral_value(ROUND_HALF_EVEN))
