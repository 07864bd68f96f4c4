"""The LLM-mode seam: a registered planner decides the spec, or falls back to the offline parser."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from iza.apps import AppSpec, Entity, Field, SpecError, parse_request, plan_spec, set_spec_planner


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    set_spec_planner(None)


def test_without_a_planner_the_offline_parser_decides() -> None:
    assert plan_spec("todo app with AI") == parse_request("todo app with AI")
    assert plan_spec("todo app with AI").mode == "offline"


def test_a_planner_that_cannot_answer_falls_back() -> None:
    asked: list[tuple[str, str | None]] = []

    def planner(request: str, blueprint: str | None) -> AppSpec | None:
        asked.append((request, blueprint))
        return None

    set_spec_planner(planner)
    assert plan_spec("notes app", "notes").mode == "offline"
    assert asked == [("notes app", "notes")]


def test_a_planner_spec_is_used_and_validated() -> None:
    def planner(request: str, blueprint: str | None) -> AppSpec | None:
        spec = parse_request(request)
        return dataclasses.replace(spec, mode="llm", name="Planned " + spec.name)

    set_spec_planner(planner)
    spec = plan_spec("habit tracker with streaks")
    assert spec.mode == "llm" and spec.name == "Planned Habit Tracker"

    def broken(request: str, blueprint: str | None) -> AppSpec | None:
        return AppSpec("X", "x", request, "tracker", (Entity("t", "T", "ts", (Field("n", "blob"),), "n"),))

    set_spec_planner(broken)
    with pytest.raises(SpecError, match="unknown type 'blob'"):
        plan_spec("anything")
