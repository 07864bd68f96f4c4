"""The LLM cost of each order, read from ``iza.llm``'s run journal.

Missions that deliver an order pass the order id in every model call's ``CallContext``, so the
journal can be summed per order (``iza.llm.usage(by="order")``: one row per call, exact
``cost_nanos``, nothing counted twice however many agents shared a model). Margins subtract
these amounts next to the ledger's own ``llm_cost`` rows (which stay for costs metered outside
``iza.llm``; do not record the same calls both ways).

The journal is in US dollars. A cost line is therefore always in ``usd`` minor units (cents,
rounded half up per order over the period), attributed to the order and its service; an order
paid in another currency shows its LLM cost on a separate ``usd`` row rather than being
converted without an FX table. Calls are dated when they were made, so a period's margin holds
the model spend of that period.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from iza.business._costs import CostLine
from iza.business._models import OrderRow
from iza.kernel.store import Store

__all__ = ["JOURNAL_SOURCE", "journal_cost_lines", "nanos_to_cents"]

#: how reports name this source of LLM cost
JOURNAL_SOURCE = "iza.llm run journal (calls tagged with an order)"
_NANOS_PER_CENT = 10_000_000


def nanos_to_cents(nanos: int) -> int:
    """USD nano-dollars → cents, rounded half up (never a float in between)."""
    return (nanos + _NANOS_PER_CENT // 2) // _NANOS_PER_CENT


def journal_cost_lines(store: Store, start: datetime, end: datetime) -> list[CostLine]:
    """One ``usd`` line per order with model calls in [start, end) (zero-cent lines dropped)."""
    from iza.llm import usage

    per_order = {str(r["order"]): int(r["cost_nanos"])
                 for r in usage(store, by="order", since=start, until=end) if r["order"]}
    if not per_order:
        return []
    with store.read() as session:
        services = {str(oid): slug for oid, slug in session.execute(
            sa.select(OrderRow.id, OrderRow.service_slug).where(OrderRow.id.in_(list(per_order))))}
    lines = []
    for order_id, nanos in sorted(per_order.items()):
        cents = nanos_to_cents(nanos)
        if cents:
            lines.append(CostLine("usd", cents, order_id, services.get(order_id)))
    return lines
