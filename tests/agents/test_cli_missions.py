"""``iza missions`` through the real command: run, list, show, trace, approve, reject, cancel."""

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


def test_run_show_list_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "missions", "run", "Automate our invoice workflow", "--json")
    view = json.loads(out)
    assert code == 0 and view["state"] == "completed" and view["mode"] == "offline-playbook"
    mid = view["id"]
    code, out, _ = _run(capsys, "missions", "show", mid)
    assert code == 0 and "mode: offline-playbook" in out and "workflow-automation" in out
    assert "assigned" in out and "expected finish" in out
    code, out, _ = _run(capsys, "missions", "list", "--json")
    assert [m["id"] for m in json.loads(out)["missions"]] == [mid]
    code, out, _ = _run(capsys, "missions", "list")
    assert "offline-playbook" in out
    code, out, _ = _run(capsys, "missions", "trace", mid, "--json")
    spans = json.loads(out)["spans"]
    assert {s["kind"] for s in spans} == {"agent", "tool"}
    target = tmp_path / "trace.json"
    code, _, _ = _run(capsys, "missions", "trace", mid, "--otel", str(target))
    assert code == 0 and json.loads(target.read_text())["resourceSpans"]
    code, out, _ = _run(capsys, "missions", "trace", mid)
    assert "write_file" in out and "mode: offline-playbook" in out


def test_approve_reject_cancel_resume(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "missions", "run", "monthly retainer", "--json")
    first = json.loads(out)
    assert code == 0 and first["state"] == "awaiting_approval"
    code, out, _ = _run(capsys, "missions", "list", "--state", "awaiting_approval", "--json")
    assert [m["id"] for m in json.loads(out)["missions"]] == [first["id"]]
    code, _, err = _run(capsys, "missions", "resume", first["id"])
    assert code == 2 and "waiting for approval" in err
    code, out, _ = _run(capsys, "missions", "approve", first["id"], "--note", "go", "--json")
    assert code == 0 and json.loads(out)["state"] == "completed"

    _, out, _ = _run(capsys, "missions", "run", "monthly retainer", "--json")
    second = json.loads(out)["id"]
    code, out, _ = _run(capsys, "missions", "reject", second, "--json")
    assert code == 0 and json.loads(out)["state"] == "rejected"
    code, _, err = _run(capsys, "missions", "cancel", second)
    assert code == 2 and "already rejected" in err

    _, out, _ = _run(capsys, "missions", "run", "monthly retainer", "--json")
    third = json.loads(out)["id"]
    code, out, _ = _run(capsys, "missions", "cancel", third, "--json")
    assert code == 0 and json.loads(out)["state"] == "cancelled"
    _, out, _ = _run(capsys, "missions", "run", "monthly retainer", "--json")
    fourth = json.loads(out)["id"]
    code, out, _ = _run(capsys, "missions", "cancel", fourth)
    assert code == 0 and "cancelled" in out and "mode: offline-playbook" in out


def test_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "missions", "run", "Write a blog post about tea")
    assert code == 2 and "needs a language model" in err and "fix:" in err
    code, _, err = _run(capsys, "missions", "run", "zzz qqq")
    assert code == 2 and "no catalog service matches" in err and "--service" in err
    code, _, err = _run(capsys, "missions", "run", "x", "--service", "nope")
    assert code == 2 and "no service 'nope'" in err
    code, _, err = _run(capsys, "missions", "show", "m-missing")
    assert code == 2 and "no mission 'm-missing'" in err
    code, out, _ = _run(capsys, "missions", "list", "--json")
    assert json.loads(out)["missions"] == []  # nothing half-created
