"""The workforce's health (roster, catalog and mission counts) and its ``iza doctor`` checks."""

from __future__ import annotations

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.registry import Check, Component, Health

__all__ = ["agents_component"]


def _health(settings: Settings) -> Health:
    import sqlalchemy as sa

    from iza.agents._models import MissionRow
    from iza.agents._workforce import load_definitions
    from iza.kernel.store import Store

    try:
        roster, catalog = load_definitions(settings.home)
    except IzaError as exc:
        return Health.down(exc.message)
    counts = {t: len(roster.tier(t)) for t in ("strategist", "manager", "worker")}
    try:
        with Store.from_settings(settings).read() as session:
            rows = session.execute(sa.select(MissionRow.state, sa.func.count())
                                   .group_by(MissionRow.state)).all()
        missions = {str(s): int(n) for s, n in rows}
    except IzaError:
        missions = {}
    detail = (f"{counts['strategist']} strategists, {counts['manager']} managers, "
              f"{counts['worker']} workers; {len(catalog.services)} services")
    return Health.ok(detail, agents=sum(counts.values()), services=len(catalog.services),
                     missions=sum(missions.values()), running=missions.get("running", 0),
                     awaiting_approval=missions.get("awaiting_approval", 0))


def _doctor(settings: Settings) -> list[Check]:
    from iza.agents._workforce import load_definitions

    try:
        roster, catalog = load_definitions(settings.home)
    except IzaError as exc:
        return [Check("agents definitions", "fail", exc.message, exc.fix)]
    offline = [s.id for s in catalog.services if s.requires_model]
    checks = [Check("agents definitions", "ok",
                    f"{len(roster.agents)} agents, {len(catalog.services)} services valid")]
    if offline:
        checks.append(Check("agents offline", "info",
                            f"without an LLM provider these services are refused: {', '.join(offline)}"))
    return checks


def agents_component() -> Component:
    return Component("agents", "agents", _health, _doctor, title="Agent workforce")
