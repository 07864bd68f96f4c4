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
        self,
        workflow: Workflow | str,
        *,
        items: list[dict[str, Any]] | None = None,
        mode: str = "manual",
        start: str | None = None,
        on_response: Callable[[dict[str, Any]], None] | None = None,
    ) -> tuple[int, ExecutionResult]:
        """Run a stored workflow (id/name) or a parsed one, persisting every node run.

        ``start`` names the trigger node that fired (default: n8n's start node); ``on_response``
        is told at once what a Respond to Webhook node answers, while the run goes on.
        """
        wf = workflow if isinstance(workflow, Workflow) else parse_workflow(self.get(workflow).definition)
        exec_id = self._new_execution(wf, mode, "running", os.getpid())
        execution = self._execution(wf, exec_id, mode)
        execution.on_webhook_response = on_response
        execution.start(items, start)
        self._save_state(exec_id, execution)
        return exec_id, self._finish(exec_id, execution)

    def _new_execution(self, wf: Workflow, mode: str, status: str, pid: int | None) -> int:
        with self.store.transaction() as s:
            row = ExecutionRow(
                workflow_id=wf.id,
                workflow_name=wf.name,
                definition=json_safe(wf.raw),
                mode=mode,
                status=status,
                state={},
                owner_pid=pid,
                started_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return int(row.id)

    def enqueue(
        self,
        workflow: Workflow | str,
        *,
        items: list[dict[str, Any]] | None = None,
        mode: str = "manual",
        start: str | None = None,
    ) -> int:
        """Store an execution as ``queued`` with its start task, for a worker to :meth:`run_stored`."""
        wf = workflow if isinstance(workflow, Workflow) else parse_workflow(self.get(workflow).definition)
        exec_id = self._new_execution(wf, mode, "queued", None)
        execution = Execution(wf, mode=mode, execution_id=str(exec_id))
        execution.start(items, start)
        self._save_state(exec_id, execution)
        return exec_id

    def run_stored(self, exec_id: int) -> ExecutionResult:
        """Run a ``queued`` execution (the Celery task body); a finished one is left alone."""
        return self.resume(exec_id)

    def resume(
        self,
        exec_id: int,
        *,
        force: bool = False,
        items: list[dict[str, Any]] | None = None,
        on_response: Callable[[dict[str, Any]], None] | None = None,
    ) -> ExecutionResult:
        """Continue an interrupted or waiting execution from its last completed node.

        ``items`` are what a webhook brought to a Wait node waiting for one (its output).
        """
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
            definition, state, mode, row_status = row.definition, dict(row.state), row.mode, row.status
            runs = s.scalars(
                sa.select(NodeRunRow).where(NodeRunRow.execution_id == exec_id).order_by(NodeRunRow.seq)
            ).all()
            run_data: dict[str, list[dict[str, Any]]] = {}
            for r in runs:
                if r.status != "waiting":
                    run_data.setdefault(r.node, []).append(r.run)
        with self.store.transaction() as s:
            # Compare-and-set on the status read above: of two resumers at once (a waiting
            # webhook and the scheduler, two workers), one wins and the other is told.
            result = s.execute(
                sa.update(ExecutionRow)
                .where(ExecutionRow.id == exec_id, ExecutionRow.status == row_status)
                .values(status="running", owner_pid=os.getpid(), wait_till=None)
            )
            claimed = getattr(result, "rowcount", 1)
        if not claimed:
            raise WorkflowInputError(
                f"execution {exec_id} was resumed by someone else just now",
                fix="See its state with `iza workflows executions`.",
            )
        wf = parse_workflow(definition)
        execution = self._execution(wf, exec_id, mode)
        execution.restore(run_data, state)
        execution.resume_items = items
        execution.on_webhook_response = on_response
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

    def waiting_on_webhook(self, exec_id: int) -> dict[str, Any]:
        """The Wait node an execution waits in for its webhook (name and response options)."""
        with self.store.read() as s:
            row = s.get(ExecutionRow, exec_id)
            node_name = (row.last_node or "") if row is not None else ""
            nodes = {n.get("name"): n for n in row.definition.get("nodes") or []} if row else {}
            params = dict((nodes.get(node_name) or {}).get("parameters") or {})
            if row is None or row.status != "waiting" or params.get("resume") not in ("webhook", "form"):
                state = "no such execution" if row is None else f"it is {row.status}" + (
                    " until a time, not for a webhook" if row.status == "waiting" else "")
                raise NotFoundError(
                    f"execution {exec_id} is not waiting for a webhook ({state})",
                    fix="Call the resume URL of an execution whose Wait node waits for a webhook "
                    "(see `iza workflows executions`).",
                )
        options = params.get("options") or {}
        return {"node": node_name, "responseMode": params.get("responseMode"),
                "responseCode": params.get("responseCode") or options.get("responseCode"),
                "responseData": params.get("responseData"), "httpMethod": params.get("httpMethod")}

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
    def executions(
        self, workflow: str | None = None, limit: int = 50, *, exec_id: int | None = None
    ) -> list[dict[str, Any]]:
        with self.store.read() as s:
            q = sa.select(ExecutionRow).order_by(ExecutionRow.id.desc()).limit(limit)
            if exec_id is not None:
                q = q.where(ExecutionRow.id == exec_id)
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

    def execution_detail(self, exec_id: int) -> dict[str, Any]:
        """One execution with its node runs in order: status, timing and each output's items."""
        summary = next((e for e in self.executions(limit=1, exec_id=exec_id)), None)
        if summary is None:
            raise NotFoundError(f"no execution {exec_id}", fix="See `iza workflows executions`.")
        with self.store.read() as s:
            runs = s.scalars(
                sa.select(NodeRunRow).where(NodeRunRow.execution_id == exec_id).order_by(NodeRunRow.seq)
            ).all()
            nodes = []
            for r in runs:
                main = (r.run.get("data") or {}).get("main") or []
                nodes.append({
                    "seq": r.seq, "node": r.node, "status": r.status, "ms": r.execution_ms,
                    "outputs": [[i.get("json", i) if isinstance(i, dict) else i for i in (out or [])]
                                for out in main],
                    "error": r.run.get("error"),
                })
        return {**summary, "nodes": nodes}

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
