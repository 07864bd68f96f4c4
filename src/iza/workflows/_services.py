"""What IZA's own nodes reach outside the graph: settings, the store, the LLM and the memory.

The engine itself needs none of this (n8n's nodes only see items), so :class:`Execution` carries
a :class:`NodeServices` only when someone hands it one; :class:`WorkflowService` always does.
A node asks through :func:`services_for`, which falls back to the process's settings (the
data home of ``IZA_HOME``), so a workflow run from Python without a service still behaves like
``iza workflows run``.

Layering: ``workflows`` sits beside ``agents`` and below ``business``. Neither may be imported
from here, so the composition root plugs an agent mission runner in with
:func:`register_mission_runner` (business registers its nodes itself, see
``iza.business._wf_nodes``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iza.workflows._errors import NodeError

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store
    from iza.llm._service import LLM
    from iza.memory import MemoryStore
    from iza.workflows._context import NodeContext

__all__ = [
    "MissionRequest",
    "MissionRunner",
    "NodeServices",
    "mission_runner",
    "register_mission_runner",
    "services_for",
]


@dataclass
class NodeServices:
    """Settings plus the heavier handles, each built on first use and kept for the execution.

    ``llm`` may be injected (a test passes ``LLM(settings, providers=[...])``); otherwise the
    process's orchestrator for these settings is used, which reads providers from the settings.
    """

    settings: Settings
    store: Store | None = None
    llm: LLM | None = None
    memory: MemoryStore | None = None
    _chat_memory: MemoryStore | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def get_store(self) -> Store:
        with self._lock:
            if self.store is None:
                from iza.kernel.store import Store

                self.store = Store.from_settings(self.settings)
                self.store.ensure_schema()
            return self.store

    def get_llm(self) -> LLM:
        with self._lock:
            if self.llm is None:
                from iza.llm._service import LLM, default_llm

                # With a store given, the run journal goes where the workflow's runs go.
                self.llm = LLM(self.settings, store=self.store) if self.store else default_llm(self.settings)
            return self.llm

    def get_memory(self) -> MemoryStore:
        """The unified memory as configured (``memory.backend``, ``memory.embedder``)."""
        with self._lock:
            if self.memory is None:
                from iza.memory import open_store

                self.memory = open_store(self.settings)
            return self.memory

    def get_chat_memory(self) -> MemoryStore:
        """The same memory without an embedder: chat turns are read back by recency, never
        ranked, so embedding every turn would cost time and buy nothing."""
        with self._lock:
            if self._chat_memory is None:
                from iza.memory import open_store

                self._chat_memory = open_store(self.settings, embedder=None)
            return self._chat_memory

    def close(self) -> None:
        for mem in (self.memory, self._chat_memory):
            if mem is not None:
                mem.close()
        self.memory = self._chat_memory = None


def services_for(ctx: NodeContext) -> NodeServices:
    """The execution's services; without any, the process's settings (``IZA_HOME``)."""
    execution = ctx.execution
    found = getattr(execution, "services", None)
    if isinstance(found, NodeServices):
        return found
    from iza.kernel.config import load
    from iza.kernel.home import ensure_home

    settings = load()
    ensure_home(settings)
    made = NodeServices(settings)
    execution.services = made
    return made


@dataclass(frozen=True)
class MissionRequest:
    """What the ``iza.agentMission`` node asks the workforce for."""

    objective: str
    service: str | None = None
    order_id: str | None = None
    #: Provenance: the workflow, execution and node that asked.
    origin: dict[str, str] = field(default_factory=dict)


#: ``(settings, store, request) -> mission view`` (the dict ``iza agents show --json`` prints).
MissionRunner = Callable[["Settings", "Store", MissionRequest], dict[str, Any]]
_runner: list[MissionRunner] = []


def register_mission_runner(runner: MissionRunner | None) -> None:
    """The composition root installs the function that runs an agent mission (or removes it)."""
    _runner[:] = [runner] if runner is not None else []


def mission_runner(node: str) -> MissionRunner:
    if not _runner:
        raise NodeError(
            node,
            "agent missions are not wired into this process",
            fix="Run the workflow through `iza workflows run` or the web app, or call "
            "iza._system.wire_workflow_nodes() first when embedding IZA in Python.",
        )
    return _runner[0]
