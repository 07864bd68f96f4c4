"""Cohort retention and trial conversion.

* **Cohort retention** (logo retention): customers grouped by the month they first had MRR,
  per currency; for each later month end, the share of the cohort that still has MRR.
  A customer who churns and comes back counts as retained again from the month they return.
* **Trial conversion**: of the subscriptions whose trial ended in the period, the share that
  went on to have MRR (a paid, counting status) after the trial.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from iza.business._analytics import MrrState, _replay, month_bounds
from iza.business._models import MrrChangeRow, SubscriptionRow
from iza.kernel.store import Store

__all__ = ["cohort_retention", "trial_conversion"]


def cohort_retention(store: Store, start: datetime, end: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """``{currency: [{"cohort": "YYYY-MM", "size": n, "retention": [1.0, 0.8, …]}]}`` for
    cohorts starting in [start, end); ``retention[k]`` is at the end of the k-th month."""
    bounds = month_bounds(start, end, tz)
    labels = [b.astimezone(tz).strftime("%Y-%m") for b in bounds]
    cohort_of: dict[tuple[str, str], int] = {}
    active_at: dict[int, list[tuple[str, str]]] = {}

    def on_moves(b: int, moves: list[tuple[str, str, int]]) -> None:
        return None

    def on_boundary(i: int, state: MrrState) -> None:
        active_at[i] = [k for k, v in state.cust.items() if v > 0]
        for k in active_at[i]:
            cohort_of.setdefault(k, i - 1)

    _replay(store, bounds, on_boundary, on_moves)
    out: dict[str, list[dict[str, Any]]] = {}
    n = len(bounds) - 1
    sizes: dict[tuple[str, int], int] = {}
    kept: dict[tuple[str, int, int], int] = {}
    for i in range(1, len(bounds)):
        for k in active_at.get(i, []):
            c = cohort_of[k]
            if c < 0:
                continue  # active before the window: not a cohort we report
            if c == i - 1:
                sizes[(k[1], c)] = sizes.get((k[1], c), 0) + 1
            kept[(k[1], c, i - 1 - c)] = kept.get((k[1], c, i - 1 - c), 0) + 1
    for (cur, c), size in sorted(sizes.items()):
        out.setdefault(cur, []).append({
            "cohort": labels[c], "size": size,
            "retention": [round(kept.get((cur, c, age), 0) / size, 4) for age in range(n - c)]})
    return out


def trial_conversion(store: Store, start: datetime, end: datetime) -> dict[str, Any]:
    with store.read() as s:
        trials = s.execute(sa.select(SubscriptionRow.id, SubscriptionRow.currency)
                           .where(SubscriptionRow.trial_end >= start,
                                  SubscriptionRow.trial_end < end)).all()
        paid = set(s.scalars(sa.select(MrrChangeRow.subscription_id).where(
            MrrChangeRow.subscription_id.in_([t[0] for t in trials]),
            MrrChangeRow.mrr_minor > 0)))
    per: dict[str, dict[str, Any]] = {}
    for sid, cur in trials:
        d = per.setdefault(cur, {"trials_ended": 0, "converted": 0})
        d["trials_ended"] += 1
        d["converted"] += sid in paid
    for d in per.values():
        d["rate"] = round(d["converted"] / d["trials_ended"], 6)
    return per
