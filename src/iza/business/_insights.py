"""Payment intelligence: dunning, churn risk, revenue anomalies and a simple MRR forecast.

Every item carries a plain-language ``why`` so the owner can check the reasoning:

* **Dunning** lists subscriptions whose last invoice failed, with the attempt count and the
  next automatic retry Stripe announced (``invoice.next_payment_attempt``).
* **Churn risk** scores active subscriptions from signals we hold: failed payments (+40, +10
  per further attempt), cancellation scheduled (+50), ``past_due`` (+20), MRR cut in the last
  60 days (+25). Capped at 100. A heuristic, stated as such, not a model.
* **Anomalies**: daily net revenue (payments − refunds − disputes) per currency over the window;
  robust z = 0.6745·(x − median)/MAD (Iglewicz & Hoaglin), flagged when |z| > 3.5. With MAD = 0
  the mean absolute deviation (×1.2533) stands in; if that is 0 too nothing is flagged.
* **Forecast**: least-squares line through the last month-end MRR values, projected forward,
  with an 80 % prediction interval (±1.2816·s·√(1 + 1/n + (x−x̄)²/Sxx)). Labelled "linear trend".
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from iza.business._analytics import mrr_timeline, zone
from iza.business._models import LedgerRow, MrrChangeRow, SubscriptionRow
from iza.kernel.config import Settings
from iza.kernel.store import Store

__all__ = ["anomalies", "churn_risk", "dunning", "forecast", "insights"]

Z_THRESHOLD = 3.5


def dunning(store: Store) -> list[dict[str, Any]]:
    with store.read() as s:
        rows = s.scalars(sa.select(SubscriptionRow).where(SubscriptionRow.failed_payments > 0)
                         .order_by(SubscriptionRow.failed_payments.desc())).all()
    out = []
    for r in rows:
        if r.status == "canceled":
            continue
        retry = r.next_retry_at.isoformat() if r.next_retry_at else None
        why = (f"last invoice failed {r.failed_payments} time(s); "
               + (f"Stripe retries automatically at {retry}" if retry else
                  "no automatic retry is scheduled: the customer must update the payment method"))
        out.append({"subscription": r.id, "customer": r.customer_ref, "status": r.status,
                    "attempts": r.failed_payments, "next_retry_at": retry,
                    "mrr_minor": r.mrr_minor, "currency": r.currency, "why": why})
    return out


def churn_risk(store: Store, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    since = now - timedelta(days=60)
    with store.read() as s:
        subs = s.scalars(sa.select(SubscriptionRow).where(
            SubscriptionRow.status.in_(("active", "past_due", "trialing")))).all()
        changes = s.execute(sa.select(MrrChangeRow.subscription_id, MrrChangeRow.at,
                                      MrrChangeRow.mrr_minor)
                            .where(MrrChangeRow.subscription_id.in_([r.id for r in subs]))
                            .order_by(MrrChangeRow.at, MrrChangeRow.id)).all()
    history: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for sid, at, mrr in changes:
        history[sid].append((at, int(mrr)))
    out = []
    for r in subs:
        score, reasons = 0, []
        if r.failed_payments:
            score += 40 + 10 * (r.failed_payments - 1)
            reasons.append(f"{r.failed_payments} failed payment attempt(s)")
        if r.cancel_at_period_end:
            score += 50
            end = r.current_period_end.date().isoformat() if r.current_period_end else "period end"
            reasons.append(f"cancellation scheduled ({end})")
        if r.status == "past_due":
            score += 20
            reasons.append("subscription is past due")
        h = history.get(r.id, [])
        cut = any(at >= since and mrr < prev for (_, prev), (at, mrr) in zip(h, h[1:], strict=False))
        if cut:
            score += 25
            reasons.append("MRR reduced in the last 60 days")
        if score:
            out.append({"subscription": r.id, "customer": r.customer_ref, "score": min(100, score),
                        "mrr_minor": r.mrr_minor, "currency": r.currency, "why": "; ".join(reasons)})
    return sorted(out, key=lambda x: (-x["score"], -x["mrr_minor"]))


def _robust_z(values: list[int]) -> list[float]:
    med = statistics.median(values)
    mad = statistics.median([abs(v - med) for v in values])
    if mad:
        return [0.6745 * (v - med) / mad for v in values]
    mean_ad = sum(abs(v - med) for v in values) / len(values)
    if mean_ad:
        return [(v - med) / (1.253314 * mean_ad) for v in values]
    return [0.0 for _ in values]


def anomalies(settings: Settings, store: Store, days: int = 90,
              now: datetime | None = None) -> list[dict[str, Any]]:
    """Days whose net revenue is far from the window's median (per currency, local days)."""
    tz = zone(settings.get_str("business.timezone"))
    now = now or datetime.now(UTC)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    lo = datetime(first.year, first.month, first.day, tzinfo=tz).astimezone(UTC)
    with store.read() as s:
        rows = s.execute(sa.select(LedgerRow.occurred_at, LedgerRow.currency, LedgerRow.amount_minor)
                         .where(LedgerRow.occurred_at >= lo, LedgerRow.occurred_at < now,
                                LedgerRow.kind.in_(("payment", "refund", "dispute",
                                                    "dispute_reversal")))).all()
    daily: dict[str, dict[Any, int]] = defaultdict(lambda: defaultdict(int))
    for at, cur, amount in rows:
        daily[cur][at.astimezone(tz).date()] += int(amount)
    out = []
    for cur, by_day in sorted(daily.items()):
        dates = [first + timedelta(days=i) for i in range(days)]
        values = [by_day.get(d, 0) for d in dates]
        med = statistics.median(values)
        for d, v, z in zip(dates, values, _robust_z(values), strict=True):
            if abs(z) > Z_THRESHOLD:
                out.append({"date": d.isoformat(), "currency": cur, "net_minor": v,
                            "median_minor": int(med), "robust_z": round(z, 2),
                            "why": f"net {v} vs median {int(med)} {cur.upper()} (minor units) "
                                   f"over {days} days; robust z {z:+.1f} beyond ±{Z_THRESHOLD}"})
    return out


def forecast(settings: Settings, store: Store, history_months: int = 6, ahead: int = 3,
             now: datetime | None = None) -> dict[str, Any]:
    tz = zone(settings.get_str("business.timezone"))
    now = now or datetime.now(UTC)
    local = now.astimezone(tz)
    y, m = local.year, local.month - history_months
    while m < 1:
        y, m = y - 1, m + 12
    start = datetime(y, m, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(local.year, local.month, 1, tzinfo=tz).astimezone(UTC)
    months = mrr_timeline(store, start, end, tz) if end > start else []
    out: dict[str, Any] = {"method": "linear trend on month-end MRR, 80% prediction interval",
                           "history": [m["month"] for m in months], "currencies": {}}
    for cur in sorted({c for mo in months for c in mo["mrr"]}):
        ys = [float(mo["mrr"].get(cur, 0)) for mo in months]
        n = len(ys)
        if n < 3:
            continue
        xs = list(range(n))
        xbar, ybar = sum(xs) / n, sum(ys) / n
        sxx = sum((x - xbar) ** 2 for x in xs)
        slope = sum((x - xbar) * (yv - ybar) for x, yv in zip(xs, ys, strict=True)) / sxx
        icpt = ybar - slope * xbar
        resid = [yv - (icpt + slope * x) for x, yv in zip(xs, ys, strict=True)]
        s = math.sqrt(sum(r * r for r in resid) / (n - 2))
        points = []
        for k in range(1, ahead + 1):
            x = n - 1 + k
            mid = icpt + slope * x
            half = 1.2816 * s * math.sqrt(1 + 1 / n + (x - xbar) ** 2 / sxx)
            points.append({"months_ahead": k, "mrr_minor": round(mid), "low_minor": round(mid - half),
                           "high_minor": round(mid + half)})
        out["currencies"][cur] = {"slope_per_month_minor": round(slope), "points": points,
                                  "why": f"MRR changed by {round(slope)} {cur.upper()} minor units a "
                                         f"month on average over {n} month ends"}
    return out


def insights(settings: Settings, store: Store) -> dict[str, Any]:
    return {"dunning": dunning(store), "churn_risk": churn_risk(store),
            "anomalies": anomalies(settings, store), "forecast": forecast(settings, store)}
