"""The workforce as one object: roster, catalog, tools, memory, model and limits.

Everything a mission needs is injected here once (``Workforce.from_settings`` builds the
defaults), so tests pass a scripted model or another memory without touching anything deeper.
A model factory installed with :func:`register_model_factory` is used when no model is passed;
otherwise :mod:`iza.agents._llm_model` adapts ``iza.llm`` when a provider is configured there;
with neither, missions run their offline playbooks and say so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from iza.agents._builtin_tools import default_registry
from iza.agents._catalog import Catalog, load_catalog
from iza.agents._memory import StoreMemory
from iza.agents._ports import ChatModel, MemorySink
from iza.agents._roster import Roster, load_roster
from iza.agents._tools import ToolRegistry
from iza.kernel.config import Settings
from iza.kernel.store import Store, utcnow

__all__ = [
    "Limits",
    "Workforce",
    "load_definitions",
    "register_memory_factory",
    "register_model_factory",
]

ModelFactory = Callable[[Settings], ChatModel | None]
MemoryFactory = Callable[[Settings, Store], MemorySink]
_factories: list[ModelFactory] = []
_memory_factories: list[MemoryFactory] = []
_lock = threading.Lock()


def register_model_factory(factory: ModelFactory | None) -> None:
    """The LLM layer installs a factory returning a :class:`ChatModel` (or ``None`` if no provider)."""
    with _lock:
        _factories[:] = [factory] if factory is not None else []


def register_memory_factory(factory: MemoryFactory | None) -> None:
    """The memory layer installs a factory returning its :class:`MemorySink` adapter."""
    with _lock:
        _memory_factories[:] = [factory] if factory is not None else []


def _factory_model(settings: Settings, store: Store) -> ChatModel | None:
    """A registered factory wins; otherwise ``iza.llm`` when it has a provider configured."""
    with _lock:
        factory = _factories[0] if _factories else None
    if factory is not None:
        return factory(settings)
    from iza.agents._llm_model import llm_model_factory

    return llm_model_factory(settings, store)


def _factory_memory(settings: Settings, store: Store) -> MemorySink:
    """A registered factory wins; otherwise ``iza.memory`` unless ``agents.memory = "tables"``."""
    with _lock:
        factory = _memory_factories[0] if _memory_factories else None
    if factory is not None:
        return factory(settings, store)
    if settings.get_str("agents.memory") == "tables":
        return StoreMemory(store)
    from iza.agents._unified_memory import unified_memory

    return unified_memory(settings, store)


@dataclass(frozen=True)
class Limits:
    """Hard limits, copied onto each mission when it is created (a resume keeps them)."""

    max_steps: int = 8
    max_depth: int = 3
    max_tool_repeats: int = 2
    wall_clock_seconds: int = 1800
    mission_budget_micros: int = 2_000_000
    max_attempts: int = 2
    max_queue: int = 2
    parallel_items: int = 1

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(**{k: settings.get_int(f"agents.{k}") for k in cls.__dataclass_fields__})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def load_definitions(home: Path | None, tools: ToolRegistry | None = None) -> tuple[Roster, Catalog]:
    """Roster and catalog, packaged plus the data home's overrides, validated together."""
    registry = tools or default_registry()
    roster = load_roster(home, registry.names())
    return roster, load_catalog(home, roster)


class Workforce:
    """What a mission runs with. Build it with :meth:`from_settings`."""

    def __init__(
        self,
        store: Store,
        *,
        home: Path,
        roster: Roster,
        catalog: Catalog,
        tools: ToolRegistry,
        memory: MemorySink,
        model: ChatModel | None,
        limits: Limits,
        http_allowlist: tuple[str, ...] = (),
        http_timeout: float = 10.0,
        approval_above_minor: int = 10_000,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.home = home
        self.roster = roster
        self.catalog = catalog
        self.tools = tools
        self.memory = memory
        self.model = model
        self.limits = limits
        self.http_allowlist = http_allowlist
        self.http_timeout = http_timeout
        self.approval_above_minor = approval_above_minor
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store | None = None,
        *,
        model: ChatModel | None = None,
        memory: MemorySink | None = None,
        tools: ToolRegistry | None = None,
        limits: Limits | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> Workforce:
        store = store or Store.from_settings(settings)
        registry = tools or default_registry()
        roster, catalog = load_definitions(settings.home, registry)
        allow = tuple(h.strip() for h in settings.get_str("agents.http_allowlist").split(",") if h.strip())
        return cls(
            store, home=settings.home, roster=roster, catalog=catalog, tools=registry,
            memory=memory or _factory_memory(settings, store), model=model or _factory_model(settings, store),
            limits=limits or Limits.from_settings(settings), http_allowlist=allow,
            http_timeout=float(settings["agents.http_timeout"]),
            approval_above_minor=settings.get_int("agents.approval_above_minor"), clock=clock,
        )

    @property
    def mode(self) -> str:
        return "llm" if self.model is not None else "offline-playbook"

    def workspace(self, mission_id: str) -> Path:
        return self.home / "agents" / "workspaces" / mission_id
