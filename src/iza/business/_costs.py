"""The LLM-cost seam: where margins get the AI cost of the work behind each order.

Two ways in, both summed into margins:

* rows of kind ``llm_cost`` in the ledger, written by :func:`iza.business.record_llm_cost`
  (idempotent per run reference);
* cost *sources* registered with :func:`register_cost_source` — a function
  ``(start, end) -> iterable of CostLine`` read at report time.

The ``iza.llm`` run journal is read directly by :mod:`iza.business._llm_costs` (a lower layer:
calls tagged with an order id by the missions that deliver it); these two ways in are for other
meters. Do not feed the same calls through more than one of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

__all__ = ["CostLine", "CostSource", "cost_sources", "register_cost_source", "unregister_cost_source"]


@dataclass(frozen=True)
class CostLine:
    """One cost, positive minor units, attributed to an order and/or a service."""

    currency: str
    amount_minor: int
    order_id: str | None = None
    service_slug: str | None = None


CostSource = Callable[[datetime, datetime], Iterable[CostLine]]
_sources: dict[str, CostSource] = {}
_lock = threading.Lock()


def register_cost_source(name: str, source: CostSource) -> None:
    with _lock:
        _sources[name] = source


def unregister_cost_source(name: str) -> None:
    with _lock:
        _sources.pop(name, None)


def cost_sources() -> dict[str, CostSource]:
    with _lock:
        return dict(_sources)
