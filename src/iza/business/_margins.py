"""Gross margin per order, customer, service or month: net revenue − Stripe fees − LLM costs.

The same sign conventions as :func:`iza.business._analytics.revenue`, grouped by another key.
Per order and per customer read the ledger rows directly (the rollup has no such key);
per month uses month boundaries in ``business.timezone``. LLM cost comes from the ledger's
``llm_cost`` rows plus, per order, service and month, the ``iza.llm`` run journal
(:mod:`iza.business._llm_costs`); per customer it is the ledger rows only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from iza.business._analytics import month_bounds, revenue
from iza.business._llm_costs import journal_cost_lines
from iza.business._models import LedgerRow
from iza.errors import InputError
from iza.kernel.store import Store

__all__ = ["GROUPINGS", "margins"]

GROUPINGS = ("order", "customer", "service", "month")
_FIELD = {"payment": "gross", "refund": "refunds", "dispute": "disputes",
          "dispute_reversal": "disputes", "fee": "fees", "llm_cost": "llm_costs"}


def _finish(acc: dict[str, int]) -> dict[str, Any]:
    acc["net"] = acc["gross"] - acc["refunds"] - acc["disputes"]
    acc["margin"] = acc["net"] - acc["fees"] - acc["llm_costs"]
    return {**acc, "margin_rate": round(acc["margin"] / acc["net"], 6) if acc["net"] else None}


def margins(store: Store, start: datetime, end: datetime, by: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Rows ``{key, currency, gross, refunds, disputes, net, fees, llm_costs, margin, margin_rate}``,
    highest margin first (months in order)."""
    if by not in GROUPINGS:
        raise InputError(f"cannot group margins by {by!r}", fix=f"use one of {', '.join(GROUPINGS)}")
    if by in ("service", "month"):
        rows: list[dict[str, Any]] = []
        if by == "service":
            for service, per_cur in revenue(store, start, end)["by_service"].items():
                rows += [{"key": service, "currency": c, **_finish(dict(v))} for c, v in per_cur.items()]
            return sorted(rows, key=lambda r: -r["margin"])
        bounds = month_bounds(start, end, tz)
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            label = lo.astimezone(tz).strftime("%Y-%m")
            month = revenue(store, max(lo, start), min(hi, end))
            for cur, m in month["margin"].items():
                r = month["revenue"][cur]
                rows.append({"key": label, "currency": cur, **r, "fees": m["fees"],
                             "llm_costs": m["llm_costs"], "margin": m["margin"],
                             "margin_rate": m["margin_rate"]})
        return rows
    col = LedgerRow.order_id if by == "order" else LedgerRow.customer_ref
    stmt = (sa.select(col, LedgerRow.currency, LedgerRow.kind, sa.func.sum(LedgerRow.amount_minor))
            .where(LedgerRow.occurred_at >= start, LedgerRow.occurred_at < end, col.is_not(None))
            .group_by(col, LedgerRow.currency, LedgerRow.kind))
    accs: dict[tuple[str, str], dict[str, int]] = {}
    with store.read() as session:
        for key, cur, kind, total in session.execute(stmt):
            name = _FIELD.get(kind)
            if name is None:
                continue
            acc = accs.setdefault((str(key), cur), {"gross": 0, "refunds": 0, "disputes": 0, "fees": 0,
                                               "llm_costs": 0})
            acc[name] += int(total) if name == "gross" else -int(total)
    if by == "order":  # model spend of the orders' missions, from the LLM run journal
        for line in journal_cost_lines(store, start, end):
            if line.order_id:
                acc = accs.setdefault((line.order_id, line.currency), {
                    "gross": 0, "refunds": 0, "disputes": 0, "fees": 0, "llm_costs": 0})
                acc["llm_costs"] += abs(line.amount_minor)
    out = [{"key": k, "currency": c, **_finish(a)} for (k, c), a in accs.items()]
    return sorted(out, key=lambda r: (-r["margin"], r["key"]))
