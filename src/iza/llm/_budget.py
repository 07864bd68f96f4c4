"""Nested budgets, checked before a call is sent.

Scopes nest global → customer / order → mission → agent. A call carrying a
:class:`CallContext` is checked against every scope it names plus the global one: spent so far
(from the journal) + cost already reserved by calls in flight in this process + this call's
estimate must stay within each limit. The reservation is what stops thirty agents that start at
once from all squeezing under the same remaining dollar. The global budget is per UTC calendar
month (``llm.budget_usd`` or a ``global`` row); the others are lifetime totals of their key.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from iza.errors import InputError
from iza.kernel.store import Store
from iza.llm._errors import BudgetExceeded
from iza.llm._journal import SPEND_LOCK, BudgetRow, CallRow
from iza.llm._messages import CallContext

__all__ = ["SCOPES", "BudgetGuard", "Hold", "list_budgets", "set_budget"]

SCOPES = ("global", "customer", "order", "mission", "agent")
_COLUMN = {
    "customer": CallRow.customer,
    "order": CallRow.order_ref,
    "mission": CallRow.mission,
    "agent": CallRow.agent,
}


#: bumped by every set_budget in this process, so guards drop their cached budget list at once
_GENERATION = [0]
#: other processes' budget changes are picked up within this many seconds
_CACHE_S = 2.0


def set_budget(store: Store, scope: str, key: str, limit_usd: float) -> None:
    """Create or replace the budget of ``scope``/``key`` (``key`` is ignored for ``global``)."""
    if scope not in SCOPES:
        raise InputError(f"unknown budget scope {scope!r}", fix=f"use one of {', '.join(SCOPES)}")
    if limit_usd < 0:
        raise InputError(f"budget {limit_usd} is negative", fix="give a limit in USD of 0 or more")
    key = "" if scope == "global" else key
    nanos = round(limit_usd * 1e9)
    with store.transaction() as session:
        row = session.scalars(
            sa.select(BudgetRow).where(BudgetRow.scope == scope, BudgetRow.key == key)
        ).first()
        if row is None:
            session.add(BudgetRow(scope=scope, key=key, limit_nanos=nanos))
        else:
            row.limit_nanos = nanos
    _GENERATION[0] += 1


def list_budgets(store: Store) -> list[tuple[str, str, int]]:
    with store.read() as session:
        return [(r.scope, r.key, r.limit_nanos) for r in session.scalars(sa.select(BudgetRow))]


def _month_start() -> datetime:
    now = datetime.now(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


class Hold:
    """Budget held for one call. Released once: when its journal row is committed (``deferred``)
    or, if the call never reached the journal, when the call ends."""

    def __init__(self, guard: BudgetGuard, held: list[tuple[str, str, int]]) -> None:
        self._guard = guard
        self._held = held
        self._released = False
        self._lock = threading.Lock()
        self.deferred = False

    def settle(self, actual_nanos: int) -> None:
        """Replace the estimate by the call's actual cost until its journal row is committed (with
        the async journal the row lands a little later; spend must not look smaller meanwhile)."""
        with self._lock:
            if self._released:
                return
            self._held = self._guard.adjust(self._held, actual_nanos)

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._guard.release(self._held)


class BudgetGuard:
    """Checks and reserves budget for calls of one process."""

    def __init__(self, store: Store, global_usd: float = 0.0) -> None:
        self.store = store
        self.global_nanos = round(global_usd * 1e9)
        self._reserved: dict[tuple[str, str], int] = {}
        self._lock = SPEND_LOCK
        self._cached: tuple[int, float, list[tuple[str, str, int]]] | None = None

    def _all_budgets(self) -> list[tuple[str, str, int]]:
        """The budget table, cached briefly: reading it on every call would cost more than the call's
        own bookkeeping, and budgets change rarely."""
        now = time.monotonic()
        cached = self._cached
        if cached is not None and cached[0] == _GENERATION[0] and now - cached[1] < _CACHE_S:
            return cached[2]
        rows = list_budgets(self.store)
        self._cached = (_GENERATION[0], now, rows)
        return rows

    def _limits(self, ctx: CallContext) -> list[tuple[str, str, int]]:
        wanted = {("global", "")}
        for scope, key in (
            ("customer", ctx.customer),
            ("order", ctx.order),
            ("mission", ctx.mission),
            ("agent", ctx.agent),
        ):
            if key:
                wanted.add((scope, key))
        found = {(s, k): m for s, k, m in self._all_budgets() if (s, k) in wanted}
        if ("global", "") not in found and self.global_nanos:
            found[("global", "")] = self.global_nanos
        order = {s: i for i, s in enumerate(SCOPES)}
        return sorted(((s, k, m) for (s, k), m in found.items()), key=lambda t: order[t[0]])

    def _spent(self, scope: str, key: str) -> int:
        q = sa.select(sa.func.coalesce(sa.func.sum(CallRow.cost_nanos), 0))
        if scope == "global":
            q = q.where(CallRow.created_at >= _month_start())
        else:
            q = q.where(_COLUMN[scope] == key)
        with self.store.read() as session:
            return int(session.scalar(q) or 0)

    def acquire(self, ctx: CallContext, estimate_nanos: int) -> list[tuple[str, str, int]]:
        """Refuse with :class:`BudgetExceeded`, or hold ``estimate_nanos`` in every scope of the
        call until :meth:`release` (after the call has been journaled)."""
        limits = self._limits(ctx)
        if not limits:
            return []
        with self._lock:
            for scope, key, limit in limits:
                spent = self._spent(scope, key) + self._reserved.get((scope, key), 0)
                if spent + estimate_nanos > limit:
                    raise BudgetExceeded(scope, key, limit / 1e9, spent / 1e9, estimate_nanos / 1e9)
            held = [(scope, key, estimate_nanos) for scope, key, _ in limits]
            for scope, key, amount in held:
                self._reserved[(scope, key)] = self._reserved.get((scope, key), 0) + amount
        return held

    def adjust(self, held: list[tuple[str, str, int]], amount: int) -> list[tuple[str, str, int]]:
        with self._lock:
            for scope, key, old in held:
                self._reserved[(scope, key)] += amount - old
        return [(scope, key, amount) for scope, key, _ in held]

    def release(self, held: list[tuple[str, str, int]]) -> None:
        with self._lock:
            for scope, key, amount in held:
                self._reserved[(scope, key)] -= amount

    @contextmanager
    def reserve(self, ctx: CallContext, estimate_nanos: int) -> Iterator[None]:
        held = self.acquire(ctx, estimate_nanos)
        try:
            yield
        finally:
            self.release(held)
