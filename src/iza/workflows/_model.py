"""The workflow definition: n8n's JSON (nodes, connections, settings) parsed and checked.

Parsing keeps the original dict (``raw``) so that export round-trips every field, including
ones this engine does not understand. Validation catches what would otherwise fail half-way
through a run: no nodes, duplicate names, connections to missing nodes, and cycles with no
node that can end a loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iza.workflows._errors import WorkflowInputError

__all__ = ["LOOP_TYPES", "Node", "Workflow", "load_workflow_file", "parse_workflow", "short_type"]

#: Node types that can end a cycle (a loop needs one of them to stop).
LOOP_TYPES = frozenset(
    {
        "splitInBatches",
        "if",
        "switch",
        "filter",
        "wait",
        "code",
        "function",
        "stopAndError",
        "limit",
        "removeDuplicates",
    }
)

_TRIGGER_PREFERENCE = (
    "manualTrigger",
    "start",
    # A chat workflow that also calls itself as a tool starts at its chat trigger.
    "@n8n/n8n-nodes-langchain.chatTrigger",
    "executeWorkflowTrigger",
    "webhook",
    "formTrigger",
    "chatTrigger",
    "scheduleTrigger",
    "cron",
    "interval",
    "errorTrigger",
)


def short_type(node_type: str) -> str:
    """``n8n-nodes-base.set`` → ``set``; langchain and community types keep their package."""
    if node_type.startswith("n8n-nodes-base."):
        return node_type.split(".", 1)[1]
    return node_type


@dataclass
class Node:
    name: str
    type: str
    type_version: float
    parameters: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def kind(self) -> str:
        return short_type(self.type)

    @property
    def disabled(self) -> bool:
        return bool(self.raw.get("disabled"))

    def setting(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def on_error(self) -> str:
        value = self.raw.get("onError")
        if value:
            return str(value)
        return "continueRegularOutput" if self.raw.get("continueOnFail") else "stopWorkflow"


@dataclass
class Workflow:
    name: str
    nodes: dict[str, Node]
    connections: dict[str, Any]
    settings: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)
    id: str | None = None
    #: node → output index → [(destination, input index)] over ``main`` connections.
    children: dict[str, list[list[tuple[str, int]]]] = field(default_factory=dict, repr=False)
    #: node → input index → [(source, output index)].
    parents: dict[str, dict[int, list[tuple[str, int]]]] = field(default_factory=dict, repr=False)

    @property
    def execution_order(self) -> str:
        return "v1" if self.settings.get("executionOrder") == "v1" else "v0"

    @property
    def pin_data(self) -> dict[str, Any]:
        return dict(self.raw.get("pinData") or {})

    def input_count(self, name: str) -> int:
        ins = self.parents.get(name, {})
        declared = 0
        node = self.nodes[name]
        if node.kind == "merge":
            declared = int(node.parameters.get("numberInputs", 2)) if node.type_version >= 3 else 2
        elif node.kind == "compareDatasets":
            declared = 2
        return max([declared, *[i + 1 for i in ins]]) if (ins or declared) else 1

    def is_sub_node(self, name: str) -> bool:
        """An AI sub-node (chat model, memory, tool…): it connects only through ``ai_*`` types and
        configures its root node instead of running."""
        by_type = self.connections.get(name)
        return isinstance(by_type, dict) and bool(by_type) and all(t != "main" for t in by_type)

    def start_node(self) -> Node:
        """The node a manual run starts at (n8n's ``getStartNode``)."""
        enabled = [n for n in self.nodes.values() if not n.disabled]
        for kind in _TRIGGER_PREFERENCE:
            for node in enabled:
                if node.kind == kind:
                    return node
        for node in enabled:
            if node.kind.lower().endswith("trigger") and node.kind != "stickyNote":
                return node
        for node in enabled:
            if node.kind != "stickyNote" and not self.parents.get(node.name) \
                    and not self.is_sub_node(node.name):
                return node
        raise WorkflowInputError(
            f"workflow {self.name!r} has no node to start from",
            fix="Add a trigger (e.g. Manual Trigger) or a node without inputs.",
        )


def load_workflow_file(path: str | Path) -> Workflow:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowInputError(
            f"cannot read workflow file {str(p)!r}: {exc.strerror}", fix="Check the path.", path=str(p)
        ) from exc
    return parse_workflow(text, source=str(p))


def parse_workflow(data: str | bytes | dict[str, Any], *, source: str = "<workflow>") -> Workflow:
    """Parse n8n workflow JSON (text or dict) and check its structure."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise WorkflowInputError(
                f"{source}: malformed JSON: {exc}",
                fix="Export the workflow again from n8n, or fix the JSON syntax.",
                path=source,
            ) from exc
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        data = data[0]
    if not isinstance(data, dict):
        raise WorkflowInputError(
            f"{source}: a workflow must be a JSON object with 'nodes' and 'connections'",
            fix="Pass an n8n workflow export.",
            path=source,
        )
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        raise WorkflowInputError(
            f"{source}: the workflow has no nodes",
            fix="Add at least one node (an n8n export has a 'nodes' list).",
            path=source,
        )
    nodes: dict[str, Node] = {}
    for i, rn in enumerate(raw_nodes):
        if (
            not isinstance(rn, dict)
            or not isinstance(rn.get("name"), str)
            or not isinstance(rn.get("type"), str)
        ):
            raise WorkflowInputError(
                f"{source}: node #{i} lacks a 'name' or 'type'",
                fix="Every node needs a unique name and a type.",
                path=source,
            )
        if rn["name"] in nodes:
            raise WorkflowInputError(
                f"{source}: two nodes are named {rn['name']!r}",
                fix="Node names must be unique; rename one.",
                path=source,
            )
        params = rn.get("parameters") if isinstance(rn.get("parameters"), dict) else {}
        version = float(rn.get("typeVersion") or 1)
        nodes[rn["name"]] = Node(rn["name"], rn["type"], version, dict(params or {}), rn)
    connections = data.get("connections") or {}
    if not isinstance(connections, dict):
        raise WorkflowInputError(
            f"{source}: 'connections' must be an object",
            path=source,
            fix="Export the workflow again from n8n.",
        )
    wf = Workflow(
        name=str(data.get("name") or Path(source).stem),
        nodes=nodes,
        connections=connections,
        settings=dict(data.get("settings") or {}),
        raw=data,
        id=str(data["id"]) if data.get("id") is not None else None,
    )
    _index_connections(wf, source)
    _check_cycles(wf, source)
    return wf


def _index_connections(wf: Workflow, source: str) -> None:
    wf.children = {name: [] for name in wf.nodes}
    wf.parents = {name: {} for name in wf.nodes}
    for src, by_type in wf.connections.items():
        if src not in wf.nodes:
            raise WorkflowInputError(
                f"{source}: a connection starts at missing node {src!r}",
                fix="Remove the connection or add the node.",
                path=source,
            )
        if not isinstance(by_type, dict):
            continue
        for ctype, outputs in by_type.items():
            for out_idx, dests in enumerate(outputs or []):
                for dest in dests or []:
                    target = dest.get("node") if isinstance(dest, dict) else None
                    if target not in wf.nodes:
                        raise WorkflowInputError(
                            f"{source}: node {src!r} connects to missing node {target!r}",
                            fix="Remove the dangling connection or add the node.",
                            path=source,
                        )
                    if ctype != "main":
                        continue
                    outs = wf.children[src]
                    while len(outs) <= out_idx:
                        outs.append([])
                    in_idx = int(dest.get("index") or 0)
                    outs[out_idx].append((target, in_idx))
                    wf.parents[target].setdefault(in_idx, []).append((src, out_idx))


def _check_cycles(wf: Workflow, source: str) -> None:
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(wf.nodes, white)
    stack: list[str] = []

    def visit(name: str) -> None:
        color[name] = grey
        stack.append(name)
        for outs in wf.children[name]:
            for dest, _ in outs:
                if color[dest] == grey:
                    cycle = stack[stack.index(dest) :]
                    if not any(wf.nodes[n].kind in LOOP_TYPES for n in cycle):
                        raise WorkflowInputError(
                            f"{source}: the connections form a cycle with no loop node: "
                            + " → ".join([*cycle, dest]),
                            fix="Break the cycle, or put a Loop Over Items / IF node in it so it can end.",
                            path=source,
                        )
                elif color[dest] == white:
                    visit(dest)
        stack.pop()
        color[name] = black

    for name in wf.nodes:
        if color[name] == white:
            visit(name)
