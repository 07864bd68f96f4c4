"""Running a mission: walking the task tree, each state change in its own transaction.

The walk is the same for both modes: the mission task runs its children in order, an
objective delegates its work items (recording why each worker was chosen) then runs them and its
review, the synthesis closes the mission. Only how a step is *done* differs: offline, a work
item calls the playbook's tool with the playbook's arguments and reviews are deterministic
checks; with a model, :mod:`iza.agents._llm_steps` plans, breaks down, works and reviews.

Resume is the same walk again: ``done`` tasks return their stored outputs without running, a
task left ``running`` by a crash runs again, and model answers already paid for are replayed
from the journal. Before every task the runner re-reads the mission (a ``cancel`` from another
process stops it) and checks the wall clock.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from iza.agents._assign import assign
from iza.agents._errors import LimitExceeded, MissionStateError
from iza.agents._events import MissionAwaitingApproval, MissionCompleted, MissionFailed, MissionResumed
from iza.agents._memory import mission_namespace
from iza.agents._missions import FINAL_STATES, get_mission, mission_view
from iza.agents._models import JournalRow, MissionRow, SpanRow, TaskRow
from iza.agents._ports import MemoryRecord
from iza.agents._tools import ToolContext, ToolResult
from iza.agents._workforce import Limits, Workforce
from iza.errors import IzaError, RuntimeFailure
from iza.kernel.events import publish
from iza.kernel.store import utcnow

__all__ = ["Run", "run_mission", "span_id_for"]

logger = logging.getLogger(__name__)


class _Stop(Exception):
    """The mission stops without failing (paused for approval, or cancelled)."""


def span_id_for(key: str) -> str:
    """Stable span ids derived from mission/task ids, so children can name their parent."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Run:
    """One pass over one mission's tree (see the module docstring)."""

    def __init__(self, wf: Workforce, mission: MissionRow) -> None:
        self.wf = wf
        self.mission_id = mission.id
        self.request = mission.request
        self.mode = mission.mode
        self.service = wf.catalog.get(mission.service_id)
        self.limits = Limits.from_dict(mission.limits)
        self.started_at: datetime = mission.started_at or utcnow()
        self.workspace = mission.workspace

    # ---- persistence helpers ------------------------------------------------------------
    def reload(self, task_id: str) -> TaskRow:
        with self.wf.store.read() as session:
            row = session.get(TaskRow, task_id)
        assert row is not None, task_id
        return row

    def children(self, task: TaskRow) -> list[TaskRow]:
        with self.wf.store.read() as session:
            return list(session.scalars(sa.select(TaskRow).where(TaskRow.parent_id == task.id)
                                        .order_by(TaskRow.seq)).all())

    def update_task(self, task_id: str, **values: Any) -> None:
        with self.wf.store.transaction() as session:
            session.execute(sa.update(TaskRow).where(TaskRow.id == task_id).values(**values))

    def start(self, task: TaskRow) -> TaskRow:
        if task.state == "running":  # resumed (after a crash) or re-entered container
            return task
        self.update_task(task.id, state="running", attempts=task.attempts + 1, started_at=utcnow(),
                         error=None)
        return self.reload(task.id)

    def finish(self, task: TaskRow, outputs: dict[str, Any], status: str = "ok") -> dict[str, Any]:
        now = utcnow()
        self.update_task(task.id, state="done", outputs=outputs, finished_at=now)
        self.span("agent", f"{task.kind}: {task.title}", task, task.agent_id,
                  task.started_at or now, now, status, {"iza.task.kind": task.kind,
                                                       "iza.task.attempts": task.attempts})
        return outputs

    def fail(self, task: TaskRow, error: str) -> None:
        now = utcnow()
        self.update_task(task.id, state="failed", error=error, finished_at=now)
        self.span("agent", f"{task.kind}: {task.title}", task, task.agent_id,
                  task.started_at or now, now, "error", {"iza.error": error})

    def span(self, kind: str, name: str, task: TaskRow | None, agent_id: str | None,
             start: datetime, end: datetime, status: str, attrs: dict[str, Any]) -> None:
        if kind == "agent" and task is not None:
            sid = span_id_for(task.id)
            parent = span_id_for(task.parent_id or self.mission_id)
        else:
            sid = uuid.uuid4().hex[:16]
            parent = span_id_for(task.id) if task is not None else span_id_for(self.mission_id)
        with self.wf.store.transaction() as session:
            session.add(SpanRow(mission_id=self.mission_id, task_id=task.id if task else None,
                                span_id=sid, parent_span_id=parent, kind=kind, name=name,
                                agent_id=agent_id, status=status, attributes=attrs,
                                started_at=start, ended_at=end))

    # ---- guards -------------------------------------------------------------------------
    def check(self) -> None:
        """Stop if the mission was cancelled elsewhere or the wall clock ran out."""
        state = get_mission(self.wf.store, self.mission_id).state
        if state in ("cancelled", "rejected"):
            raise _Stop(state)
        deadline = self.started_at + timedelta(seconds=self.limits.wall_clock_seconds)
        if self.wf.clock() > deadline:
            raise LimitExceeded("wall_clock_seconds", f"mission {self.mission_id} ran past its "
                                f"wall-clock limit of {self.limits.wall_clock_seconds}s")

    def pause_for_approval(self, task: TaskRow, reason: str) -> None:
        with self.wf.store.transaction() as session:
            session.execute(sa.update(TaskRow).where(TaskRow.id == task.id)
                            .values(state="awaiting_approval", error=None))
            session.execute(sa.update(MissionRow).where(MissionRow.id == self.mission_id)
                            .values(state="awaiting_approval"))
            publish(self.wf.store, MissionAwaitingApproval(self.mission_id, task.id, reason),
                    session=session)
        raise _Stop("awaiting_approval")

    # ---- the walk -----------------------------------------------------------------------
    def task(self, task: TaskRow) -> dict[str, Any]:
        if task.state == "done":
            return task.outputs or {}
        self.check()
        handler = {"mission": self.container, "objective": self.objective, "work": self.work,
                   "review": self.review, "synthesis": self.synthesis}[task.kind]
        return handler(task)

    def container(self, task: TaskRow) -> dict[str, Any]:
        task = self.start(task)
        if self.mode == "llm" and not (task.outputs or {}).get("plan"):
            from iza.agents._llm_steps import plan

            plan(self, task)
        outputs: dict[str, Any] = dict(task.outputs or {})
        for child in self.children(task):
            outputs[child.id] = self.task(child).get("summary", "done")
        return self.finish(self.reload(task.id), outputs)

    def objective(self, task: TaskRow) -> dict[str, Any]:
        task = self.start(task)
        if self.mode == "llm" and not (task.outputs or {}).get("items"):
            from iza.agents._llm_steps import breakdown

            breakdown(self, task)
        self.delegate(task)
        outputs = dict(self.reload(task.id).outputs or {})
        children = self.children(task)
        self.run_items([c for c in children if c.kind == "work"])
        for child in children:
            if child.kind != "work":
                self.task(child)
        outputs["summary"] = f"{task.title}: done"
        return self.finish(self.reload(task.id), outputs)

    def run_items(self, items: list[TaskRow]) -> None:
        """Run an objective's work items: in order, or ``parallel_items`` at a time in threads.

        In parallel every item runs to its end even if a sibling fails or pauses; then the first
        problem (in item order) is raised. Budget checks are per call, so in parallel the
        mission may overshoot its budget by the calls already in flight.
        """
        if self.limits.parallel_items <= 1 or len(items) <= 1:
            for item in items:
                self.task(item)
            return
        from concurrent.futures import ThreadPoolExecutor

        workers = min(self.limits.parallel_items, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"iza-{self.mission_id}") as pool:
            futures = [pool.submit(self.task, item) for item in items]
        problems = [f.exception() for f in futures if f.exception() is not None]
        if problems:
            raise problems[0]  # type: ignore[misc]

    def delegate(self, objective: TaskRow) -> None:
        """Assign every unassigned work item now, so queues reflect the whole objective.

        The manager's own team is tried first; if none of its members has the skill and room,
        any worker with the skill may take it. Items nobody has room for stay unassigned and
        are placed when they are due to run (back-pressure).
        """
        for child in self.children(objective):
            if child.kind == "work" and child.agent_id is None and child.skill:
                team, everyone = self.candidates(child, objective.agent_id)
                if not (team and assign(self.wf.store, child.id, child.skill, team,
                                        max_queue=self.limits.max_queue)):
                    assign(self.wf.store, child.id, child.skill, everyone,
                           max_queue=self.limits.max_queue)

    def candidates(self, task: TaskRow, manager: str | None) -> tuple[list[Any], list[Any]]:
        everyone = self.wf.roster.with_skill(task.skill or "", task.tool)
        return [a for a in everyone if manager and a.reports_to == manager], everyone

    def work(self, task: TaskRow) -> dict[str, Any]:
        if task.agent_id is None:
            _, everyone = self.candidates(task, None)
            assign(self.wf.store, task.id, task.skill or "", everyone,
                   max_queue=self.limits.max_queue, wait=True, check=self.check)
            task = self.reload(task.id)
        if self.mode == "llm":
            from iza.agents._llm_steps import work

            return work(self, task)
        reason = task.inputs.get("approval") or self.approval_needed(task.tool or "",
                                                                     task.inputs.get("args", {}))
        if reason and not (task.approval or "").startswith("approved"):
            self.pause_for_approval(task, reason)
        while True:
            task = self.start(self.reload(task.id)) if task.state != "running" else task
            result = self.call_tool(task, task.tool or "", task.inputs.get("args", {}))
            if result.ok:
                self.remember(task, f"{task.title}: done with {task.tool}", {"result": result.output})
                return self.finish(task, {"tool": task.tool, "result": result.output,
                                          "summary": f"{task.title}: done"})
            if task.attempts >= self.limits.max_attempts:
                self.fail(task, result.error or "tool failed")
                raise RuntimeFailure(f"task {task.id} ({task.title}) failed after {task.attempts} "
                                     f"attempt(s): {result.error}",
                                     fix=f"`iza missions show {self.mission_id}` has the details; "
                                     f"fix the cause, then `iza missions resume {self.mission_id}`")
            self.update_task(task.id, state="pending", error=result.error)
            task = self.reload(task.id)

    def approval_needed(self, name: str, args: Any) -> str | None:
        """Why calling ``name`` with ``args`` needs a person first, or ``None``.

        A tool may always need approval (sending email, publishing), and any call that spends
        more than ``approval_above_minor`` (an ``amount_minor`` argument) needs it too.
        """
        tool = self.wf.tools.get(name)
        if tool is not None and tool.approval:
            return f"{name}: {tool.approval}"
        amount = args.get("amount_minor") if isinstance(args, dict) else None
        if isinstance(amount, int) and amount > self.wf.approval_above_minor:
            return (f"{name}: spends {amount} (minor units), above the approval threshold of "
                    f"{self.wf.approval_above_minor}")
        return None

    def call_tool(self, task: TaskRow, name: str, args: Any) -> ToolResult:
        agent = self.wf.roster.get(task.agent_id or "")
        ctx = ToolContext(self.mission_id, task.id, agent.id, self.workspace_path(),
                          self.wf.memory, self.wf.http_allowlist, self.wf.http_timeout)
        start = utcnow()
        result = self.wf.tools.call(name, ctx, args, agent.tools)
        self.span("tool", name, task, agent.id, start, utcnow(), "ok" if result.ok else "error",
                  {"iza.tool.name": name, "iza.tool.error": result.error or ""})
        return result

    def workspace_path(self) -> Any:
        from pathlib import Path

        path = Path(self.workspace)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remember(self, task: TaskRow, text: str, data: dict[str, Any]) -> None:
        self.wf.memory.add(MemoryRecord(mission_namespace(self.mission_id), text, "result",
                                        self.mission_id, task.agent_id, task.id, data))

    def review(self, task: TaskRow) -> dict[str, Any]:
        task = self.start(task)
        if self.mode == "llm":
            from iza.agents._llm_steps import review

            return review(self, task)
        siblings = [c for c in self.children(self.reload(task.parent_id or "")) if c.kind == "work"]
        done = [c.id for c in siblings if c.state == "done"]
        outputs = {"approved": len(done) == len(siblings), "checked": len(siblings),
                   "summary": f"{len(done)}/{len(siblings)} work items verified done",
                   "method": "offline check: every work item finished and recorded its result"}
        return self.finish(task, outputs)

    def synthesis(self, task: TaskRow) -> dict[str, Any]:
        task = self.start(task)
        if self.mode == "llm":
            from iza.agents._llm_steps import synthesis

            return synthesis(self, task)
        root = self.workspace_path()
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        outputs = {"summary": f"{self.service.name} delivered from the offline playbook",
                   "deliverables": files, "mode": "offline-playbook"}
        return self.finish(task, outputs)


def _begin(wf: Workforce, mission_id: str) -> MissionRow:
    mission = get_mission(wf.store, mission_id)
    if mission.state in FINAL_STATES and mission.state != "failed":
        raise MissionStateError(f"mission {mission_id} is {mission.state}; nothing to run",
                                fix="start a new mission with `iza missions run`")
    if mission.state == "awaiting_approval":
        raise MissionStateError(f"mission {mission_id} is waiting for approval",
                                fix=f"`iza missions approve {mission_id}` or `reject {mission_id}`")
    if mission.state == "running" and mission.runner_pid not in (None, os.getpid()) \
            and _pid_alive(int(mission.runner_pid or 0)):
        raise MissionStateError(f"mission {mission_id} is running in process {mission.runner_pid}",
                                fix="wait for it, or cancel it with `iza missions cancel`")
    if mission.mode == "llm" and wf.model is None:
        raise MissionStateError(f"mission {mission_id} was planned by a model and none is configured",
                                fix="configure the LLM provider it used, then resume")
    resumed = mission.started_at is not None
    with wf.store.transaction() as session:
        failed = session.scalars(sa.select(TaskRow.id).where(TaskRow.mission_id == mission_id,
                                                             TaskRow.state == "failed")).all()
        for task_id in failed:  # a failed task asks the model afresh instead of replaying
            session.execute(sa.delete(JournalRow).where(JournalRow.key.like(f"{task_id}:%")))
        session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                 TaskRow.state.in_(("failed", "skipped")))
                        .values(state="pending"))
        # A work item left running by a crash did not finish: it runs again as a new attempt.
        # Containers (mission, objective) stay running and are re-entered.
        session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                 TaskRow.state == "running",
                                                 TaskRow.kind.in_(("work", "review", "synthesis")))
                        .values(state="pending"))
        session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id).values(
            state="running", runner_pid=os.getpid(), error=None, finished_at=None,
            started_at=mission.started_at or utcnow()))
        if resumed:
            publish(wf.store, MissionResumed(mission_id), session=session)
    return get_mission(wf.store, mission_id)


def _end(wf: Workforce, mission_id: str, state: str, **values: Any) -> None:
    with wf.store.transaction() as session:
        session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                        .values(state=state, runner_pid=None, finished_at=utcnow(), **values))
        if state == "failed":
            session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                     TaskRow.state == "pending")
                            .values(state="skipped"))
            # the task that was running when the mission failed (and its parents) failed too
            session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                     TaskRow.state == "running")
                            .values(state="failed", error=values.get("error"),
                                    finished_at=utcnow()))


def run_mission(wf: Workforce, mission_id: str) -> dict[str, Any]:
    """Run (or resume) a mission until it completes, fails, pauses or is cancelled."""
    mission = _begin(wf, mission_id)
    run = Run(wf, mission)
    with wf.store.read() as session:
        root = session.scalars(sa.select(TaskRow).where(TaskRow.mission_id == mission_id,
                                                        TaskRow.parent_id.is_(None))).one()
    try:
        run.task(root)
    except _Stop as stop:
        logger.info("mission %s stopped: %s", mission_id, stop)
        with wf.store.transaction() as session:
            session.execute(sa.update(MissionRow).where(MissionRow.id == mission_id)
                            .values(runner_pid=None))
            if str(stop) in ("cancelled", "rejected"):
                session.execute(sa.update(TaskRow).where(TaskRow.mission_id == mission_id,
                                                         TaskRow.state == "running")
                                .values(state="cancelled", finished_at=utcnow()))
        return mission_view(wf.store, mission_id)
    except IzaError as exc:
        limit = getattr(exc, "limit", None)
        message = f"{limit}: {exc.message}" if limit else exc.message
        _end(wf, mission_id, "failed", error=message)
        publish(wf.store, MissionFailed(mission_id, message))
        return mission_view(wf.store, mission_id)
    synth = [t for t in run.children(root) if t.kind == "synthesis"]
    result = synth[-1].outputs if synth else {}
    _end(wf, mission_id, "completed", result=result)
    final = get_mission(wf.store, mission_id)
    publish(wf.store, MissionCompleted(mission_id, final.service_id, final.mode, final.cost_micros))
    return mission_view(wf.store, mission_id)
