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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from iza.business._costs import cost_sources
from iza.business._llm_costs import journal_cost_lines
from iza.business._rollup import ledger_sums
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
    """Customer MRR while history is replayed; ``total`` is kept per currency incrementally."""

    sub_mrr: dict[str, int] = field(default_factory=dict)
    sub_key: dict[str, Key] = field(default_factory=dict)
    cust: dict[Key, int] = field(default_factory=dict)
    ever: set[Key] = field(default_factory=set)
    total: dict[str, int] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        return {c: v for c, v in self.total.items() if v}


def _classify(prev: int, now: int, seen: bool) -> str | None:
    if prev == now:
        return None
    if prev <= 0 < now:
        return "reactivation" if seen else "new"
    if now <= 0:
        return "churn"
    return "expansion" if now > prev else "contraction"


def _raw_bound(dialect: str, value: datetime) -> Any:
    """A bound in the driver's own representation, so rows skip type conversion: SQLite keeps
    UTC timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, which sorts like the instants."""
    if dialect == "sqlite":
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _replay(store: Store, bounds: list[datetime], on_boundary: Any, on_moves: Any) -> MrrState:
    """Walk the MRR history before ``bounds[-1]`` once, in time order.

    ``on_boundary(i, state)`` runs as bound ``i`` is crossed. ``on_moves(b, moves)`` gets each
    instant's customer movements ``(currency, kind, amount)``, with ``b`` = number of bounds at
    or before that instant (``b == 1``: between ``bounds[0]`` and ``bounds[1]``). Changes of
    several subscriptions of one customer at one instant count as one movement. This is the hot
    loop of every MRR report, hence raw driver rows and plain local variables.
    """
    state = MrrState()
    sub_mrr, sub_key, cust, ever, total = (state.sub_mrr, state.sub_key, state.cust, state.ever,
                                           state.total)
    raw = [_raw_bound(store.dialect, b) for b in bounds]
    nb, bi = len(raw), 0
    before: dict[Key, int] = {}
    group_at: Any = None

    def emit() -> None:
        moves = []
        for key, prev in before.items():
            now = cust.get(key, 0)
            kind = _classify(prev, now, key in ever)
            if kind is not None:
                if now > 0:
                    ever.add(key)
                moves.append((key[1], kind, now - prev))
        if moves:
            on_moves(bi, moves)
        before.clear()

    sql = ("SELECT at, subscription_id, customer_ref, currency, mrr_minor FROM biz_mrr_changes "
           "WHERE at < {p} ORDER BY at, id").format(p="?" if store.dialect == "sqlite" else "%s")
    with store.engine.connect() as conn:
        for at, sub, customer, cur, mrr in conn.exec_driver_sql(sql, (raw[-1],)):
            if at != group_at:
                if before:
                    emit()
                while bi < nb and at >= raw[bi]:
                    on_boundary(bi, state)
                    bi += 1
                group_at = at
            key = (customer, cur)
            if key not in before:
                before[key] = cust.get(key, 0)
            old_key = sub_key.get(sub)
            if old_key is not None:
                if old_key not in before:
                    before[old_key] = cust.get(old_key, 0)
                old = sub_mrr[sub]
                cust[old_key] -= old
                total[old_key[1]] -= old
            cust[key] = cust.get(key, 0) + mrr
            total[cur] = total.get(cur, 0) + mrr
            sub_mrr[sub], sub_key[sub] = mrr, key
    if before:
        emit()
    while bi < nb:
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

    def on_moves(b: int, ms: list[tuple[str, str, int]]) -> None:
        if 1 <= b < len(bounds):
            for cur, kind, amount in ms:
                _add(moves[b - 1], cur, kind, amount)

    _replay(store, bounds, on_boundary, on_moves)
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

    def on_moves(b: int, ms: list[tuple[str, str, int]]) -> None:
        if b == 1:
            for cur, kind, amount in ms:
                _add(movements, cur, kind, amount)
                if kind in ("new", "churn", "reactivation"):
                    counts[cur][{"new": "new", "churn": "churned",
                                 "reactivation": "reactivated"}[kind]] += 1

    _replay(store, [start, end], on_boundary, on_moves)
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
    totals: dict[str, dict[str, int]] = {}
    by_service: dict[str, dict[str, dict[str, int]]] = {}
    with store.read() as session:
        rows = ledger_sums(session, start, end)
    lines = [*journal_cost_lines(store, start, end),
             *(line for src in cost_sources().values() for line in src(start, end))]
    extra = [(line.currency, line.service_slug, "llm_cost", -abs(line.amount_minor)) for line in lines]
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
