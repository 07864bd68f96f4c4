"""Daily ledger rollup: what keeps revenue over months of a million entries fast.

Every ledger insert adds its amount to ``biz_ledger_daily`` (UTC day, currency, kind,
service) in the same transaction, with an upsert that adds rather than overwrites, so the
rollup is exactly the sum of the ledger at every commit. A period is summed as whole days
from the rollup plus the partial days at either edge from the ledger itself, so any
boundary — midnight in any business time zone — gives the exact total.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from iza.business._models import LedgerDayRow, LedgerRow
from iza.kernel.store import Store

__all__ = ["add_to_rollup", "ledger_sums", "rebuild_rollup"]

Sum = tuple[str, str | None, str, int]


def _day(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(at: datetime) -> datetime:
    d = _day(at)
    return d if d == at else d + timedelta(days=1)


_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """The adding upsert, built once per dialect (values come at execution, so it compiles once)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        table: Any = LedgerDayRow.__table__
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            ins: Any = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            ins = sqlite_insert(table)
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=["day", "currency", "kind", "service_slug"],
            set_={"amount_minor": table.c.amount_minor + ins.excluded.amount_minor,
                  "entries": table.c.entries + 1})
    return stmt


def add_to_rollup(session: Session, values: dict[str, Any]) -> None:
    row = {"day": _day(values["occurred_at"]), "currency": values["currency"],
           "kind": values["kind"], "service_slug": values.get("service_slug") or "",
           "amount_minor": int(values["amount_minor"]), "entries": 1}
    conn = session.connection()
    conn.execute(_upsert(conn.dialect.name), row)


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
    lo, hi = _ceil_day(start), _day(end)
    if lo >= hi:
        return _raw(session, start, end)
    stmt = (sa.select(LedgerDayRow.currency, LedgerDayRow.service_slug, LedgerDayRow.kind,
                      sa.func.sum(LedgerDayRow.amount_minor))
            .where(LedgerDayRow.day >= lo, LedgerDayRow.day < hi)
            .group_by(LedgerDayRow.currency, LedgerDayRow.service_slug, LedgerDayRow.kind))
    whole = [(c, s or None, k, int(v)) for c, s, k, v in session.execute(stmt)]
    return whole + _raw(session, start, lo) + _raw(session, hi, end)


def rebuild_rollup(store: Store) -> int:
    """Recompute the rollup from the ledger (after bulk loads that bypassed ``insert_entry``)."""
    with store.transaction() as session:
        session.execute(sa.delete(LedgerDayRow))
        if store.dialect == "postgresql":
            day: Any = sa.func.date_trunc("day", LedgerRow.occurred_at, "UTC")
        else:
            day = sa.func.strftime("%Y-%m-%d 00:00:00.000000", LedgerRow.occurred_at)
        sel = (sa.select(day, LedgerRow.currency, LedgerRow.kind,
                         sa.func.coalesce(LedgerRow.service_slug, ""),
                         sa.func.sum(LedgerRow.amount_minor), sa.func.count())
               .group_by(day, LedgerRow.currency, LedgerRow.kind, LedgerRow.service_slug))
        session.execute(sa.insert(LedgerDayRow).from_select(
            ["day", "currency", "kind", "service_slug", "amount_minor", "entries"], sel))
        return int(session.scalar(sa.select(sa.func.count()).select_from(LedgerDayRow)) or 0)
