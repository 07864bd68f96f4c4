"""The agent workforce: roster and service catalog, missions, delegation, tools and traces.

``iza.agents`` reaches a language model and the shared memory only through two ports it owns
(:class:`ChatModel`, :class:`MemorySink`), so it runs today with offline playbooks and its own
memory tables, and takes the LLM orchestrator and unified memory as adapters later.
"""

from iza.agents._balancer import Decision, WorkerLoad, choose
from iza.agents._builtin_tools import builtin_tools, default_registry, register_workflow_runner
from iza.agents._catalog import Catalog, Objective, PlaybookStep, ServiceSpec
from iza.agents._errors import (
    AgentNotFound,
    DefinitionError,
    LimitExceeded,
    MissionNotFound,
    MissionStateError,
    ModelOutputError,
    ModelRequired,
    ToolError,
    ToolSpecError,
)
from iza.agents._events import (
    MissionAwaitingApproval,
    MissionCancelled,
    MissionCompleted,
    MissionCreated,
    MissionFailed,
    MissionResumed,
)
from iza.agents._matcher import Match, match_service
from iza.agents._memory import StoreMemory, mission_namespace
from iza.agents._missions import (
    cancel_mission,
    create_mission,
    decide_approval,
    list_missions,
    mission_view,
)
from iza.agents._ports import (
    ChatMessage,
    ChatModel,
    ChatRequest,
    ChatResponse,
    MailMessage,
    MemoryRecord,
    MemorySink,
    ScriptedModel,
    ToolCall,
)
from iza.agents._roster import TIERS, AgentSpec, Roster
from iza.agents._runner import run_mission
from iza.agents._tools import PERMISSIONS, Tool, ToolContext, ToolRegistry, ToolResult
from iza.agents._trace import otel_export, timeline
from iza.agents._workforce import (
    Limits,
    Workforce,
    load_definitions,
    register_memory_factory,
    register_model_factory,
)

__all__ = [
    "AgentNotFound",
    "AgentSpec",
    "Catalog",
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "Decision",
    "DefinitionError",
    "LimitExceeded",
    "Limits",
    "MailMessage",
    "Match",
    "MemoryRecord",
    "MemorySink",
    "MissionAwaitingApproval",
    "MissionCancelled",
    "MissionCompleted",
    "MissionCreated",
    "MissionFailed",
    "MissionNotFound",
    "MissionResumed",
    "MissionStateError",
    "ModelOutputError",
    "ModelRequired",
    "Objective",
    "PERMISSIONS",
    "PlaybookStep",
    "Roster",
    "ScriptedModel",
    "ServiceSpec",
    "StoreMemory",
    "TIERS",
    "Tool",
    "ToolCall",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "ToolSpecError",
    "WorkerLoad",
    "Workforce",
    "builtin_tools",
    "cancel_mission",
    "choose",
    "create_mission",
    "decide_approval",
    "default_registry",
    "list_missions",
    "load_definitions",
    "match_service",
    "mission_namespace",
    "mission_view",
    "otel_export",
    "register_memory_factory",
    "register_model_factory",
    "register_workflow_runner",
    "run_mission",
    "timeline",
]
