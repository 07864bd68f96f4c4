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
        self.waiting = dict(state.get("waiting") or {})
        self.last_node = state.get("last_node")
        self.node_state = dict(state.get("node_state") or {})

    # ---- loop -----------------------------------------------------------------------------
    def run(self) -> ExecutionResult:
        try:
            while True:
                if not self.stack:
                    if not self._release_waiting():
                        break
                # The task stays on the stack until it has completed, so a checkpoint taken
                # while it runs (or a crash) leaves it there to be run again on resume.
                task = self.stack[0]
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
                run = self._record(task, outputs, "success")
                self._schedule_children(task["node"], outputs)
                self._checkpoint(task["node"], run)
        except WorkflowError as err:
            info = {"message": err.message, "name": type(err).__name__}
            return ExecutionResult("error", self.run_data, self.last_node, error=info)
        return ExecutionResult("success", self.run_data, self.last_node)

    def _release_waiting(self) -> bool:
        """Nothing left to run: start the first node still waiting for inputs (n8n runs it)."""
        for name in list(self.waiting):
            entry = self.waiting.pop(name)
            self.stack.append(entry)
            return True
        return False

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

    def _schedule_children(self, name: str, outputs: list[list[Item]]) -> None:
        run_index = len(self.run_data.get(name, [])) - 1
        new: list[dict[str, Any]] = []
        for out_idx, dests in enumerate(self.workflow.children.get(name, [])):
            items = outputs[out_idx] if out_idx < len(outputs) else []
            dests = self._ordered(dests)
            for dest, in_idx in dests:
                if self.workflow.nodes[dest].disabled and self.workflow.nodes[dest].kind == "stickyNote":
                    continue
                src = {"previousNode": name, "previousNodeOutput": out_idx, "previousNodeRun": run_index}
                n_inputs = self.workflow.input_count(dest)
                if n_inputs <= 1:
                    if items:
                        new.append({"node": dest, "inputs": [items], "source": [src]})
                    continue
                entry = self.waiting.setdefault(
                    dest, {"node": dest, "inputs": [None] * n_inputs, "source": [None] * n_inputs}
                )
                if entry["inputs"][in_idx] is not None:
                    # This input already has data waiting: the node runs with what it has first.
                    new.append(self.waiting.pop(dest))
                    entry = self.waiting.setdefault(
                        dest, {"node": dest, "inputs": [None] * n_inputs, "source": [None] * n_inputs}
                    )
                entry["inputs"][in_idx] = items
                entry["source"][in_idx] = src
                if all(x is not None for x in entry["inputs"]):
                    new.append(self.waiting.pop(dest))
        if self.workflow.execution_order == "v1":
            self.stack[:0] = new
        else:
            self.stack.extend(new)

    def _ordered(self, dests: list[tuple[str, int]]) -> list[tuple[str, int]]:
        if self.workflow.execution_order != "v1":
            return dests

        def pos(d: tuple[str, int]) -> tuple[float, float]:
            p = self.workflow.nodes[d[0]].raw.get("position") or [0, 0]
            return (float(p[1]), float(p[0]))

        return sorted(dests, key=pos)

    # ---- one node ---------------------------------------------------------------------------
    def _run_task(self, task: dict[str, Any]) -> list[list[Item]]:
        node = self.workflow.nodes[task["node"]]
        inputs = [list(x) if x is not None else [] for x in task["inputs"]]
        task["_start"] = int(time.time() * 1000)
        t0 = time.perf_counter()
        try:
            return self._execute(node, inputs, task)
        finally:
            task["_elapsed"] = int((time.perf_counter() - t0) * 1000)

    def _execute(self, node: Node, inputs: list[list[Item]], task: dict[str, Any]) -> list[list[Item]]:
        if self.use_pin_data and node.name in self.workflow.pin_data:
            return [[_as_item(i) for i in self.workflow.pin_data[node.name]]]
        if node.disabled:
            return [fast_copy(inputs[0]) if inputs else []]
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
        outputs = [[_normalise(i, idx) for idx, i in enumerate(out)] for out in outputs]
        if node.setting("alwaysOutputData") and not any(outputs):
            outputs = [[{"json": {}}], *outputs[1:]] if outputs else [[{"json": {}}]]
        return outputs

    def _on_error(self, node: Node, inputs: list[list[Item]], error: NodeError) -> list[list[Item]]:
        mode = node.on_error
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
