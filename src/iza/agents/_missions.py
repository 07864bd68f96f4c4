"""Missions as records: creating the task tree, reading it back, cancelling, approving.

A mission row plus its task tree is the whole truth about a mission: the runner
(:mod:`iza.agents._runner`) only moves tasks between states and fills in outputs, each move in
its own transaction, so a crash at any point leaves a tree that ``resume`` can continue — tasks
that are ``done`` stay done.

Task states: ``pending`` → ``running`` → ``done`` | ``failed``; ``awaiting_approval`` for a
step a person must approve; ``cancelled``/``skipped`` when the mission stops early.
Mission states: ``pending``, ``running``, ``awaiting_approval``, ``completed``, ``failed``,
``cancelled``, ``rejected``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from iza.agents._catalog import ServiceSpec
from iza.agents._errors import LimitExceeded, MissionNotFound, MissionStateError, ModelRequired
from iza.agents._events import MissionCancelled, MissionCreated
from iza.agents._matcher import match_service
from iza.agents._models import AssignmentRow, MissionRow, TaskRow
from iza.agents._workforce import Limits, Workforce
from iza.errors import InputError
from iza.kernel.events import publish
from iza.kernel.store import Store, utcnow

__all__ = [
    "FINAL_STATES",
    "add_task",
    "cancel_mission",
    "create_mission",
    "decide_approval",
    "get_mission",
    "list_missions",
    "mission_view",
    "render_args",
]

FINAL_STATES = frozenset({"completed", "failed", "cancelled", "rejected"})
_PLACEHOLDER = re.compile(r"\{(request|mission_id|service)\}")


def render_args(value: Any, values: dict[str, str]) -> Any:
    """Fill ``{request}``, ``{mission_id}`` and ``{service}`` in playbook arguments (``{{`` escapes)."""
    if isinstance(value, str):
        out = _PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
        return out.replace("{{", "{").replace("}}", "}")
    if isinstance(value, dict):
        return {k: render_args(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render_args(v, values) for v in value]
    return value


def add_task(
    session: Session, mission_id: str, *, parent: TaskRow | None, kind: str, tier: str, title: str,
    limits: Limits, agent_id: str | None = None, skill: str | None = None, tool: str | None = None,
    inputs: dict[str, Any] | None = None,
) -> TaskRow:
    """Append a task to the tree; refuses to go deeper than ``limits.max_depth``."""
    depth = 0 if parent is None else parent.depth + 1
    if depth > limits.max_depth:
        raise LimitExceeded("max_depth", f"task {title!r} would be at depth {depth}, deeper than "
                            f"the limit of {limits.max_depth}")
    last = session.scalar(sa.select(sa.func.max(TaskRow.seq)).where(TaskRow.mission_id == mission_id))
    seq = 0 if last is None else last + 1
    row = TaskRow(
        id=f"{mission_id}.{seq}", mission_id=mission_id, parent_id=parent.id if parent else None,
        seq=seq, depth=depth, kind=kind, tier=tier, title=title, skill=skill, tool=tool,
        agent_id=agent_id, state="pending", attempts=0, inputs=inputs or {}, outputs=None,
        cost_micros=0, tokens_in=0, tokens_out=0, created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def _playbook_tree(session: Session, wf: Workforce, mission: MissionRow, root: TaskRow,
                   service: ServiceSpec) -> None:
    values = {"request": mission.request, "mission_id": mission.id, "service": service.name}
    for objective in service.playbook:
        obj = add_task(session, mission.id, parent=root, kind="objective", tier="manager",
                       title=objective.title, agent_id=objective.manager, limits=wf.limits)
        for step in objective.steps:
            add_task(session, mission.id, parent=obj, kind="work", tier="worker", title=step.title,
                     skill=step.skill, tool=step.tool, limits=wf.limits,
                     inputs={"step": step.id, "args": render_args(step.args, values),
                             "approval": step.approval})
        add_task(session, mission.id, parent=obj, kind="review", tier="manager",
                 title=f"Review: {objective.title}", agent_id=objective.manager, limits=wf.limits)
    add_task(session, mission.id, parent=root, kind="synthesis", tier="strategist",
             title=f"Deliver: {service.name}", agent_id=service.strategist, limits=wf.limits)


def create_mission(wf: Workforce, request: str, service_id: str | None = None, *,
                   order_id: str | None = None) -> str:
    """Record a mission for ``request`` and its initial task tree; returns the mission id.

    Offline (no model) the whole tree comes from the service's playbook now; with a model only
    the root exists and the strategist plans the rest when the mission runs. ``order_id`` links
    the mission to the business order it delivers (model calls are attributed to it).
    """
    request = request.strip()
    if not request:
        raise InputError("the request is empty", fix="describe what the customer wants, in words")
    match = match_service(request, wf.catalog, service_id)
    service = match.service
    if wf.model is None and service.requires_model:
        raise ModelRequired(
            f"service {service.id!r} ({service.name}) needs a language model and none is "
            "configured; there is no honest offline version of it",
            fix="configure an LLM provider (e.g. OPENAI_API_KEY or llm.openai_compat_base_url), "
            "or choose a service with an offline playbook: "
            + ", ".join(s.id for s in wf.catalog.services if not s.requires_model),
        )
    mission_id = "m-" + uuid.uuid4().hex[:10]
    workspace = wf.workspace(mission_id)
    with wf.store.transaction() as session:
        mission = MissionRow(
            id=mission_id, request=request, service_id=service.id, mode=wf.mode, state="pending",
            strategist_id=service.strategist, match_reason=match.reason, limits=wf.limits.as_dict(),
            workspace=str(workspace), cost_micros=0, tokens_in=0, tokens_out=0, created_at=utcnow(),
            order_id=order_id or None,
        )
        session.add(mission)
        session.flush()
        root = add_task(session, mission_id, parent=None, kind="mission", tier="strategist",
                        title=f"{service.name}: {request[:80]}", agent_id=service.strategist,
                        limits=wf.limits, inputs={"request": request, "service": service.id})
        if wf.model is None:
            _playbook_tree(session, wf, mission, root, service)
        publish(wf.store, MissionCreated(mission_id, service.id, wf.mode), session=session)
    workspace.mkdir(parents=True, exist_ok=True)
    return mission_id


def get_mission(store: Store, mission_id: str) -> MissionRow:
    with store.read() as session:
        row = session.get(MissionRow, mission_id)
    if row is None:
        raise MissionNotFound(f"no mission {mission_id!r}", fix="`iza missions list` shows mission ids")
    return row


def _mission_dict(m: MissionRow) -> dict[str, Any]:
    return {
        "id": m.id, "request": m.request, "service": m.service_id, "mode": m.mode, "state": m.state,
        "strategist": m.strategist_id, "match_reason": m.match_reason, "limits": m.limits,
        "workspace": m.workspace, "result": m.result, "error": m.error,
        "cost_micros": m.cost_micros, "tokens_in": m.tokens_in, "tokens_out": m.tokens_out,
        "order_id": m.order_id, "created_at": m.created_at, "started_at": m.started_at,
        "finished_at": m.finished_at,
    }


def _task_dict(t: TaskRow) -> dict[str, Any]:
    return {
        "id": t.id, "parent": t.parent_id, "depth": t.depth, "kind": t.kind, "tier": t.tier,
        "title": t.title, "skill": t.skill, "tool": t.tool, "agent": t.agent_id, "state": t.state,
        "attempts": t.attempts, "inputs": t.inputs, "outputs": t.outputs, "error": t.error,
        "approval": t.approval, "cost_micros": t.cost_micros, "tokens_in": t.tokens_in,
        "tokens_out": t.tokens_out, "started_at": t.started_at, "finished_at": t.finished_at,
        "duration_s": (t.finished_at - t.started_at).total_seconds()
        if t.started_at and t.finished_at else None,
    }


def list_missions(store: Store, *, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    stmt = sa.select(MissionRow).order_by(MissionRow.created_at.desc()).limit(limit)
    if state:
        stmt = stmt.where(MissionRow.state == state)
    with store.read() as session:
        return [_mission_dict(m) for m in session.scalars(stmt).all()]


def mission_view(store: Store, mission_id: str) -> dict[str, Any]:
    """The mission with its task tree (in tree order) and the assignment records."""
    mission = get_mission(store, mission_id)
    with store.read() as session:
        tasks = session.scalars(sa.select(TaskRow).where(TaskRow.mission_id == mission_id)
                                .order_by(TaskRow.seq)).all()
        assigns = session.scalars(sa.select(AssignmentRow).where(AssignmentRow.mission_id == mission_id)
                                  .order_by(AssignmentRow.id)).all()
    view = _mission_dict(mission)
    view["tasks"] = [_task_dict(t) for t in tasks]
    view["assignments"] = [{"task": a.task_id, "agent": a.agent_id, "reason": a.reason,
                            "scores": a.scores} for a in assigns]
    return view


def cancel_mission(store: Store, mission_id: str, reason: str = "cancelled by the user") -> None:
    mission = get_mission(store, mission_id)
    if mission.state in FINAL_STATES:
        raise MissionStateError(f"mission {mission_id} is already {mission.state}",
                                fix="only pending, running or paused missions can be cancelled")
    with store.transaction() as session:
        session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                        .values(state="cancelled", error=reason, finished_at=utcnow()))
        session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                 TaskRow.state.in_(("pending", "awaiting_approval")))
                        .values(state="cancelled"))
        publish(store, MissionCancelled(mission_id, reason), session=session)


def decide_approval(store: Store, mission_id: str, approve: bool, note: str = "") -> str:
    """Approve or reject the step a paused mission waits on; returns the task id."""
    mission = get_mission(store, mission_id)
    if mission.state != "awaiting_approval":
        raise MissionStateError(f"mission {mission_id} is {mission.state}, not awaiting approval",
                                fix="`iza missions list --state awaiting_approval` shows paused missions")
    with store.transaction() as session:
        task = session.scalars(sa.select(TaskRow).where(TaskRow.mission_id == mission_id,
                                                        TaskRow.state == "awaiting_approval")).first()
        if task is None:
            raise MissionStateError(f"mission {mission_id} has no step awaiting approval")
        decision = "approved" if approve else "rejected"
        task.approval = decision + (f": {note}" if note else "")
        if approve:
            task.state = "pending"
            session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                            .values(state="pending"))
        else:
            task.state = "cancelled"
            reason = f"step {task.id} rejected" + (f": {note}" if note else "")
            session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                            .values(state="rejected", error=reason, finished_at=utcnow()))
            session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                     TaskRow.state == "pending")
                            .values(state="cancelled"))
            publish(store, MissionCancelled(mission_id, reason), session=session)
        return task.id
