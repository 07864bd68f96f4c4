"""Roster and service catalog: packaged data, user overrides, and rejected definitions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iza.agents import DefinitionError, default_registry, load_definitions
from iza.agents._workforce import Workforce
from iza.kernel.config import Settings


def test_packaged_roster_has_the_three_tiers() -> None:
    roster, catalog = load_definitions(None)
    assert len(roster.tier("strategist")) == 4
    assert len(roster.tier("manager")) == 8
    assert len(roster.tier("worker")) >= 36
    for agent in roster.agents:
        assert agent.skills and agent.tools and agent.model and agent.capacity >= 1
        assert agent.task_budget_micros > 0
        assert set(agent.tools) <= default_registry().names()
    ids = {s.id for s in catalog.services}
    assert {"instant-app", "ai-chatbot", "workflow-automation", "knowledge-base",
            "monthly-retainer"} <= ids
    for service in catalog.services:
        assert service.requires_model or service.playbook


def _write(home: Path, name: str, data: object) -> Path:
    path = home / "agents" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


WORKER = {"id": "wkr-custom-1", "name": "Custom", "tier": "worker", "role": "Video editor",
          "skills": ["video-editing"], "tools": ["write_file"], "model": "fast", "capacity": 3,
          "task_budget_micros": 1000, "reports_to": "mgr-content"}


def test_user_roster_replaces_and_extends(settings: Settings) -> None:
    changed = {**WORKER, "id": "wkr-apps-1", "name": "Renamed", "skills": ["requirements"]}
    _write(settings.home, "roster.json", {"agents": [WORKER, changed]})
    roster, _ = load_definitions(settings.home)
    assert roster.get("wkr-custom-1").skills == ("video-editing",)
    assert roster.get("wkr-apps-1").name == "Renamed"
    assert roster.get("wkr-custom-1").source.endswith("roster.json")
    assert len(roster.tier("worker")) == 41


def test_user_catalog_adds_a_service(settings: Settings) -> None:
    _write(settings.home, "roster.json", {"agents": [WORKER]})
    service = {"id": "promo-video", "name": "Promo video", "description": "A video script.",
               "keywords": ["video"], "strategist": "str-growth", "managers": ["mgr-content"],
               "price_minor": 100, "currency": "usd", "playbook": [
                   {"objective": "Script", "manager": "mgr-content", "steps": [
                       {"id": "s1", "title": "Write it", "skill": "video-editing", "tool": "write_file",
                        "args": {"path": "x.md", "content": "{request}"}}]}]}
    _write(settings.home, "service_catalog.json", {"services": [service]})
    _, catalog = load_definitions(settings.home)
    assert catalog.get("promo-video").currency == "USD"
    assert len(catalog.services) >= 9


@pytest.mark.parametrize(("patch", "field", "reason"), [
    ({"tier": "intern"}, "agents[wkr-custom-1].tier", "must be one of"),
    ({"tools": ["launch_rockets"]}, "agents[wkr-custom-1].tools", "unknown tool"),
    ({"capacity": 0}, "agents[wkr-custom-1].capacity", "positive integer"),
    ({"skills": []}, "agents[wkr-custom-1].skills", "non-empty list"),
    ({"reports_to": "mgr-nobody"}, "agents[wkr-custom-1].reports_to", "not an agent"),
    ({"id": "Bad Id"}, "agents[Bad Id].id", "lowercase"),
    ({"skils": ["typo"]}, "agents[wkr-custom-1].skils", "unknown field"),
])
def test_invalid_roster_names_file_field_reason(settings: Settings, patch: dict[str, object],
                                                 field: str, reason: str) -> None:
    path = _write(settings.home, "roster.json", {"agents": [{**WORKER, **patch}]})
    with pytest.raises(DefinitionError) as info:
        load_definitions(settings.home)
    assert info.value.file == str(path)
    assert info.value.field == field
    assert reason in info.value.reason


def test_missing_field_and_bad_json(settings: Settings) -> None:
    broken = {k: v for k, v in WORKER.items() if k != "model"}
    _write(settings.home, "roster.json", {"agents": [broken]})
    with pytest.raises(DefinitionError, match=r"agents\[wkr-custom-1\]\.model"):
        load_definitions(settings.home)
    _write(settings.home, "roster.json", "{not json")
    with pytest.raises(DefinitionError, match="not valid JSON"):
        load_definitions(settings.home)


@pytest.mark.parametrize(("patch", "field", "reason"), [
    ({"strategist": "mgr-apps"}, "services[bad].strategist", "not a strategist"),
    ({"managers": ["wkr-apps-1"]}, "services[bad].managers", "not a manager"),
    ({"price_minor": -1}, "services[bad].price_minor", "non-negative"),
    ({"prize": 3}, "services[bad].prize", "unknown field"),
    ({"playbook": []}, "services[bad].playbook", "requires_model"),
    ({"playbook": [{"objective": "x", "manager": "mgr-apps", "steps": [
        {"id": "a", "title": "t", "skill": "juggling", "tool": "write_file"}]}]},
     "services[bad].playbook[0].steps[0].skill", "no worker has skill 'juggling'"),
])
def test_invalid_catalog_names_file_field_reason(settings: Settings, patch: dict[str, object],
                                                  field: str, reason: str) -> None:
    service = {"id": "bad", "name": "Bad", "description": "d", "keywords": ["bad"],
               "strategist": "str-growth", "managers": ["mgr-apps"], "price_minor": 1,
               "currency": "USD", "playbook": [{"objective": "o", "manager": "mgr-apps", "steps": [
                   {"id": "a", "title": "t", "skill": "frontend", "tool": "write_file"}]}]}
    path = _write(settings.home, "service_catalog.json", {"services": [{**service, **patch}]})
    with pytest.raises(DefinitionError) as info:
        load_definitions(settings.home)
    assert (info.value.file, info.value.field) == (str(path), field)
    assert reason in info.value.reason


def test_workforce_refuses_invalid_definitions(settings: Settings) -> None:
    _write(settings.home, "roster.json", {"agents": [{**WORKER, "tier": "boss"}]})
    with pytest.raises(DefinitionError):
        Workforce.from_settings(settings)
