"""The service directory: which team delivers each service, and its offline playbook.

Defaults ship in ``iza/agents/data/service_catalog.json``; ``$IZA_HOME/agents/service_catalog.json``
replaces services by id and adds new ones. A playbook is a deterministic list of objectives, each
led by a manager, each a list of steps naming the skill and tool a worker uses. Loading checks
that every step can actually be staffed (some worker has the skill and is allowed the tool), so
an unstaffable playbook fails at load time, not in the middle of a mission.

``requires_model`` marks services that have no honest offline version (writing original content):
offline, such a request is refused with a clear message rather than answered with filler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from iza.agents._errors import AgentNotFound, DefinitionError
from iza.agents._roster import Roster, load_json_source

__all__ = ["Catalog", "Objective", "PlaybookStep", "ServiceSpec", "load_catalog"]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_FIELDS = frozenset({"id", "name", "description", "keywords", "strategist", "managers",
                     "price_minor", "currency", "requires_model", "playbook"})


@dataclass(frozen=True)
class PlaybookStep:
    id: str
    title: str
    skill: str
    tool: str
    args: dict[str, Any]
    #: A reason when a person must approve this step before it runs (e.g. "sending email").
    approval: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "skill": self.skill, "tool": self.tool,
                "args": self.args, "approval": self.approval}


@dataclass(frozen=True)
class Objective:
    title: str
    manager: str
    steps: tuple[PlaybookStep, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"objective": self.title, "manager": self.manager,
                "steps": [s.as_dict() for s in self.steps]}


@dataclass(frozen=True)
class ServiceSpec:
    id: str
    name: str
    description: str
    keywords: tuple[str, ...]
    strategist: str
    managers: tuple[str, ...]
    price_minor: int
    currency: str
    requires_model: bool
    playbook: tuple[Objective, ...] = field(default=())
    source: str = "packaged"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "description": self.description,
            "keywords": list(self.keywords), "strategist": self.strategist,
            "managers": list(self.managers), "price_minor": self.price_minor,
            "currency": self.currency, "requires_model": self.requires_model,
            "playbook": [o.as_dict() for o in self.playbook], "source": self.source,
        }


@dataclass(frozen=True)
class Catalog:
    services: tuple[ServiceSpec, ...]

    def get(self, service_id: str) -> ServiceSpec:
        for s in self.services:
            if s.id == service_id:
                return s
        raise AgentNotFound(f"no service {service_id!r}",
                            fix="`iza agents services` lists the service ids")


def _need(cond: bool, file: str, fld: str, reason: str) -> None:
    if not cond:
        raise DefinitionError(file, fld, reason)


def _parse_step(file: str, where: str, raw: Any, roster: Roster) -> PlaybookStep:
    _need(isinstance(raw, dict), file, where, "expected an object")
    for key in ("id", "title", "skill", "tool"):
        _need(isinstance(raw.get(key), str) and bool(raw[key]), file, f"{where}.{key}",
              "must be a non-empty string")
    args = raw.get("args", {})
    _need(isinstance(args, dict), file, f"{where}.args", "must be an object")
    approval = raw.get("approval")
    _need(approval is None or isinstance(approval, str), file, f"{where}.approval",
          "must be a reason string or absent")
    _need(bool(roster.with_skill(raw["skill"], raw["tool"])), file, f"{where}.skill",
          f"no worker has skill {raw['skill']!r} and may use tool {raw['tool']!r}")
    return PlaybookStep(raw["id"], raw["title"], raw["skill"], raw["tool"], dict(args), approval)


def _parse_objective(file: str, where: str, raw: Any, roster: Roster,
                     managers: tuple[str, ...]) -> Objective:
    _need(isinstance(raw, dict), file, where, "expected an object")
    _need(isinstance(raw.get("objective"), str) and bool(raw["objective"]), file,
          f"{where}.objective", "must be a non-empty string")
    manager = raw.get("manager")
    _need(manager in managers, file, f"{where}.manager", f"must be one of the service's managers "
          f"{', '.join(managers)}, not {manager!r}")
    steps_raw = raw.get("steps")
    _need(isinstance(steps_raw, list) and bool(steps_raw), file, f"{where}.steps",
          "must be a non-empty list")
    steps = tuple(_parse_step(file, f"{where}.steps[{j}]", s, roster) for j, s in enumerate(steps_raw))
    return Objective(raw["objective"], str(manager), steps)


def parse_service(file: str, index: int, raw: dict[str, Any], roster: Roster) -> ServiceSpec:
    sid = raw.get("id")
    where = f"services[{sid}]" if isinstance(sid, str) else f"services[{index}]"
    _need(isinstance(sid, str) and bool(_ID.match(sid)), file, f"{where}.id",
          "must be lowercase letters, digits and dashes")
    extra = sorted(set(raw) - _FIELDS)
    _need(not extra, file, f"{where}.{extra[0] if extra else ''}",
          f"unknown field; known fields: {', '.join(sorted(_FIELDS))}")
    for key in ("name", "description", "strategist", "currency"):
        _need(isinstance(raw.get(key), str) and bool(raw[key]), file, f"{where}.{key}",
              "must be a non-empty string")
    ids = {a.id: a.tier for a in roster.agents}
    _need(ids.get(raw["strategist"]) == "strategist", file, f"{where}.strategist",
          f"{raw['strategist']!r} is not a strategist in the roster")
    managers: Any = raw.get("managers")
    _need(isinstance(managers, list) and bool(managers), file, f"{where}.managers",
          "must be a non-empty list of manager ids")
    for m in managers:
        _need(ids.get(m) == "manager", file, f"{where}.managers", f"{m!r} is not a manager in the roster")
    keywords: Any = raw.get("keywords")
    _need(isinstance(keywords, list) and all(isinstance(k, str) and k for k in keywords),
          file, f"{where}.keywords", "must be a list of strings")
    price: Any = raw.get("price_minor")
    _need(isinstance(price, int) and not isinstance(price, bool) and price >= 0, file,
          f"{where}.price_minor", "must be a non-negative integer (minor units)")
    requires_model = raw.get("requires_model", False)
    _need(isinstance(requires_model, bool), file, f"{where}.requires_model", "must be true or false")
    playbook_raw = raw.get("playbook", [])
    _need(isinstance(playbook_raw, list), file, f"{where}.playbook", "must be a list")
    _need(requires_model or bool(playbook_raw), file, f"{where}.playbook",
          "is empty; a service without a playbook must set requires_model: true")
    playbook = tuple(_parse_objective(file, f"{where}.playbook[{i}]", o, roster, tuple(managers))
                     for i, o in enumerate(playbook_raw))
    return ServiceSpec(
        id=str(sid), name=raw["name"], description=raw["description"],
        keywords=tuple(k.lower() for k in keywords), strategist=raw["strategist"],
        managers=tuple(managers), price_minor=price, currency=raw["currency"].upper(),
        requires_model=requires_model, playbook=playbook,
        source="packaged" if file.startswith("package:") else file,
    )


def load_catalog(home: Path | None, roster: Roster) -> Catalog:
    """Packaged catalog, then ``$IZA_HOME/agents/service_catalog.json`` on top (by id)."""
    name = "package:iza/agents/data/service_catalog.json"
    text = resources.files("iza.agents").joinpath("data/service_catalog.json").read_text("utf-8")
    sources = [(name, text)]
    if home is not None:
        user = home / "agents" / "service_catalog.json"
        if user.is_file():
            sources.append((str(user), user.read_text("utf-8")))
    services: dict[str, ServiceSpec] = {}
    for file, body in sources:
        seen: set[str] = set()
        for i, raw in enumerate(load_json_source(file, body, "services")):
            spec = parse_service(file, i, raw, roster)
            _need(spec.id not in seen, file, f"services[{spec.id}].id", "defined twice in this file")
            seen.add(spec.id)
            services[spec.id] = spec
    return Catalog(tuple(services.values()))
