"""The Command Center's data: component health, recent events and counts per subsystem."""

from __future__ import annotations

from typing import Any

from iza._system import build_registry
from iza.kernel.config import Settings
from iza.kernel.events import recent
from iza.kernel.store import Store

__all__ = ["command_center_data"]


def command_center_data(settings: Settings, store: Store, events: int = 15) -> dict[str, Any]:
    reports = build_registry().status(settings)
    components = [r.as_dict() for r in reports]
    counts = {r.name: r.health.metrics.get("counts", {}) for r in reports
              if r.health.metrics.get("counts")}
    summary: dict[str, int] = {}
    for r in reports:
        summary[r.health.status.value] = summary.get(r.health.status.value, 0) + 1
    return {
        "components": components,
        "summary": summary,
        "counts": counts,
        "events": [e.as_dict() for e in recent(store, events)] if events else [],
    }
