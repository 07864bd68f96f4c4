"""Hourly ledger rollup: what keeps revenue over months of a million entries fast.

Every ledger insert adds its amount to ``biz_ledger_hourly`` (UTC hour, currency, kind,
service) in the same transaction, with an upsert that adds rather than overwrites, so the
rollup is exactly the sum of the ledger at every commit. A period is summed as whole hours
from the rollup plus the partial hours at either edge from the ledger itself, so any
boundary — including business time zones with half-hour offsets — gives the exact total.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from iza.business._models import LedgerHourRow, LedgerRow
from iza.kernel.store import Store

__all__ = ["add_to_rollup", "ledger_sums", "rebuild_rollup"]

Sum = tuple[str, str | None, str, int]


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(at: datetime) -> datetime:
    h = _hour(at)
    return h if h == at else h + timedelta(hours=1)


def add_to_rollup(session: Session, values: dict[str, Any]) -> None:
    row = {"hour": _hour(values["occurred_at"]), "currency": values["currency"],
           "kind": values["kind"], "service_slug": values.get("service_slug") or "",
           "amount_minor": int(values["amount_minor"]), "entries": 1}
    table: Any = LedgerHourRow.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table).values(**row)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["hour", "currency", "kind", "service_slug"],
        set_={"amount_minor": table.c.amount_minor + stmt.excluded.amount_minor,
              "entries": table.c.entries + 1})
    session.execute(stmt)


def _raw(session: Session, lo: datetime, hi: datetime) -> list[Sum]:
    if lo >= hi:
        return []
    stmt = (sa.select(LedgerRow.currency, LedgerRow.service_slug, LedgerRow.kind,
                      sa.func.sum(LedgerRow.amount_minor))
            .where(LedgerRow.occurred_at >= lo, LedgerRow.occurred_at < hi)
            .group_by(LedgerRow.currency, LedgerRow.service_slug, LedgerRow.kind))
    return [(c, s, k, int(v)) for c, s, k, v in session.execute(stmt)]


def ledger_sums(session: Session, start: datetime, end: datetime) -> list[Sum]:
    """Sums of ledger amounts in [start, end) by (currency, service, kind)."""
    lo, hi = _ceil_hour(start), _hour(end)
    if lo >= hi:
        return _raw(session, start, end)
    stmt = (sa.select(LedgerHourRow.currency, LedgerHourRow.service_slug, LedgerHourRow.kind,
                      sa.func.sum(LedgerHourRow.amount_minor))
            .where(LedgerHourRow.hour >= lo, LedgerHourRow.hour < hi)
            .group_by(LedgerHourRow.currency, LedgerHourRow.service_slug, LedgerHourRow.kind))
    whole = [(c, s or None, k, int(v)) for c, s, k, v in session.execute(stmt)]
    return whole + _raw(session, start, lo) + _raw(session, hi, end)


def rebuild_rollup(store: Store) -> int:
    """Recompute the rollup from the ledger (after bulk loads that bypassed ``insert_entry``)."""
    with store.transaction() as session:
        session.execute(sa.delete(LedgerHourRow))
        if store.dialect == "postgresql":
            hour: Any = sa.func.date_trunc("hour", LedgerRow.occurred_at, "UTC")
        else:
            hour = sa.func.strftime("%Y-%m-%d %H:00:00.000000", LedgerRow.occurred_at)
        sel = (sa.select(hour, LedgerRow.currency, LedgerRow.kind,
                         sa.func.coalesce(LedgerRow.service_slug, ""),
                         sa.func.sum(LedgerRow.amount_minor), sa.func.count())
               .group_by(hour, LedgerRow.currency, LedgerRow.kind, LedgerRow.service_slug))
        session.execute(sa.insert(LedgerHourRow).from_select(
            ["hour", "currency", "kind", "service_slug", "amount_minor", "entries"], sel))
        return int(session.scalar(sa.select(sa.func.count()).select_from(LedgerHourRow)) or 0)
