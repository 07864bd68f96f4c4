"""The workflow engine: n8n-compatible workflows, run durably.

Public surface: parse a workflow (:func:`parse_workflow`), run it (:class:`Execution`), register
node types (:func:`register_node`), and the errors. Persistence, CLI and web routes live in
their own modules and are imported only when used.
"""

from iza.workflows._context import NodeContext
from iza.workflows._engine import Execution, ExecutionResult
from iza.workflows._errors import NodeError, UnsupportedNode, WorkflowError, WorkflowInputError
from iza.workflows._model import Node, Workflow, load_workflow_file, parse_workflow
from iza.workflows._services import MissionRequest, NodeServices, register_mission_runner, services_for
from iza.workflows.nodes._registry import is_supported, supported_types
from iza.workflows.nodes._registry import register as register_node

__all__ = [
    "Execution",
    "ExecutionResult",
    "MissionRequest",
    "Node",
    "NodeContext",
    "NodeError",
    "NodeServices",
    "UnsupportedNode",
    "Workflow",
    "WorkflowError",
    "WorkflowInputError",
    "is_supported",
    "load_workflow_file",
    "parse_workflow",
    "register_mission_runner",
    "register_node",
    "services_for",
    "supported_types",
]
