"""The run journal (``llm_calls``) and budgets (``llm_budgets``): tables and queries.

Every logical call is one journal row, whatever number of attempts it took, so usage and cost
summed over rows are never counted twice, however many agents share a model. Rows keep the
answer (content, tool calls) so that a run can be replayed from the journal with no network,
and so that the opt-in cache can answer an identical request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from iza.kernel.store import Base, Store, UTCDateTime, utcnow

__all__ = [
    "BudgetRow",
    "CallRow",
    "SPEND_LOCK",
    "JournalEntry",
    "cached_answer",
    "entry_values",
    "record",
    "recorded_run",
    "usage_report",
]


class CallRow(Base):
    """One LLM call as the router saw it (``status``: ok, error, refused, cached, replayed)."""

    __tablename__ = "llm_calls"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    alias: Mapped[str] = mapped_column(sa.String(200))
    provider: Mapped[str] = mapped_column(sa.String(40), default="")
    model: Mapped[str] = mapped_column(sa.String(200), default="")
    input_tokens: Mapped[int] = mapped_column(sa.Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(sa.Integer, default=0)
    usage_estimated: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    cost_nanos: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    latency_ms: Mapped[float] = mapped_column(sa.Float, default=0.0)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    agent: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, index=True)
    mission: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, index=True)
    order_ref: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, index=True)
    customer: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    workflow_run: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, index=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)


class BudgetRow(Base):
    """A spending limit for one scope (global, customer, order, mission, agent) and key."""

    __tablename__ = "llm_budgets"
    __table_args__ = (sa.UniqueConstraint("scope", "key", name="uq_llm_budgets_scope_key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(200))
    limit_nanos: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class JournalEntry:
    """The fields of one row, built by the service and written in one statement."""

    request_hash: str
    alias: str
    status: str
    provider: str = ""
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    usage_estimated: bool = False
    cost_nanos: int = 0
    latency_ms: float = 0.0
    error: str | None = None
    attempts: int = 0
    agent: str | None = None
    mission: str | None = None
    order_ref: str | None = None
    customer: str | None = None
    workflow_run: str | None = None
    response: dict[str, Any] | None = None


#: Held while spend is read for a budget check, and while a journal row is committed together with
#: the release of that call's budget hold: a check then sees the cost either as reserved or as
#: spent, never both and never neither.
SPEND_LOCK = threading.RLock()


def entry_values(entry: JournalEntry) -> dict[str, Any]:
    values = {k: getattr(entry, k) for k in JournalEntry.__dataclass_fields__}
    values["created_at"] = utcnow()
    return values


def record(store: Store, entry: JournalEntry, *, background: bool = False,
           done: Callable[[], None] | None = None) -> None:
    """Append one row: now (a Core insert; the ORM unit of work costs more than the write), or
    through the background writer, calling ``done`` once it is committed."""
    values = entry_values(entry)
    if background:
        from iza.llm._writer import writer_for

        writer_for(store).submit(values, done)
        return
    if done is None:
        with store.transaction() as session:
            session.execute(sa.insert(CallRow), [values])
        return
    with SPEND_LOCK:
        try:
            with store.transaction() as session:
                session.execute(sa.insert(CallRow), [values])
        finally:
            done()


def _flush(store: Store) -> None:
    from iza.llm._writer import flush_journal

    flush_journal(store)


def cached_answer(store: Store, request_hash: str, ttl_s: int) -> CallRow | None:
    """The newest successful live answer to this exact request younger than ``ttl_s``."""
    since = utcnow() - timedelta(seconds=ttl_s)
    _flush(store)
    with store.read() as session:
        return session.scalars(
            sa.select(CallRow)
            .where(CallRow.request_hash == request_hash, CallRow.status == "ok", CallRow.created_at >= since)
            .order_by(CallRow.id.desc())
            .limit(1)
        ).first()


def recorded_run(
    store: Store, *, mission: str | None = None, workflow_run: str | None = None
) -> list[CallRow]:
    """The successful live calls of a mission or workflow run, in the order they were made."""
    if not mission and not workflow_run:
        raise ValueError("replay needs a mission or a workflow run")
    _flush(store)
    q = sa.select(CallRow).where(CallRow.status == "ok")
    if mission:
        q = q.where(CallRow.mission == mission)
    if workflow_run:
        q = q.where(CallRow.workflow_run == workflow_run)
    with store.read() as session:
        return list(session.scalars(q.order_by(CallRow.id)))


_GROUPS = {"agent": CallRow.agent, "model": None, "mission": CallRow.mission, "day": None,
           "order": CallRow.order_ref, "customer": CallRow.customer, "workflow_run": CallRow.workflow_run}


def usage_report(store: Store, by: str = "model", since: datetime | None = None,
                 until: datetime | None = None) -> list[dict[str, Any]]:
    """Calls, tokens and cost (``cost_nanos`` exact, ``cost_usd`` for display) grouped by agent,
    model (provider:model), mission, order, customer, workflow run or UTC day, in [since, until)."""
    if by not in _GROUPS:
        raise ValueError(by)
    _flush(store)
    if by == "day":
        return _by_day(store, since, until)
    key: Any
    if by == "model":
        key = sa.func.coalesce(CallRow.provider, "") + ":" + sa.func.coalesce(CallRow.model, "")
    else:
        key = _GROUPS[by]
    q = (
        sa.select(
            key.label("key"),
            sa.func.count().label("calls"),
            sa.func.sum(sa.case((CallRow.status.in_(("error", "refused")), 1), else_=0)).label("failed"),
            sa.func.coalesce(sa.func.sum(CallRow.input_tokens), 0).label("input_tokens"),
            sa.func.coalesce(sa.func.sum(CallRow.output_tokens), 0).label("output_tokens"),
            sa.func.coalesce(sa.func.sum(CallRow.cost_nanos), 0).label("cost_nanos"),
        )
        .group_by(key)
        .order_by(key)
    )
    if since is not None:
        q = q.where(CallRow.created_at >= since)
    if until is not None:
        q = q.where(CallRow.created_at < until)
    with store.read() as session:
        rows = session.execute(q).all()
    return [
        {
            by: r.key,
            "calls": int(r.calls),
            "failed": int(r.failed or 0),
            "input_tokens": int(r.input_tokens),
            "output_tokens": int(r.output_tokens),
            "cost_nanos": int(r.cost_nanos),
            "cost_usd": int(r.cost_nanos) / 1e9,
        }
        for r in rows
    ]


def _by_day(store: Store, since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    """Grouped in Python: the database's own date functions depend on the session time zone."""
    q = sa.select(
        CallRow.created_at, CallRow.status, CallRow.input_tokens, CallRow.output_tokens, CallRow.cost_nanos
    )
    if since is not None:
        q = q.where(CallRow.created_at >= since)
    if until is not None:
        q = q.where(CallRow.created_at < until)
    days: dict[str, dict[str, Any]] = {}
    with store.read() as session:
        for created, status, inp, out, cost in session.execute(q):
            d = days.setdefault(
                created.date().isoformat(),
                {
                    "day": created.date().isoformat(),
                    "calls": 0,
                    "failed": 0,
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "cost_nanos": 0,
                },
            )
            d["calls"] += 1
            d["failed"] += status in ("error", "refused")
            d["input_tokens"] += inp
            d["output_tokens"] += out
            d["cost_nanos"] += cost
    out_rows = []
    for day in sorted(days):
        d = days[day]
        d["cost_usd"] = d["cost_nanos"] / 1e9
        out_rows.append(d)
    return out_rows
