"""The real delivery hooks: an instant-app request becomes an order, a mission, memories and events.

:class:`SystemHooks` is what ``iza demo-app`` and the web demo form use by default. Per request:

* **order** (business): one ``biz_orders`` row for the catalog's ``instant-app`` service with
  ``source = "demo"`` and ``amount_minor = 0``. Revenue is only ever read from the ledger, and a
  demo writes no ledger row, so a demo is never revenue; a paid order goes through Stripe instead.
  It ends ``delivered`` (``order.delivered`` is published) or ``failed``.
* **mission** (agents): a mission for the ``instant-app`` service linked to the order. The work
  was done by :mod:`iza.apps` (offline parser, blueprint generator, verifier), not by a model, so
  the trace records exactly that: an objective owned by the service's manager with one task and
  one tool span per step (``apps.parse_request``, ``apps.generate_app``, ``apps.verify:<step>``).
  The service's generic offline-playbook tasks are marked ``skipped`` rather than run, since
  their placeholder files would contradict the app actually built. The mission ends
  ``completed`` or ``failed`` and publishes ``mission.completed`` / ``mission.failed``.
* **memories** (memory): the spec and each decision behind it, in the mission's namespace
  (``mission:<id>``) with provenance naming the mission, order and request.
* **events**: everything :class:`EventBusHooks` publishes, ``app.delivered`` included, now with
  real ids, so a workflow can react to a delivery.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from iza.apps._hooks import AppRequest, EventBusHooks
from iza.kernel.store import utcnow

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = ["SERVICE", "SystemHooks"]

logger = logging.getLogger(__name__)

#: the catalog service every instant-app request is ordered as (business and agents catalogs)
SERVICE = "instant-app"
_EXECUTOR = "iza.apps (offline parser, blueprint generator, verifier; no language model)"


class SystemHooks(EventBusHooks):
    """Business order + agents mission + memory records, then the :class:`EventBusHooks` events."""

    def __init__(self, settings: Settings, store: Store) -> None:
        super().__init__(store)
        self.settings = settings
        self._order: dict[str, str] = {}
        self._mission: dict[str, str] = {}
        self._started: dict[str, datetime] = {}

    # ---- order ---------------------------------------------------------------------------
    def create_order(self, request: AppRequest) -> str | None:
        from iza.business._ledger import create_order

        super().create_order(request)
        with self.store.transaction() as session:
            order = create_order(self.store, session, service_slug=SERVICE, amount_minor=0,
                                 currency="USD", source="demo")
            order_id = order.id
        self._order[request.request_id] = order_id
        self._started[request.request_id] = utcnow()
        return order_id

    # ---- mission -------------------------------------------------------------------------
    def create_mission(self, request: AppRequest, order_id: str | None) -> str | None:
        from iza.agents import Workforce, create_mission
        from iza.business._ledger import attach_mission

        wf = Workforce.from_settings(self.settings, self.store)
        mission_id = create_mission(wf, f"Instant app (demo): {request.text}", SERVICE,
                                    order_id=order_id)
        if order_id:
            attach_mission(self.store, order_id, mission_id)
        self._mission[request.request_id] = mission_id
        _mark_running(self.store, mission_id)
        return mission_id

    # ---- memory --------------------------------------------------------------------------
    def store_memory(self, request: AppRequest, kind: str, text: str, data: dict[str, Any]) -> None:
        super().store_memory(request, kind, text, data)
        mission_id = self._mission.get(request.request_id)
        if mission_id is None:
            return
        from iza.agents import mission_namespace
        from iza.memory import MemoryRecord, open_store

        provenance = {"source": "iza.apps", "mission_id": mission_id,
                      "order_id": self._order.get(request.request_id, ""),
                      "request_id": request.request_id, "mode": request.mode}
        namespace = mission_namespace(mission_id)
        records = [MemoryRecord(namespace=namespace, text=text, kind=kind, metadata=data,
                                provenance=provenance, subject=str(data.get("slug") or ""))]
        for decision in data.get("decisions") or []:
            records.append(MemoryRecord(namespace=namespace, text=str(decision), kind="decision",
                                        provenance=provenance, subject=str(data.get("slug") or "")))
        memory = open_store(self.settings)
        try:
            memory.add(records)
        finally:
            close = getattr(memory, "close", None)
            if callable(close):
                close()

    # ---- outcome -------------------------------------------------------------------------
    def record_delivery(self, request: AppRequest, result: dict[str, Any]) -> None:
        order_id = self._order.get(request.request_id)
        mission_id = self._mission.get(request.request_id)
        delivered = result["status"] == "delivered"
        if mission_id:
            _record_steps(self.store, mission_id, self._started.get(request.request_id), result)
            _finish_mission(self.store, mission_id, result)
        if order_id:
            if delivered:
                from iza.business._ledger import deliver_order

                deliver_order(self.store, order_id, mission_id)
            else:
                from iza.business._ledger import set_order_status

                with self.store.transaction() as session:
                    set_order_status(session, order_id, "failed")
        super().record_delivery(request, result)


def _mark_running(store: Store, mission_id: str) -> None:
    import sqlalchemy as sa

    from iza.agents._models import MissionRow

    with store.transaction() as session:
        session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                        .values(state="running", started_at=utcnow()))


def _record_steps(store: Store, mission_id: str, started: datetime | None,
                  result: dict[str, Any]) -> None:
    """The steps iza.apps ran, as one objective with a task and a tool span per step."""
    import sqlalchemy as sa

    from iza.agents._missions import add_task
    from iza.agents._models import MissionRow, SpanRow, TaskRow
    from iza.agents._runner import span_id_for
    from iza.agents._workforce import Limits

    now = utcnow()
    start = started or now
    verify = [{"name": s["name"], "tool": f"apps.verify:{s['name']}", "ok": bool(s["ok"]),
               "detail": str(s.get("detail") or "")[:2000], "seconds": float(s.get("seconds") or 0)}
              for s in result.get("steps") or []]
    # Verification steps ran back to back and ended now; the spec was parsed before the order
    # existed, and generation filled the time between the mission's start and verification.
    cursor = max(start, now - timedelta(seconds=sum(v["seconds"] for v in verify)))
    steps: list[dict[str, Any]] = [
        {"name": "spec", "tool": "apps.llm_planner" if result["mode"] == "llm" else "apps.parse_request",
         "ok": True, "begin": start, "end": start,
         "detail": f"{result['blueprint']} blueprint, mode {result['mode']}"},
        {"name": "generate", "tool": "apps.generate_app", "ok": True, "begin": start, "end": cursor,
         "detail": str(result["app_dir"])}]
    for v in verify:
        end = min(now, cursor + timedelta(seconds=v["seconds"]))
        steps.append({**v, "begin": cursor, "end": end})
        cursor = end
    with store.transaction() as session:
        mission = session.get(MissionRow, mission_id)
        if mission is None:
            return
        limits = Limits.from_dict(dict(mission.limits or {}))
        root = session.scalars(sa.select(TaskRow).where(TaskRow.mission_id == mission_id,
                                                        TaskRow.parent_id.is_(None))).one()
        ok = result["status"] == "delivered"
        objective = add_task(session, mission_id, parent=root, kind="objective", tier="manager",
                             title="Build and verify the app (iza.apps)", agent_id="mgr-apps",
                             limits=limits, inputs={"executor": _EXECUTOR})
        spans: list[SpanRow] = []
        for step in steps:
            task = add_task(session, mission_id, parent=objective, kind="work", tier="worker",
                            title=f"{step['name']}: {step['tool']}", tool=step["tool"],
                            limits=limits, inputs={"step": step["name"], "executor": _EXECUTOR})
            task.state = "done" if step["ok"] else "failed"
            task.attempts = 1
            task.started_at, task.finished_at = step["begin"], step["end"]
            task.outputs = {"summary": step["detail"][:300], "ok": step["ok"]}
            task.error = None if step["ok"] else step["detail"]
            status = "ok" if step["ok"] else "error"
            spans.append(SpanRow(mission_id=mission_id, task_id=task.id,
                                 span_id=span_id_for(task.id), parent_span_id=span_id_for(objective.id),
                                 kind="agent", name=f"work: {task.title}", agent_id=None,
                                 status=status, attributes={"iza.executor": _EXECUTOR},
                                 started_at=step["begin"], ended_at=step["end"]))
            spans.append(SpanRow(mission_id=mission_id, task_id=task.id,
                                 span_id=span_id_for(f"{task.id}:tool"),
                                 parent_span_id=span_id_for(task.id), kind="tool",
                                 name=step["tool"], agent_id=None, status=status,
                                 attributes={"iza.tool.ok": step["ok"],
                                             "iza.tool.detail": step["detail"][:500]},
                                 started_at=step["begin"], ended_at=step["end"]))
        objective.state = "done" if ok else "failed"
        objective.started_at, objective.finished_at = start, now
        objective.outputs = {"summary": f"{result['status']}: {result['tests']['passed']} tests passed"}
        spans.append(SpanRow(mission_id=mission_id, task_id=objective.id,
                             span_id=span_id_for(objective.id), parent_span_id=span_id_for(root.id),
                             kind="agent", name=f"objective: {objective.title}", agent_id="mgr-apps",
                             status="ok" if ok else "error", attributes={"iza.executor": _EXECUTOR},
                             started_at=start, ended_at=now))
        session.add_all(spans)


def _finish_mission(store: Store, mission_id: str, result: dict[str, Any]) -> None:
    """Complete or fail the mission; the generic playbook tasks left pending are skipped."""
    import sqlalchemy as sa

    from iza.agents import MissionCompleted, MissionFailed
    from iza.agents._models import MissionRow, TaskRow
    from iza.kernel.events import publish

    delivered = result["status"] == "delivered"
    failed = result.get("failed_step") or {}
    error = None if delivered else f"verification step {failed.get('name', 'unknown')} failed"
    outcome = {"status": result["status"], "app_dir": result["app_dir"],
               "blueprint": result["blueprint"], "tests": result["tests"],
               "executor": _EXECUTOR}
    with store.transaction() as session:
        mission = session.get(MissionRow, mission_id)
        if mission is None:
            return
        session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                 TaskRow.state == "pending")
                        .values(state="skipped"))
        root = session.scalars(sa.select(TaskRow).where(TaskRow.mission_id == mission_id,
                                                        TaskRow.parent_id.is_(None))).one()
        root.state = "done" if delivered else "failed"
        root.started_at, root.finished_at = mission.started_at, utcnow()
        root.outputs = outcome
        mission.state = "completed" if delivered else "failed"
        mission.finished_at = utcnow()
        mission.result = outcome
        mission.error = error
        if delivered:
            publish(store, MissionCompleted(mission_id, mission.service_id, mission.mode,
                                            mission.cost_micros), session=session)
        else:
            publish(store, MissionFailed(mission_id, error or "failed"), session=session)
