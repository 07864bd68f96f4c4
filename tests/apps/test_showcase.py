"""``iza showcase``: packaged scenarios, the step registry and honest "not wired" steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iza.apps._showcase import StepContext, register_step, run_scenario
from iza.cli import main
from iza.kernel.config import Settings
from iza.kernel.store import Store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_list_packaged_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "showcase", "--list", "--json")
    assert code == 0
    scenarios = {s["id"]: s["steps"] for s in json.loads(out)["scenarios"]}
    assert "demo_app" in scenarios["instant-app"] and "stripe.checkout" in scenarios["instant-app"]


def test_registered_steps_run_and_a_failure_stops_the_scenario(sqlite_store: Store,
                                                                settings: Settings) -> None:
    seen: list[dict[str, Any]] = []

    def arrive(ctx: StepContext, args: dict[str, Any]) -> str:
        seen.append(args)
        ctx.shared["lead"] = args["email"]
        return f"lead {args['email']}"

    def explode(ctx: StepContext, args: dict[str, Any]) -> str:
        raise RuntimeError(f"no checkout for {ctx.shared['lead']}")

    register_step("test.arrive", arrive)
    register_step("test.explode", explode)
    scenario = {"id": "t", "title": "T", "steps": [
        {"kind": "test.arrive", "title": "arrive", "args": {"email": "a@example.com"}},
        {"kind": "workflow.run", "title": "workflow"},
        {"kind": "test.explode", "title": "explode"},
        {"kind": "test.arrive", "title": "again", "args": {"email": "b@example.com"}},
    ]}
    result = run_scenario(scenario, StepContext(settings, sqlite_store))
    assert [s["status"] for s in result["steps"]] == ["ok", "not_wired", "failed", "not_run"]
    assert "workflows subsystem" in result["steps"][1]["detail"]
    assert result["steps"][2]["detail"] == "no checkout for a@example.com"
    assert seen == [{"email": "a@example.com"}] and result["ok"] is False


def test_bad_user_scenarios_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "showcase_scenarios.json").write_text('{"scenarios": [{"id": "x"}]}')
    code, out, err = run(capsys, "showcase", "--json")
    assert code == 2 and out == ""
    assert "not a valid scenarios file" in err and "fix:" in err
    code, _, err = run(capsys, "showcase", "--scenario", "nope")
    assert code == 2


