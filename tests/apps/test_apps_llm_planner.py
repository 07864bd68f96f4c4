"""LLM mode of the instant-app flow, against the project's fake OpenAI-compatible server.

``IZA_OPENAI_COMPAT_BASE_URL`` points iza.llm at a local :class:`FakeOpenAI`; the OpenAI SDK talks
HTTP to it and the router, journal and structured-output check are iza.llm's own. The script
decides what the "model" answers: a valid spec, an invalid one then a valid one, or garbage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iza.apps import WheelCache
from iza.apps._flow import plan_spec
from iza.apps._planner import SPEC_SCHEMA
from iza.apps._records import AppSpec, Entity, Field, SpecError
from iza.cli import main
from iza.errors import InputError
from iza.kernel.config import Settings, load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.llm.fakeservers import FakeOpenAI, Reply

BAKERY = {
    "name": "Bakery Stock",
    "blueprint": "inventory",
    "entities": [
        {"name": "item", "fields": [
            {"name": "name", "type": "str", "required": True},
            {"name": "quantity", "type": "int"},
            {"name": "unit_price", "type": "money"},
            {"name": "supplier_id", "type": "ref", "ref": "supplier"}]},
        {"name": "supplier", "fields": [
            {"name": "name", "type": "str", "required": True},
            {"name": "email", "type": "email"}]},
    ],
    "relations": [{"source": "item", "field": "supplier_id", "target": "supplier"}],
    "features": ["search", "tags"],
    "context": "a bakery",
}
#: fits the schema but breaks a spec rule (a ref to an entity that does not exist)
DANGLING = {**BAKERY, "entities": [BAKERY["entities"][0]], "relations": []}
#: a spec whose app cannot work: nobody can be created without a manager who already exists
SELF_REQUIRED = {
    "name": "Staff Directory",
    "blueprint": "tracker",
    "entities": [{"name": "employee", "fields": [
        {"name": "name", "type": "str", "required": True},
        {"name": "manager_id", "type": "ref", "ref": "employee", "required": True}]}],
    "relations": [{"source": "employee", "field": "manager_id", "target": "employee"}],
}
SELF_OPTIONAL = {**SELF_REQUIRED, "entities": [{"name": "employee", "fields": [
    {"name": "name", "type": "str", "required": True},
    {"name": "manager_id", "type": "ref", "ref": "employee"}]}]}


class Answers:
    """Replies in order (the last one repeats); what each request asked is kept."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> Reply:
        self.bodies.append(body)
        answer = self.answers[min(len(self.bodies), len(self.answers)) - 1]
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return Reply(text=text, input_tokens=800, output_tokens=300)

    def last_user_text(self, i: int) -> str:
        return str([m for m in self.bodies[i]["messages"] if m["role"] == "user"][-1]["content"])


@pytest.fixture
def llm_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Answers]]:
    servers: list[FakeOpenAI] = []

    def start(*answers: Any) -> Answers:
        script = Answers(*answers)
        server = FakeOpenAI(script).start()
        servers.append(server)
        monkeypatch.setenv("IZA_OPENAI_COMPAT_BASE_URL", server.base_url + "/v1")
        monkeypatch.setenv("IZA_LLM_MAX_RETRIES", "0")
        return script

    yield start
    for server in servers:
        server.stop()


def _plan(home: Path, request: str) -> AppSpec:
    settings = load(home)
    ensure_home(settings)
    store = Store.from_settings(settings)
    store.migrate()
    try:
        return plan_spec(request, settings=settings, store=store)
    finally:
        store.dispose()


def test_a_valid_answer_is_the_spec(llm_env: Callable[..., Answers], home: Path) -> None:
    script = llm_env(BAKERY)
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "llm" and spec.name == "Bakery Stock" and spec.slug == "bakery-stock"
    assert [e.name for e in spec.entities] == ["item", "supplier"]
    assert spec.entity("item").title_field == "name" and spec.entity("supplier").plural == "suppliers"
    assert spec.features == ("search", "tags") and spec.relations[0].target == "supplier"
    assert len(script.bodies) == 1
    fmt = script.bodies[0]["response_format"]
    assert fmt["type"] == "json_schema"
    assert set(fmt["json_schema"]["schema"]["properties"]) == set(SPEC_SCHEMA["properties"])


def test_garbage_then_valid_is_repaired_by_iza_llm(llm_env: Callable[..., Answers], home: Path) -> None:
    script = llm_env("Sure! An inventory app with items and suppliers.", BAKERY)
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "llm" and spec.name == "Bakery Stock"
    assert len(script.bodies) == 2  # one repair round, no more


def test_a_spec_rule_broken_then_kept_is_repaired_here(llm_env: Callable[..., Answers],
                                                       home: Path) -> None:
    script = llm_env(DANGLING, BAKERY)
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "llm" and [e.name for e in spec.entities] == ["item", "supplier"]
    assert len(script.bodies) == 2
    assert "unknown entity 'supplier'" in script.last_user_text(1)  # the model was told what broke
    assert any(d.startswith("repaired once:") for d in spec.decisions)


def test_garbage_falls_back_to_the_offline_parser_labelled(llm_env: Callable[..., Answers],
                                                           home: Path) -> None:
    script = llm_env("I cannot help with that")
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "offline-fallback"
    assert spec.decisions[0].startswith("LLM planner fell back to the offline parser")
    assert [e.name for e in spec.entities] == ["item", "supplier"]  # the parser's own answer
    assert len(script.bodies) == 2  # iza.llm's repair attempt, then straight to the fallback


def test_still_invalid_after_the_repair_round_falls_back(llm_env: Callable[..., Answers],
                                                         home: Path) -> None:
    script = llm_env(DANGLING)
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "offline-fallback" and "still invalid after one repair round" in spec.decisions[0]
    assert len(script.bodies) == 2


def test_offline_stays_the_default(home: Path) -> None:
    spec = _plan(home, "inventory for a bakery with suppliers")
    assert spec.mode == "offline"


def test_the_planner_can_be_switched_off(llm_env: Callable[..., Answers], home: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    script = llm_env(BAKERY)
    monkeypatch.setenv("IZA_APPS_PLANNER", "offline")
    assert _plan(home, "inventory for a bakery with suppliers").mode == "offline"
    assert script.bodies == []


def test_names_the_generated_models_cannot_use_are_refused() -> None:
    for name in ("str", "model_config", "model_dump"):
        spec = AppSpec(name="T", slug="t", request="", blueprint="tracker", entities=(
            Entity("thing", "Thing", "things", (Field("title", "str"), Field(name, "str")), "title"),))
        with pytest.raises(SpecError, match="bad field name"):
            spec.validate()


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


@pytest.mark.slow
def test_llm_app_failing_verification_is_repaired_once(
        llm_env: Callable[..., Answers], home: Path, wheel_cache: WheelCache,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))
    script = llm_env(SELF_REQUIRED, SELF_OPTIONAL)
    code, result, err = _cli(capsys, "demo-app", "staff directory with managers", "--json")
    assert code == 0, err
    assert result["status"] == "delivered" and result["mode"] == "llm"
    assert result["repaired_from"] == "tests"  # the first app could not create its first employee
    assert result["spec"]["entities"][0]["fields"][1]["required"] is False
    assert len(script.bodies) == 2
    assert 'failed its verification at step "tests"' in script.last_user_text(1)
    assert any("failed verification at tests" in n for n in result["notes"])


@pytest.mark.slow
def test_llm_app_still_failing_after_the_repair_is_reported_failed(
        llm_env: Callable[..., Answers], home: Path, wheel_cache: WheelCache,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))
    script = llm_env(SELF_REQUIRED)
    code, result, _ = _cli(capsys, "demo-app", "staff directory with managers", "--json")
    assert code == 1
    assert result["status"] == "failed" and result["failed_step"]["name"] == "tests"
    assert result["repaired_from"] == "tests" and len(script.bodies) == 2


def test_a_request_only_the_model_understands_is_planned(llm_env: Callable[..., Answers],
                                                        home: Path) -> None:
    """The offline parser finds nothing to keep track of in "something for my"; the model can."""
    with pytest.raises(InputError):
        plan_spec("something for my")
    script = llm_env(BAKERY)
    assert _plan(home, "something for my").mode == "llm" and len(script.bodies) == 1


def test_when_neither_can_read_it_the_error_says_both(llm_env: Callable[..., Answers], home: Path) -> None:
    llm_env("no idea")
    with pytest.raises(InputError, match="the LLM planner gave no usable spec .* could not tell"):
        _plan(home, "something for my")


def test_a_bad_request_is_an_error_before_any_model_call(llm_env: Callable[..., Answers],
                                                         home: Path) -> None:
    script = llm_env(BAKERY)
    with pytest.raises(InputError, match="names nothing to build"):
        _plan(home, "?!")
    assert script.bodies == []
