"""The workflow service: import, run, persist and resume executions in the store.

Durability: after every node run, the node's run and the engine's scheduling state are written
in one transaction. If the process dies (kill -9), the execution row stays ``running`` with an
owner pid that no longer exists; :meth:`WorkflowService.resume` rebuilds the engine from the
stored runs and state and continues with the next node — finished nodes are not run again.
A Wait node leaves the execution ``waiting`` with ``wait_till``; :meth:`resume_due` (called
by the server's scheduler) continues it when the time has come.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from iza.errors import NotFoundError
from iza.kernel.store import utcnow
from iza.workflows._engine import Execution, ExecutionResult
from iza.workflows._errors import WorkflowInputError
from iza.workflows._model import Workflow, parse_workflow
from iza.workflows._sandbox import UNDEFINED
from iza.workflows._services import NodeServices
from iza.workflows._tables import ExecutionRow, NodeRunRow, WorkflowRow

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = ["WorkflowService", "json_safe"]

logger = logging.getLogger(__name__)


def json_safe(value: Any) -> Any:
    """Data as it can be stored in a JSON column (undefined → null, NaN/Infinity → null)."""
    if value is UNDEFINED:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkflowService:
    """Workflows and executions in the store; one instance per store."""

    def __init__(
        self, store: Store, settings: Settings | None = None, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.store = store
        self.sleep = sleep
        self.timezone = "America/New_York"
        self.code_timeout_s = 10.0
        self.code_memory_mb = 256
        self.settings = settings
        if settings is not None:
            self.timezone = settings.get_str("workflows.timezone")
            self.code_timeout_s = float(settings["workflows.code_timeout_s"])
            self.code_memory_mb = settings.get_int("workflows.code_memory_mb")

    # ---- definitions ---------------------------------------------------------------------------
    @staticmethod
    def parse(data: dict[str, Any] | str, source: str = "<workflow>") -> Workflow:
        return parse_workflow(data, source=source)

    def import_workflow(self, data: dict[str, Any] | str, *, source: str | None = None) -> str:
        wf = parse_workflow(data, source=source or "<workflow>")
        wf_id = wf.id or uuid.uuid4().hex[:16]
        raw = dict(wf.raw)
        raw["id"] = wf_id
        now = utcnow()
        with self.store.transaction() as s:
            row = s.get(WorkflowRow, wf_id)
            if row is None:
                s.add(
                    WorkflowRow(
                        id=wf_id,
                        name=wf.name,
                        active=bool(raw.get("active")),
                        definition=raw,
                        source=source,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.name, row.definition, row.source, row.updated_at = wf.name, raw, source, now
        return wf_id

    def list_workflows(self) -> list[dict[str, Any]]:
        with self.store.read() as s:
            rows = s.scalars(sa.select(WorkflowRow).order_by(WorkflowRow.name)).all()
            return [self._summary(r) for r in rows]

    @staticmethod
    def _summary(r: WorkflowRow) -> dict[str, Any]:
        nodes = r.definition.get("nodes") or []
        triggers = [
            n.get("type")
            for n in nodes
            if "trigger" in str(n.get("type", "")).lower()
            or str(n.get("type", "")).endswith((".webhook", ".cron", ".interval"))
        ]
        return {
            "id": r.id,
            "name": r.name,
            "active": r.active,
            "nodes": len(nodes),
            "triggers": triggers,
            "updated_at": r.updated_at.isoformat(),
        }

    def get(self, ref: str) -> WorkflowRow:
        with self.store.read() as s:
            row = (
                s.get(WorkflowRow, ref)
                or s.scalars(sa.select(WorkflowRow).where(WorkflowRow.name == ref)).first()
            )
            if row is None:
                raise NotFoundError(
                    f"no workflow with id or name {ref!r}",
                    fix="List workflows with `iza workflows list`, or import one first.",
                )
            s.expunge(row)
            return row

    def set_active(self, ref: str, active: bool) -> None:
        wf_id = self.get(ref).id
        with self.store.transaction() as s:
            row = s.get(WorkflowRow, wf_id)
            assert row is not None
            row.active = active
            row.updated_at = utcnow()

    # ---- runs ---------------------------------------------------------------------------------------
    def run(
        self, workflow: Workflow | str, *, items: list[dict[str, Any]] | None = None, mode: str = "manual"
    ) -> tuple[int, ExecutionResult]:
        """Run a stored workflow (id/name) or a parsed one, persisting every node run."""
        wf = workflow if isinstance(workflow, Workflow) else parse_workflow(self.get(workflow).definition)
        with self.store.transaction() as s:
            row = ExecutionRow(
                workflow_id=wf.id,
                workflow_name=wf.name,
                definition=json_safe(wf.raw),
                mode=mode,
                status="running",
                state={},
                owner_pid=os.getpid(),
                started_at=utcnow(),
            )
            s.add(row)
            s.flush()
            exec_id = row.id
        execution = self._execution(wf, exec_id, mode)
        execution.start(items)
        self._save_state(exec_id, execution)
        return exec_id, self._finish(exec_id, execution)

    def resume(self, exec_id: int, *, force: bool = False) -> ExecutionResult:
        """Continue an interrupted or waiting execution from its last completed node."""
        with self.store.read() as s:
            row = s.get(ExecutionRow, exec_id)
            if row is None:
                raise NotFoundError(f"no execution {exec_id}", fix="See `iza workflows executions`.")
            if row.status in ("success", "error"):
                raise WorkflowInputError(
                    f"execution {exec_id} already finished ({row.status})", fix="Start a new run instead."
                )
            if (
                row.status == "running"
                and _pid_alive(row.owner_pid)
                and row.owner_pid != os.getpid()
                and not force
            ):
                raise WorkflowInputError(
                    f"execution {exec_id} is still running in process {row.owner_pid}",
                    fix="Wait for it to finish, or stop that process first.",
                )
            definition, state, mode = row.definition, dict(row.state), row.mode
            runs = s.scalars(
                sa.select(NodeRunRow).where(NodeRunRow.execution_id == exec_id).order_by(NodeRunRow.seq)
            ).all()
            run_data: dict[str, list[dict[str, Any]]] = {}
            for r in runs:
                if r.status != "waiting":
                    run_data.setdefault(r.node, []).append(r.run)
        with self.store.transaction() as s:
            live = s.get(ExecutionRow, exec_id)
            assert live is not None
            live.status, live.owner_pid, live.wait_till = "running", os.getpid(), None
        wf = parse_workflow(definition)
        execution = self._execution(wf, exec_id, mode)
        execution.restore(run_data, state)
        return self._finish(exec_id, execution)

    def resume_due(self, now: datetime | None = None) -> list[int]:
        """Resume waiting executions whose time has come (the server's scheduler calls this)."""
        now = now or utcnow()
        with self.store.read() as s:
            ids = list(
                s.scalars(
                    sa.select(ExecutionRow.id).where(
                        ExecutionRow.status == "waiting",
                        ExecutionRow.wait_till.is_not(None),
                        ExecutionRow.wait_till <= now,
                    )
                ).all()
            )
        for exec_id in ids:
            self.resume(exec_id)
        return ids

    def recover(self) -> list[int]:
        """Resume executions left ``running`` by a process that died."""
        with self.store.read() as s:
            rows = s.execute(
                sa.select(ExecutionRow.id, ExecutionRow.owner_pid).where(ExecutionRow.status == "running")
            ).all()
        done = []
        for exec_id, pid in rows:
            if not _pid_alive(pid):
                self.resume(exec_id)
                done.append(exec_id)
        return done

    def _execution(self, wf: Workflow, exec_id: int, mode: str) -> Execution:
        return Execution(
            wf,
            mode=mode,
            timezone=self.timezone,
            execution_id=str(exec_id),
            code_timeout_s=self.code_timeout_s,
            code_memory_mb=self.code_memory_mb,
            on_node_done=lambda ex, node, run: self._node_done(exec_id, ex, node, run),
            sleep=self.sleep,
            services=NodeServices(self.settings, self.store) if self.settings is not None else None,
        )

    def _node_done(self, exec_id: int, execution: Execution, node: str, run: dict[str, Any]) -> None:
        with self.store.transaction() as s:
            seq = (
                s.scalar(
                    sa.select(sa.func.count())
                    .select_from(NodeRunRow)
                    .where(NodeRunRow.execution_id == exec_id)
                )
                or 0
            )
            s.add(
                NodeRunRow(
                    execution_id=exec_id,
                    seq=seq,
                    node=node,
                    status=str(run.get("executionStatus", "success")),
                    execution_ms=int(run.get("executionTime", 0)),
                    run=json_safe(run),
                    created_at=utcnow(),
                )
            )
            row = s.get(ExecutionRow, exec_id)
            assert row is not None
            row.state = json_safe(execution.state())
            row.last_node = node

    def _save_state(self, exec_id: int, execution: Execution) -> None:
        with self.store.transaction() as s:
            row = s.get(ExecutionRow, exec_id)
            assert row is not None
            row.state = json_safe(execution.state())

    def _finish(self, exec_id: int, execution: Execution) -> ExecutionResult:
        try:
            result = execution.run()
        finally:
            if execution.services is not None:
                execution.services.close()  # memory handles opened by IZA/AI nodes
        with self.store.transaction() as s:
            row = s.get(ExecutionRow, exec_id)
            assert row is not None
            row.status = result.status
            row.state = json_safe(execution.state())
            row.error = json_safe(result.error) if result.error else None
            row.last_node = result.last_node
            if result.status == "waiting":
                row.wait_till = datetime.fromtimestamp(result.wait_till, UTC) if result.wait_till else None
            else:
                row.finished_at = utcnow()
        return result

    # ---- history --------------------------------------------------------------------------------------
    def executions(self, workflow: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        with self.store.read() as s:
            q = sa.select(ExecutionRow).order_by(ExecutionRow.id.desc()).limit(limit)
            if workflow:
                wf_id = self.get(workflow).id
                q = q.where(ExecutionRow.workflow_id == wf_id)
            out = []
            for r in s.scalars(q).all():
                secs = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
                out.append(
                    {
                        "id": r.id,
                        "workflow_id": r.workflow_id,
                        "workflow": r.workflow_name,
                        "mode": r.mode,
                        "status": r.status,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "seconds": secs,
                        "last_node": r.last_node,
                        "error": (r.error or {}).get("message") if r.error else None,
                        "wait_till": r.wait_till.isoformat() if r.wait_till else None,
                    }
                )
            return out

    def execution_output(self, exec_id: int) -> dict[str, Any]:
        """A stored execution in n8n's ``--rawOutput`` shape."""
        with self.store.read() as s:
            row = s.get(ExecutionRow, exec_id)
            if row is None:
                raise NotFoundError(f"no execution {exec_id}", fix="See `iza workflows executions`.")
            runs = s.scalars(
                sa.select(NodeRunRow).where(NodeRunRow.execution_id == exec_id).order_by(NodeRunRow.seq)
            ).all()
            run_data: dict[str, list[dict[str, Any]]] = {}
            for r in runs:
                if r.status != "waiting":
                    run_data.setdefault(r.node, []).append(r.run)
            result = ExecutionResult(row.status, run_data, row.last_node, error=row.error)
            return dict(json.loads(json.dumps(result.raw_output(), default=str)))
