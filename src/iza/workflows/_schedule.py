"""Which node runs next: n8n's scheduling rules, ported from its ``WorkflowExecute``.

The engine keeps two queues: ``stack`` (tasks ready to run) and ``waiting`` (nodes with several
inputs, keyed by node and then by a per-node run slot, holding the inputs received so far).
Everything is plain JSON so a checkpoint can store it.

The rules that matter for conformance, all as n8n applies them:

* A finished node passes each output on to the nodes connected to it. An empty output is passed
  on only in the legacy order (v0) and only to a second or later input; in v1 it is dropped.
* A node with several connected inputs waits until each input holds data. In v0, the first time
  such a node starts waiting, every other input whose source node has not run and is not queued
  is *forced*: the nearest not-yet-run ancestor on that input is queued with one empty item
  (``forceInputNodeExecution``), unless that ancestor is a child of the node that just ran.
* When nothing is left to run, the first waiting node whose parents are not themselves waiting
  runs with what it has (missing inputs become empty lists). In v1, a node that declares
  ``requiredInputs`` (Merge: both inputs for "choose branch", otherwise one) is skipped until
  those inputs have data.
* In v0 a node whose first input is empty does not run at all, leaves no run data and ends its
  branch; in v1 it runs on its first non-empty input.

Changing any of these changes which nodes run and how often, which n8n's own fixtures pin.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iza.workflows._engine import Execution
    from iza.workflows._model import Node, Workflow

__all__ = [
    "add_node_to_be_executed",
    "child_nodes",
    "declared_inputs",
    "enqueue_children",
    "is_trigger",
    "parent_nodes",
    "release_waiting",
    "required_inputs",
]

Item = dict[str, Any]
Task = dict[str, Any]


_TRIGGERS = frozenset({"start", "webhook", "cron", "interval"})


def is_trigger(node: Node) -> bool:
    """Trigger nodes run without input items (n8n passes them none)."""
    return node.kind in _TRIGGERS or node.kind.endswith("Trigger")


def child_nodes(wf: Workflow, name: str) -> list[str]:
    """Every node downstream of ``name`` over main connections (n8n's ``getChildNodes``)."""
    seen: list[str] = []
    todo = [name]
    while todo:
        for outs in wf.children.get(todo.pop(), []):
            for dest, _ in outs:
                if dest not in seen and dest != name:
                    seen.append(dest)
                    todo.append(dest)
    return seen


def declared_inputs(wf: Workflow, name: str) -> int:
    """How many main inputs the node type declares (n8n's ``description.inputs.length``)."""
    node = wf.nodes[name]
    if node.kind == "merge":
        if node.type_version >= 3:
            return max(int(node.parameters.get("numberInputs", 2) or 2), 2)
        return 2
    if node.kind == "compareDatasets":
        return 2
    return 1


def required_inputs(wf: Workflow, name: str) -> list[int] | int | None:
    """n8n's ``requiredInputs`` for a node type (only Merge v2+ declares it); v1 order only."""
    node = wf.nodes[name]
    if node.kind == "merge" and node.type_version >= 2:
        mode = node.parameters.get("mode", "append")
        return [0, 1] if mode == "chooseBranch" else 1
    return None


def connected_inputs(wf: Workflow, name: str) -> int:
    """n8n's ``connectionsByDestinationNode[name].main.length``: highest connected input + 1."""
    ins = wf.parents.get(name) or {}
    return max(ins) + 1 if ins else 0


def parent_nodes(wf: Workflow, name: str | None) -> list[str]:
    """All ancestors over main connections, in n8n's ``getParentNodes`` order (farthest first)."""
    if name is None:
        return []
    return _connected(wf, name, ())


def _connected(wf: Workflow, name: str, checked_in: tuple[str, ...]) -> list[str]:
    ins = wf.parents.get(name) or {}
    if not ins or name in checked_in:
        return []
    checked = (*checked_in, name)
    out: list[str] = []
    for idx in range(max(ins) + 1):
        for src, _ in ins.get(idx, []):
            if src in checked:
                continue
            out.insert(0, src)
            added = _connected(wf, src, checked)
            for parent in reversed(added):
                if parent in out:
                    out.remove(parent)
                out.insert(0, parent)
    return out


def _child_names(wf: Workflow, name: str) -> list[str]:
    return [dest for outs in wf.children.get(name, []) for dest, _ in outs]


def _incoming_empty(ex: Execution, name: str, run_index: int) -> bool:
    """True when no source on the node's first input produced items in run ``run_index``."""
    for src, out_idx in (ex.workflow.parents.get(name) or {}).get(0, []):
        runs = ex.run_data.get(src) or []
        if run_index >= len(runs):
            continue
        main = (runs[run_index].get("data") or {}).get("main") or []
        data = main[out_idx] if out_idx < len(main) else None
        if data:
            return False
    return True


def _source(parent: str, out_idx: int, run_index: int) -> dict[str, Any]:
    return {"previousNode": parent, "previousNodeOutput": out_idx, "previousNodeRun": run_index}


def _enqueue(ex: Execution, task: Task) -> None:
    if ex.workflow.execution_order == "v1":
        ex.stack.insert(0, task)
    else:
        ex.stack.append(task)


def enqueue_children(ex: Execution, name: str, outputs: list[list[Item]], run_index: int) -> None:
    """Pass a finished node's outputs on to the nodes connected to it."""
    wf = ex.workflow
    legacy = wf.execution_order != "v1"
    to_add: list[tuple[str, int, int]] = []
    for out_idx, dests in enumerate(wf.children.get(name, [])):
        if out_idx >= len(outputs) or outputs[out_idx] is None:
            continue
        for dest, in_idx in dests:
            if outputs[out_idx] or (in_idx > 0 and legacy):
                to_add.append((dest, in_idx, out_idx))
    if not legacy:

        def cmp(a: tuple[str, int, int], b: tuple[str, int, int]) -> int:
            pa = wf.nodes[a[0]].raw.get("position") or [0, 0]
            pb = wf.nodes[b[0]].raw.get("position") or [0, 0]
            if pa[1] < pb[1]:
                return 1
            if pa[1] > pb[1]:
                return -1
            return -1 if pa[0] > pb[0] else 0

        to_add.sort(key=functools.cmp_to_key(cmp))
    for dest, in_idx, out_idx in to_add:
        add_node_to_be_executed(ex, dest, in_idx, out_idx, name, outputs, run_index)


def add_node_to_be_executed(  # noqa: C901  (one branch per rule of n8n's addNodeToBeExecuted)
    ex: Execution,
    dest: str,
    in_idx: int,
    out_idx: int,
    parent: str,
    outputs: list[list[Item]],
    run_index: int,
) -> None:
    wf = ex.workflow
    src = _source(parent, out_idx, run_index)
    n_inputs = connected_inputs(wf, dest)
    if n_inputs <= 1:
        inputs: list[Any] = [None] * in_idx + [outputs[out_idx]]
        _enqueue(ex, {"node": dest, "inputs": inputs, "source": [src]})
        return
    was_waiting = dest in ex.waiting
    slots: dict[str, Task] = ex.waiting.setdefault(dest, {})
    slot: str | None = None
    for key in sorted(slots, key=int):
        if slots[key]["inputs"][in_idx] is None:
            slot = key
            break
    if slot is None:
        slot = str(len(slots))
        slots[slot] = {"node": dest, "inputs": [None] * n_inputs, "source": [None] * n_inputs}
    entry = slots[slot]
    entry["inputs"][in_idx] = outputs[out_idx]
    entry["source"][in_idx] = src
    if all(x is not None for x in entry["inputs"]):
        del slots[slot]
        if not slots:
            del ex.waiting[dest]
        _enqueue(ex, entry)
        return
    if not was_waiting:
        _force_inputs(ex, dest, parent, outputs[out_idx], out_idx, run_index)


def _force_inputs(
    ex: Execution, dest: str, parent: str, data: list[Item], out_idx: int, run_index: int
) -> None:
    """v0's forceInputNodeExecution: queue the not-yet-run source of every other input."""
    wf = ex.workflow
    siblings = _child_names(wf, parent)
    for _in_idx, conns in sorted((wf.parents.get(dest) or {}).items()):
        for src, _ in conns:
            if src == parent:
                continue
            queued = [t["node"] for t in ex.stack]
            if src in siblings and not _incoming_empty(ex, src, run_index):
                continue
            if src in queued or src in ex.run_data or wf.execution_order == "v1":
                continue
            chain = [*parent_nodes(wf, src), src]
            chain.reverse()
            to_add: str | None = src
            for ancestor in chain:
                if ancestor != src and ancestor in siblings:
                    to_add = None
                    break
                if ancestor in queued:
                    to_add = None
                    break
                if ancestor in ex.run_data:
                    break
                to_add = ancestor
            if to_add is not None and parent in parent_nodes(wf, to_add) and not data:
                to_add = None
            if to_add is None:
                continue
            if not wf.parents.get(to_add) or _incoming_empty(ex, to_add, run_index):
                src_info = _source(parent, out_idx, run_index)
                _enqueue(ex, {"node": to_add, "inputs": [[{"json": {}}]], "source": [src_info]})


def release_waiting(ex: Execution) -> None:
    """Nothing left on the stack: start the first waiting node that can run with what it has."""
    wf = ex.workflow
    names = list(ex.waiting)
    i = 0
    while i < len(names):
        name = names[i]
        i += 1
        required = required_inputs(wf, name) if wf.execution_order == "v1" else None
        n_declared = declared_inputs(wf, name)
        if required is not None and (
            (isinstance(required, list) and len(required) == n_declared) or required == n_declared
        ):
            continue
        if any(p in names for p in parent_nodes(wf, name)):
            continue
        slots = ex.waiting[name]
        first = sorted(slots)[0]
        entry = slots[first]
        with_data = [idx for idx, d in enumerate(entry["inputs"]) if d is not None]
        if isinstance(required, list) and any(r not in with_data for r in required):
            continue
        if isinstance(required, int) and len(with_data) < required:
            continue
        main = [d if d is not None else [] for d in entry["inputs"]]
        runnable = any(main)
        if runnable:
            main += [[] for _ in range(n_declared - len(main))]
            ex.stack.append({"node": name, "inputs": main, "source": entry["source"]})
        del slots[first]
        if not slots:
            del ex.waiting[name]
        if runnable:
            return
        names = list(ex.waiting)
        i = 0
