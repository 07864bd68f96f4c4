"""The workflow engine as a component: health (workflow and execution counts) and doctor checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iza.kernel.registry import Check, Component, Health

if TYPE_CHECKING:
    from iza.kernel.config import Settings

__all__ = ["workflows_component"]


def _health(settings: Settings) -> Health:
    import sqlalchemy as sa

    from iza.errors import IzaError
    from iza.kernel.store import Store
    from iza.workflows._tables import ExecutionRow, WorkflowRow

    try:
        store = Store.from_settings(settings)
        if store.migration_state().pending:
            return Health.degraded("workflow tables not migrated; run `iza db migrate`")
        with store.read() as s:
            workflows = s.scalar(sa.select(sa.func.count()).select_from(WorkflowRow)) or 0
            active = s.scalar(sa.select(sa.func.count()).select_from(WorkflowRow)
                              .where(WorkflowRow.active.is_(True))) or 0
            running = s.scalar(sa.select(sa.func.count()).select_from(ExecutionRow)
                               .where(ExecutionRow.status == "running")) or 0
            waiting = s.scalar(sa.select(sa.func.count()).select_from(ExecutionRow)
                               .where(ExecutionRow.status == "waiting")) or 0
            failed = s.scalar(sa.select(sa.func.count()).select_from(ExecutionRow)
                              .where(ExecutionRow.status == "error")) or 0
            queued = s.scalar(sa.select(sa.func.count()).select_from(ExecutionRow)
                              .where(ExecutionRow.status == "queued")) or 0
    except IzaError as exc:
        return Health.down(str(exc))
    return Health.ok(f"{workflows} workflows ({active} active)",
                     counts={"workflows": workflows, "active": active, "running": running,
                             "waiting": waiting, "queued": queued, "failed executions": failed})


def _doctor(settings: Settings) -> list[Check]:
    try:
        import py_mini_racer  # noqa: F401
    except ImportError:
        return [Check("workflows: JavaScript", "fail", "mini-racer is not installed; expressions and "
                      "Code nodes cannot run", "pip install 'iza-os[workflows]'")]
    return [Check("workflows: JavaScript", "ok", "V8 sandbox available (mini-racer)")]


def workflows_component() -> Component:
    return Component("workflows", "workflows", _health, _doctor, title="Workflows")
