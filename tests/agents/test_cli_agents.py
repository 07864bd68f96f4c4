"""``iza agents`` through the real command (click runner, real data home)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iza.cli import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([*args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_list_by_tier_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "agents", "list", "--json")
    agents = json.loads(out)["agents"]
    assert code == 0 and len(agents) >= 48
    assert all("tier" in a for a in agents)
    code, out, _ = _run(capsys, "agents", "list", "--tier", "manager", "--json")
    managers = json.loads(out)["agents"]
    assert len(managers) == 8 and {a["tier"] for a in managers} == {"manager"}


def test_show_json_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "agents", "show", "mgr-apps", "--json")
    data = json.loads(out)
    assert code == 0 and data["tier"] == "manager" and "wkr-apps-1" in data["reports"]
    code, _, err = _run(capsys, "agents", "show", "nobody")
    assert code == 2 and "no agent 'nobody'" in err and "fix:" in err


def test_services_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "agents", "services", "--json")
    services = {s["id"]: s for s in json.loads(out)["services"]}
    assert services["content-writing"]["requires_model"] is True
    assert services["instant-app"]["playbook"]


def test_invalid_user_file_exits_2_naming_it(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    (home / "agents").mkdir(parents=True)
    (home / "agents" / "roster.json").write_text('{"agents": [{"id": "x1"}]}')
    code, _, err = _run(capsys, "agents", "list")
    assert code == 2
    assert "roster.json: agents[x1].tier: must be a non-empty string" in err
