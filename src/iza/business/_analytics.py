"""Subscription analytics (MRR, movements, retention) and revenue/margin from the ledger.

Definitions are written out in docs/business.md; the short version:

* MRR history is the table of per-subscription MRR changes; a customer's MRR is the sum of
  their subscriptions' MRR, per currency. Currencies are never added together.
* A movement is a change of one customer's MRR at one instant (changes of several
  subscriptions at the same instant are one movement): ``new`` (0 → >0, first time),
  ``reactivation`` (0 → >0 again), ``expansion``, ``contraction``, ``churn`` (>0 → 0).
  Contraction and churn are negative, so ``mrr_start + Σ movements = mrr_end`` exactly.
* NRR and GRR are cohort-based: customers with MRR at the start, their MRR at the end.
* Months start at midnight on the 1st in ``business.timezone`` (UTC by default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from iza.business._costs import cost_sources
from iza.business._models import LedgerRow, MrrChangeRow
from iza.errors import ConfigError
from iza.kernel.store import Store

__all__ = ["MOVEMENTS", "MrrState", "month_bounds", "mrr_timeline", "revenue", "subscription_report",
           "zone"]

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
Key = tuple[str, str]  # (customer_ref, currency)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"business.timezone {name!r} is not a time zone",
                          fix="use an IANA name such as UTC or Europe/Berlin") from None


def month_bounds(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """Month starts (in ``tz``, as UTC instants) from the month containing ``start`` up to the
    first one at or after ``end``."""
    local = start.astimezone(tz)
    y, m = local.year, local.month
    out: list[datetime] = []
    while True:
        b = datetime(y, m, 1, tzinfo=tz).astimezone(UTC)
        out.append(b)
        if b >= end:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


@dataclass
class MrrState:
    """Replays MRR changes in time order and classifies each customer-level change."""

    sub_mrr: dict[str, int] = field(default_factory=dict)
    sub_key: dict[str, Key] = field(default_factory=dict)
    cust: dict[Key, int] = field(default_factory=lambda: defaultdict(int))
    ever: set[Key] = field(default_factory=set)
    first_active: dict[Key, datetime] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (_, cur), v in self.cust.items():
            if v:
                out[cur] += v
        return dict(out)

    def active(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (_, cur), v in self.cust.items():
            if v > 0:
                out[cur] += 1
        return dict(out)

    def apply(self, at: datetime, group: list[tuple[str, str, str, int]]) -> list[tuple[str, str, int]]:
        """Apply changes of one instant: (sub, customer, currency, new_mrr). Returns movements
        as (currency, kind, amount)."""
        before: dict[Key, int] = {}
        for sub, customer, cur, mrr in group:
            key = (customer, cur)
            old_key = self.sub_key.get(sub)
            for k in {key, old_key} - {None}:
                assert k is not None
                before.setdefault(k, self.cust[k])
            if old_key is not None:
                self.cust[old_key] -= self.sub_mrr.get(sub, 0)
            self.cust[key] += mrr
            self.sub_mrr[sub], self.sub_key[sub] = mrr, key
        moves = []
        for key, prev in before.items():
            now = self.cust[key]
            kind = _classify(prev, now, key in self.ever)
            if kind is None:
                continue
            if now > 0:
                self.ever.add(key)
                self.first_active.setdefault(key, at)
            moves.append((key[1], kind, now - prev))
        return moves


def _classify(prev: int, now: int, seen: bool) -> str | None:
    if prev == now:
        return None
    if prev <= 0 < now:
        return "reactivation" if seen else "new"
    if now <= 0:
        return "churn"
    return "expansion" if now > prev else "contraction"


def _changes(store: Store, until: datetime) -> Iterable[tuple[datetime, str, str, str, int]]:
    stmt = (sa.select(MrrChangeRow.at, MrrChangeRow.subscription_id, MrrChangeRow.customer_ref,
                      MrrChangeRow.currency, MrrChangeRow.mrr_minor)
            .where(MrrChangeRow.at < until).order_by(MrrChangeRow.at, MrrChangeRow.id))
    with store.read() as session:
        yield from session.execute(stmt)


def _replay(store: Store, bounds: list[datetime], until: datetime,
            on_boundary: Any, on_moves: Any) -> MrrState:
    """Walk the history once; call ``on_boundary(i, state)`` as each bound is crossed and
    ``on_moves(at, moves)`` for each instant's movements."""
    state = MrrState()
    bi = 0
    group: list[tuple[str, str, str, int]] = []
    group_at: datetime | None = None

    def flush() -> None:
        if group_at is not None and group:
            on_moves(group_at, state.apply(group_at, group))
        group.clear()

    for at, sub, customer, cur, mrr in _changes(store, until):
        if group_at is not None and at != group_at:
            flush()
        while bi < len(bounds) and at >= bounds[bi]:
            flush()
            on_boundary(bi, state)
            bi += 1
        group_at = at
        group.append((sub, customer, cur, int(mrr)))
    flush()
    while bi < len(bounds):
        on_boundary(bi, state)
        bi += 1
    return state


def _add(acc: dict[str, dict[str, int]], cur: str, kind: str, amount: int) -> None:
    acc.setdefault(cur, dict.fromkeys(MOVEMENTS, 0))[kind] += amount


def mrr_timeline(store: Store, start: datetime, end: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Per month: MRR per currency at the month's end and the month's movements."""
    bounds = month_bounds(start, end, tz)
    at_bound: list[dict[str, int]] = [{} for _ in bounds]
    moves: list[dict[str, dict[str, int]]] = [{} for _ in bounds]

    def on_boundary(i: int, state: MrrState) -> None:
        at_bound[i] = state.totals()

    def on_moves(at: datetime, ms: list[tuple[str, str, int]]) -> None:
        for i in range(len(bounds) - 1):
            if bounds[i] <= at < bounds[i + 1]:
                for cur, kind, amount in ms:
                    _add(moves[i], cur, kind, amount)
                return

    _replay(store, bounds, bounds[-1], on_boundary, on_moves)
    return [{"month": bounds[i].astimezone(tz).strftime("%Y-%m"), "mrr": at_bound[i + 1],
             "movements": moves[i]} for i in range(len(bounds) - 1)]


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def subscription_report(store: Store, start: datetime, end: datetime) -> dict[str, Any]:
    """MRR, ARR, movements, churn, NRR/GRR, ARPA and LTV for [start, end), per currency."""
    snaps: dict[int, dict[Key, int]] = {}
    movements: dict[str, dict[str, int]] = {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "churned": 0,
                                                             "reactivated": 0})

    def on_boundary(i: int, state: MrrState) -> None:
        snaps[i] = {k: v for k, v in state.cust.items() if v > 0}

    def on_moves(at: datetime, ms: list[tuple[str, str, int]]) -> None:
        if start <= at < end:
            for cur, kind, amount in ms:
                _add(movements, cur, kind, amount)
                if kind in ("new", "churn", "reactivation"):
                    counts[cur][{"new": "new", "churn": "churned",
                                 "reactivation": "reactivated"}[kind]] += 1

    _replay(store, [start, end], end, on_boundary, on_moves)
    first, last = snaps[0], snaps[1]
    months = max(1e-9, (end - start).total_seconds() / (365.25 / 12 * 86400))
    out: dict[str, Any] = {"mrr": {}, "mrr_start": {}, "arr": {}, "movements": {}, "customers": {},
                           "churn": {}, "retention": {}, "arpa": {}, "ltv": {}}
    for cur in sorted({c for _, c in first} | {c for _, c in last} | set(movements)):
        s_mrr = sum(v for (_, c), v in first.items() if c == cur)
        e_mrr = sum(v for (_, c), v in last.items() if c == cur)
        mv = movements.get(cur, dict.fromkeys(MOVEMENTS, 0))
        cohort = [k for k in first if k[1] == cur]
        kept = sum(last.get(k, 0) for k in cohort)
        kept_capped = sum(min(last.get(k, 0), first[k]) for k in cohort)
        lost = sum(1 for k in cohort if k not in last)
        active_end = sum(1 for k in last if k[1] == cur)
        churn_rate = _ratio(lost, len(cohort))
        arpa = round(e_mrr / active_end) if active_end else None
        monthly_churn = churn_rate / months if churn_rate else None
        out["mrr"][cur], out["mrr_start"][cur], out["arr"][cur] = e_mrr, s_mrr, 12 * e_mrr
        out["movements"][cur] = {**mv, "net": sum(mv.values())}
        out["customers"][cur] = {"active_start": len(cohort), "active_end": active_end,
                                 **counts[cur], "lost_from_start": lost}
        out["churn"][cur] = {"customer_churn_rate": churn_rate,
                             "gross_mrr_churn_rate": _ratio(-(mv["churn"] + mv["contraction"]), s_mrr)}
        out["retention"][cur] = {"nrr": _ratio(kept, s_mrr), "grr": _ratio(kept_capped, s_mrr)}
        out["arpa"][cur] = arpa
        out["ltv"][cur] = round(arpa / monthly_churn) if arpa is not None and monthly_churn else None
    return out


_SIGN_KINDS = {"payment": "gross", "refund": "refunds", "dispute": "disputes",
               "dispute_reversal": "disputes", "fee": "fees", "llm_cost": "llm_costs"}


def _blank() -> dict[str, int]:
    return {"gross": 0, "refunds": 0, "disputes": 0, "net": 0, "fees": 0, "llm_costs": 0,
            "margin": 0}


def revenue(store: Store, start: datetime, end: datetime) -> dict[str, Any]:
    """Gross, refunds, disputes, net, fees, LLM cost and margin per currency and per service.

    Refunds, disputes, fees and costs are reported as positive amounts;
    ``net = gross − refunds − disputes`` and ``margin = net − fees − llm_costs``.
    """
    stmt = (sa.select(LedgerRow.currency, LedgerRow.service_slug, LedgerRow.kind,
                      sa.func.sum(LedgerRow.amount_minor))
            .where(LedgerRow.occurred_at >= start, LedgerRow.occurred_at < end)
            .group_by(LedgerRow.currency, LedgerRow.service_slug, LedgerRow.kind))
    totals: dict[str, dict[str, int]] = {}
    by_service: dict[str, dict[str, dict[str, int]]] = {}
    with store.read() as session:
        rows = [(c, s, k, int(v)) for c, s, k, v in session.execute(stmt)]
    extra = [(line.currency, line.service_slug, "llm_cost", -abs(line.amount_minor))
             for src in cost_sources().values() for line in src(start, end)]
    for cur, service, kind, amount in rows + extra:
        field_name = _SIGN_KINDS.get(kind)
        if field_name is None:
            continue
        value = amount if field_name == "gross" else -amount
        for acc in (totals.setdefault(cur, _blank()),
                    by_service.setdefault(service or "unassigned", {}).setdefault(cur, _blank())):
            acc[field_name] += value
    for acc in [*totals.values(), *(c for s in by_service.values() for c in s.values())]:
        acc["net"] = acc["gross"] - acc["refunds"] - acc["disputes"]
        acc["margin"] = acc["net"] - acc["fees"] - acc["llm_costs"]
    margin = {cur: {"net": t["net"], "fees": t["fees"], "llm_costs": t["llm_costs"],
                    "margin": t["margin"], "margin_rate": _ratio(t["margin"], t["net"])}
              for cur, t in totals.items()}
    return {"revenue": {c: {k: t[k] for k in ("gross", "refunds", "disputes", "net")}
                        for c, t in totals.items()},
            "margin": margin, "by_service": by_service}
