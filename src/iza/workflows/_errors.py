"""Errors of the workflow engine: what went wrong, in which node, and what to do about it."""

from __future__ import annotations

from typing import Any

from iza.errors import InputError, RuntimeFailure

__all__ = ["NodeError", "UnsupportedNode", "WorkflowError", "WorkflowInputError"]


class WorkflowError(RuntimeFailure):
    """A workflow could not run."""


class WorkflowInputError(InputError):
    """A workflow file or definition is malformed (bad JSON, no nodes, dangling connection…)."""

    def __init__(self, message: str, *, fix: str | None = None, path: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.path = path


class NodeError(WorkflowError):
    """A node failed while running; carries the node, parameter path and JS line when known."""

    def __init__(
        self,
        node: str,
        message: str,
        *,
        fix: str | None = None,
        description: str | None = None,
        parameter: str | None = None,
        line: int | None = None,
        name: str = "NodeOperationError",
        whole_node: bool = False,
    ) -> None:
        where = f"node {node!r}"
        if parameter:
            where += f", parameter {parameter!r}"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}", fix=fix)
        self.node = node
        self.reason = message
        self.description = description
        self.parameter = parameter
        self.line = line
        self.name = name
        #: The node failed as a whole rather than per item (n8n nodes that do not handle
        #: "continue on fail" themselves): with continue-on-fail, n8n passes the input on.
        self.whole_node = whole_node

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.reason,
            "name": self.name,
            # n8n's description slot; without one, the fix we know (what to set or change)
            "description": self.description or self.fix,
            "node": self.node,
            "parameter": self.parameter,
            "line": self.line,
        }


class UnsupportedNode(NodeError):
    """The workflow uses a node type this engine does not implement."""

    def __init__(self, node: str, node_type: str) -> None:
        super().__init__(
            node,
            f"node type {node_type!r} is not supported by IZA's workflow engine",
            fix="Replace the node with a supported one (see `iza workflows validate`), or register "
            "an implementation for this type.",
            name="UnsupportedNodeError",
        )
        self.node_type = node_type
