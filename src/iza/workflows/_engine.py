"""The execution loop: n8n's scheduling (v0 breadth-first, v1 depth-first) over a node graph.

State lives in plain JSON-able structures (``run_data``, ``stack``, ``waiting``) so that a
checkpoint after every node is a row write and a killed execution resumes from exactly there:
finished nodes are never re-run, because their output is already in ``run_data`` and the stack
says what is left. A node's run is recorded in n8n's ``runData`` shape.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iza.workflows._context import NodeContext
from iza.workflows._errors import NodeError, UnsupportedNode, WorkflowError
from iza.workflows._model import Node, Workflow
from iza.workflows._sandbox import JsSandbox, fast_copy, sandbox
from iza.workflows._schedule import (
    child_nodes,
    declared_inputs,
    enqueue_children,
    is_trigger,
    release_waiting,
)
from iza.workflows.nodes._registry import lookup

if TYPE_CHECKING:
    from iza.workflows._services import NodeServices

__all__ = ["Execution", "ExecutionResult", "WaitRequested"]

logger = logging.getLogger(__name__)

Item = dict[str, Any]


class WaitRequested(Exception):  # noqa: N818  (control flow, not an error)
    """Raised by the Wait node: stop here and resume at ``resume_at`` (epoch s) or on a webhook."""

    def __init__(self, outputs: list[list[Item]], resume_at: float | None, webhook: bool = False) -> None:
        super().__init__("waiting")
        self.outputs = outputs
        self.resume_at = resume_at
        self.webhook = webhook


@dataclass
class ExecutionResult:
    status: str  # success | error | waiting
    run_data: dict[str, list[dict[str, Any]]]
    last_node: str | None
    error: dict[str, Any] | None = None
    wait_till: float | None = None

    def raw_output(self) -> dict[str, Any]:
        """n8n's ``execute --rawOutput`` shape."""
        result: dict[str, Any] = {"runData": self.run_data, "lastNodeExecuted": self.last_node}
        if self.error:
            result["error"] = self.error
        out: dict[str, Any] = {"status": self.status, "data": {"resultData": result}}
        if self.wait_till is not None:
            out["waitTill"] = self.wait_till
        return out


Hook = Callable[["Execution", str, dict[str, Any]], None]


@dataclass
class Execution:
    workflow: Workflow
    mode: str = "manual"
    timezone: str = "America/New_York"
    execution_id: str = "1"
    code_timeout_s: float = 10.0
    code_memory_mb: int = 512
    use_pin_data: bool = False
    on_node_done: Hook | None = None
    run_data: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stack: list[dict[str, Any]] = field(default_factory=list)
    waiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_node: str | None = None
    custom_data: dict[str, Any] = field(default_factory=dict)
    #: Per-node state that survives between runs of a node (Loop Over Items' remaining items).
    node_state: dict[str, dict[str, Any]] = field(default_factory=dict)
    resumed_wait: bool = False
    #: How short waits sleep; the conformance harness injects a clock that does not block.
    sleep: Callable[[float], None] = time.sleep
    #: Virtual time (test harnesses): short waits advance $now instead of sleeping.
    virtual_time: bool = False
    #: Items a webhook resume brings to a Wait node (resume: webhook) — its output on resume.
    resume_items: list[Item] | None = None
    #: What the Respond to Webhook node decided (status, headers, body), and who to tell at once.
    webhook_response: dict[str, Any] | None = None
    on_webhook_response: Callable[[dict[str, Any]], None] | None = None
    #: Settings, store, LLM and memory for IZA's own and the AI nodes (see ``_services``).
    services: NodeServices | None = None
    _box: JsSandbox | None = field(default=None, repr=False)

    # ---- setup ----------------------------------------------------------------------------
    @property
    def box(self) -> JsSandbox:
        if self._box is None:
            self._box = sandbox(timeout_s=self.code_timeout_s, max_memory_mb=self.code_memory_mb)
            self._box.configure(
                {
                    "timezone": self.timezone,
                    "workflow": {
                        "id": self.workflow.id,
                        "name": self.workflow.name,
                        "active": bool(self.workflow.raw.get("active")),
                    },
                    "execution": {"id": self.execution_id, "mode": self.mode},
                    "nodes": {
                        n.name: {"type": n.type, "parameters": n.parameters}
                        for n in self.workflow.nodes.values()
                    },
                }
            )
            for name, runs in self.run_data.items():
                for run in runs:
                    self._box.set_run(
                        name, {"main": run.get("data", {}).get("main", []), "source": run.get("source", [])}
                    )
        return self._box

    def wait(self, seconds: float) -> None:
        """A short in-process wait (Wait node under 65 s)."""
        if self.virtual_time:
            self._clock_offset = getattr(self, "_clock_offset", 0.0) + seconds
            self.box.queue(f"__iza.S.offsetMs = {int(self._clock_offset * 1000)}")
        else:
            self.sleep(seconds)

    def start(self, items: list[Item] | None = None, start: str | None = None) -> None:
        node = self.workflow.nodes[start] if start else self.workflow.start_node()
        self.stack = [{"node": node.name, "inputs": [items or [{"json": {}}]], "source": [None]}]

    def state(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "waiting": self.waiting,
            "last_node": self.last_node,
            "node_state": self.node_state,
        }

    def restore(self, run_data: dict[str, Any], state: dict[str, Any]) -> None:
        self.run_data = run_data
        self.stack = list(state.get("stack") or [])
        waiting = dict(state.get("waiting") or {})
        # Checkpoints written before per-run slots held one entry per node: wrap it as slot "0".
        self.waiting = {k: ({"0": v} if "inputs" in v else v) for k, v in waiting.items()}
        self.last_node = state.get("last_node")
        self.node_state = dict(state.get("node_state") or {})

    # ---- loop -----------------------------------------------------------------------------
    def run(self) -> ExecutionResult:
        last_try: str | None = None
        try:
            while self.stack:
                # The task stays on the stack until it has completed, so a checkpoint taken
                # while it runs (or a crash) leaves it there to be run again on resume.
                task = self.stack[0]
                current_try = f"{task['node']}:{len(self.run_data.get(task['node'], []))}"
                if current_try == last_try:
                    raise WorkflowError(
                        "Stopped execution because it seems to be in an endless loop",
                        fix="A node waits for an input that never receives data; check its connections.",
                    )
                if not self._has_input_data(task):
                    # n8n (v0): a node whose input slot has no data yet goes to the back.
                    self.stack.append(self.stack.pop(0))
                    last_try = current_try
                    continue
                try:
                    outputs = self._run_task(task)
                except WaitRequested as wait:
                    # The Wait node runs again on resume and then passes its items on.
                    task["_resume"] = True
                    self.last_node = task["node"]
                    self._checkpoint(task["node"], {"executionStatus": "waiting", "waitTill": wait.resume_at})
                    return ExecutionResult("waiting", self.run_data, self.last_node, wait_till=wait.resume_at)
                except NodeError as err:
                    self.stack.pop(0)
                    run = self._record(task, None, "error", err.as_json())
                    self._checkpoint(task["node"], run)
                    return ExecutionResult("error", self.run_data, self.last_node, error=err.as_json())
                self.stack.pop(0)
                if outputs is None:
                    # The node had no input to work on (or returned nothing): as in n8n it
                    # leaves no run data and its branch ends here.
                    continue
                run = self._record(task, outputs, "success")
                enqueue_children(self, task["node"], outputs, len(self.run_data[task["node"]]) - 1)
                if not self.stack and self.waiting:
                    release_waiting(self)
                self._checkpoint(task["node"], run)
        except WorkflowError as err:
            info = {"message": err.message, "name": type(err).__name__}
            return ExecutionResult("error", self.run_data, self.last_node, error=info)
        return ExecutionResult("success", self.run_data, self.last_node)

    def _has_input_data(self, task: dict[str, Any]) -> bool:
        """n8n's ``ensureInputData``: in v0 every connected input slot must hold data."""
        if self.workflow.execution_order == "v1":
            return True
        ins = self.workflow.parents.get(task["node"]) or {}
        inputs = task.get("inputs") or []
        for idx in range(max(ins) + 1 if ins else 0):
            if not any(not self.workflow.nodes[src].disabled for src, _ in ins.get(idx, [])):
                return True
            if idx >= len(inputs) or inputs[idx] is None:
                return False
        return True

    def _record(
        self,
        task: dict[str, Any],
        outputs: list[list[Item]] | None,
        status: str,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        name = task["node"]
        run: dict[str, Any] = {
            "startTime": task.get("_start", int(time.time() * 1000)),
            "executionTime": task.get("_elapsed", 0),
            "executionStatus": status,
            "source": task.get("source") or [],
        }
        if outputs is not None:
            run["data"] = {"main": outputs}
        if error is not None:
            run["error"] = error
        self.run_data.setdefault(name, []).append(run)
        self.last_node = name
        if outputs is not None:
            self.box.set_run(name, {"main": outputs, "source": run["source"]})
            self.box.set_context(name, self.node_state.get(name, {}))
        return run

    def _checkpoint(self, name: str, run: dict[str, Any]) -> None:
        if self.on_node_done is not None:
            self.on_node_done(self, name, run)

    # ---- one node ---------------------------------------------------------------------------
    def _run_task(self, task: dict[str, Any]) -> list[list[Item]] | None:
        node = self.workflow.nodes[task["node"]]
        inputs: list[list[Item] | None] = [list(x) if x is not None else None for x in task["inputs"]]
        inputs += [[] for _ in range(declared_inputs(self.workflow, node.name) - len(inputs))]
        task["_start"] = int(time.time() * 1000)
        t0 = time.perf_counter()
        try:
            outputs = self._execute(node, inputs, task)
        finally:
            task["_elapsed"] = int((time.perf_counter() - t0) * 1000)
        if node.setting("alwaysOutputData") and not (outputs and outputs[0]):
            outputs = [[{"json": {}}], *(outputs or [])[1:]]
        return outputs

    def _has_items(self, node: Node, inputs: list[list[Item] | None], task: dict[str, Any]) -> bool:
        """n8n's ``prepareConnectionInputData``: does the node have items to work on?"""
        if is_trigger(node):
            return True
        if self.workflow.execution_order == "v1":
            return any(inputs)
        if inputs and inputs[0]:
            return True
        # v0: the first input is empty and can no longer receive data; data that looped back
        # from a node further down the workflow on another input keeps a loop running.
        sources = task.get("source") or []
        if not sources or sources[0] is not None:
            return False
        below = set(child_nodes(self.workflow, node.name)) | {node.name}
        return any(
            data and idx < len(sources) and sources[idx] and sources[idx].get("previousNode") in below
            for idx, data in enumerate(inputs)
        )

    def _execute(
        self, node: Node, raw_inputs: list[list[Item] | None], task: dict[str, Any]
    ) -> list[list[Item]] | None:
        if self.use_pin_data and node.name in self.workflow.pin_data:
            return [[_as_item(i) for i in self.workflow.pin_data[node.name]]]
        if node.disabled:
            first = raw_inputs[0] if raw_inputs else None
            return None if first is None else [fast_copy(first)]
        if not self._has_items(node, raw_inputs, task):
            return None
        inputs = [x if x is not None else [] for x in raw_inputs]
        self.resumed_wait = bool(task.get("_resume"))
        fn = lookup(node.type)
        if fn is None:
            raise UnsupportedNode(node.name, node.type)
        if node.setting("executeOnce") and inputs and inputs[0]:
            inputs = [inputs[0][:1], *inputs[1:]]
        tries = int(node.setting("maxTries", 3)) if node.setting("retryOnFail") else 1
        wait_ms = float(node.setting("waitBetweenTries", 1000))
        run_index = len(self.run_data.get(node.name, []))
        for attempt in range(1, max(tries, 1) + 1):
            ctx = NodeContext(node, self, fast_copy(inputs), run_index, task.get("source") or [])
            try:
                outputs = fn(ctx)
                break
            except WaitRequested:
                raise
            except NodeError as err:
                error = err
            except WorkflowError as err:
                error = NodeError(node.name, err.message, fix=err.fix)
            except Exception as err:  # a bug in a node must fail the node, not the process
                logger.exception("node %s crashed", node.name)
                error = NodeError(node.name, f"{type(err).__name__}: {err}")
            if attempt < tries:
                time.sleep(min(wait_ms, 5000) / 1000 * attempt)
                continue
            return self._on_error(node, inputs, error)
        if outputs is None:
            return None
        return [[_normalise(i, idx) for idx, i in enumerate(out or [])] for out in outputs]

    def _on_error(self, node: Node, inputs: list[list[Item]], error: NodeError) -> list[list[Item]]:
        mode = node.on_error
        if error.whole_node and mode in ("continueRegularOutput", "continueErrorOutput"):
            return [fast_copy(inputs[0]) if inputs else []]
        if mode == "continueRegularOutput":
            return [[{"json": {"error": error.reason}}]]
        if mode == "continueErrorOutput":
            n_out = max(len(self.workflow.children.get(node.name, [])), 2)
            outs: list[list[Item]] = [[] for _ in range(n_out)]
            outs[-1] = (
                [{"json": {**(i.get("json") or {}), "error": error.reason}} for i in inputs[0]]
                if inputs and inputs[0]
                else [{"json": {"error": error.reason}}]
            )
            return outs
        raise error


def _as_item(value: Any) -> Item:
    if isinstance(value, dict) and "json" in value:
        return value
    return {"json": value}


def _normalise(item: Any, index: int) -> Item:
    if not isinstance(item, dict):
        return {"json": {"data": item}, "pairedItem": {"item": index}}
    if "pairedItem" not in item:
        item = {**item, "pairedItem": {"item": index}}
    return dict(item)
