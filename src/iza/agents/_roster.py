"""The roster: who the agents are, as packaged data the user can override.

Defaults ship in ``iza/agents/data/roster.json``. A user file ``$IZA_HOME/agents/roster.json``
with the same shape replaces agents by id and adds new ones. Everything is validated when
loaded, so a bad definition fails at ``iza agents list`` with the file, the field and the
reason, never half-way through a mission.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from iza.agents._errors import AgentNotFound, DefinitionError

__all__ = ["TIERS", "AgentSpec", "Roster", "load_json_source", "load_roster"]

TIERS: tuple[str, ...] = ("strategist", "manager", "worker")
_FIELDS = frozenset({"id", "name", "tier", "role", "skills", "tools", "model", "capacity",
                     "task_budget_micros", "reports_to"})
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


@dataclass(frozen=True)
class AgentSpec:
    """One agent: ``capacity`` is concurrent tasks, ``task_budget_micros`` USD millionths."""

    id: str
    name: str
    tier: str
    role: str
    skills: tuple[str, ...]
    tools: tuple[str, ...]
    model: str
    capacity: int
    task_budget_micros: int
    reports_to: str | None = None
    source: str = "packaged"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "tier": self.tier, "role": self.role,
            "skills": list(self.skills), "tools": list(self.tools), "model": self.model,
            "capacity": self.capacity, "task_budget_micros": self.task_budget_micros,
            "reports_to": self.reports_to, "source": self.source,
        }


@dataclass(frozen=True)
class Roster:
    agents: tuple[AgentSpec, ...]

    def get(self, agent_id: str) -> AgentSpec:
        for a in self.agents:
            if a.id == agent_id:
                return a
        raise AgentNotFound(f"no agent {agent_id!r}", fix="`iza agents list` shows every agent id")

    def tier(self, tier: str) -> list[AgentSpec]:
        return [a for a in self.agents if a.tier == tier]

    def with_skill(self, skill: str, tool: str | None = None, tier: str = "worker") -> list[AgentSpec]:
        return [a for a in self.agents
                if a.tier == tier and skill in a.skills and (tool is None or tool in a.tools)]


def load_json_source(file: str, text: str, key: str) -> list[dict[str, Any]]:
    """Parse a definition file and return its list under ``key`` (shared with the catalog)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DefinitionError(file, "(file)", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise DefinitionError(file, key, f"expected an object with a list under {key!r}")
    items: list[dict[str, Any]] = data[key]
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise DefinitionError(file, f"{key}[{i}]", "expected an object")
    return items


def _str(file: str, where: str, raw: dict[str, Any], name: str, *, optional: bool = False) -> str:
    value = raw.get(name)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(file, f"{where}.{name}", "must be a non-empty string")
    return value


def _str_list(file: str, where: str, raw: dict[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise DefinitionError(file, f"{where}.{name}", "must be a non-empty list of strings")
    return tuple(value)


def _pos_int(file: str, where: str, raw: dict[str, Any], name: str) -> int:
    value = raw.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DefinitionError(file, f"{where}.{name}", "must be a positive integer")
    return value


def parse_agent(file: str, index: int, raw: dict[str, Any], known_tools: frozenset[str]) -> AgentSpec:
    agent_id = raw.get("id")
    where = f"agents[{index}]" if not isinstance(agent_id, str) else f"agents[{agent_id}]"
    agent_id = _str(file, where, raw, "id")
    unknown_fields = sorted(set(raw) - _FIELDS)
    if unknown_fields:
        raise DefinitionError(file, f"{where}.{unknown_fields[0]}",
                              f"unknown field; known fields: {', '.join(sorted(_FIELDS))}")
    if not _ID.match(agent_id):
        raise DefinitionError(file, f"{where}.id", "must be lowercase letters, digits and dashes")
    tier = _str(file, where, raw, "tier")
    if tier not in TIERS:
        raise DefinitionError(file, f"{where}.tier", f"must be one of {', '.join(TIERS)}, not {tier!r}")
    tools = _str_list(file, where, raw, "tools")
    unknown = [t for t in tools if t not in known_tools]
    if unknown:
        raise DefinitionError(file, f"{where}.tools", f"unknown tool(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(known_tools))}")
    reports_to = raw.get("reports_to")
    if reports_to is not None and not isinstance(reports_to, str):
        raise DefinitionError(file, f"{where}.reports_to", "must be an agent id or null")
    return AgentSpec(
        id=agent_id, name=_str(file, where, raw, "name"), tier=tier, role=_str(file, where, raw, "role"),
        skills=_str_list(file, where, raw, "skills"), tools=tools, model=_str(file, where, raw, "model"),
        capacity=_pos_int(file, where, raw, "capacity"),
        task_budget_micros=_pos_int(file, where, raw, "task_budget_micros"),
        reports_to=reports_to, source="packaged" if file.startswith("package:") else file,
    )


def _merge(base: dict[str, AgentSpec], file: str, items: list[dict[str, Any]],
           known_tools: frozenset[str]) -> None:
    seen: set[str] = set()
    for i, raw in enumerate(items):
        spec = parse_agent(file, i, raw, known_tools)
        if spec.id in seen:
            raise DefinitionError(file, f"agents[{spec.id}].id", "defined twice in this file")
        seen.add(spec.id)
        base[spec.id] = spec


def load_roster(home: Path | None, known_tools: frozenset[str]) -> Roster:
    """Packaged roster, then ``$IZA_HOME/agents/roster.json`` on top (by id)."""
    name = "package:iza/agents/data/roster.json"
    text = resources.files("iza.agents").joinpath("data/roster.json").read_text("utf-8")
    agents: dict[str, AgentSpec] = {}
    _merge(agents, name, load_json_source(name, text, "agents"), known_tools)
    if home is not None:
        user = home / "agents" / "roster.json"
        if user.is_file():
            _merge(agents, str(user), load_json_source(str(user), user.read_text("utf-8"), "agents"),
                   known_tools)
    file = str(home / "agents" / "roster.json") if home else name
    for spec in agents.values():
        if spec.reports_to is not None and spec.reports_to not in agents:
            raise DefinitionError(file, f"agents[{spec.id}].reports_to",
                                  f"names {spec.reports_to!r}, which is not an agent")
    order = {t: i for i, t in enumerate(TIERS)}
    return Roster(tuple(sorted(agents.values(), key=lambda a: (order[a.tier], a.id))))
