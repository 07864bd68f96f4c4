"""The kernel's commands through ``iza.cli.main``, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iza.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_init_status_doctor_on_a_new_home(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    code, out, _ = run(capsys, "init", "--json")
    from iza.kernel.config import load
    from iza.kernel.store import Store

    heads = list(Store.from_settings(load(home)).migration_state().heads)
    assert code == 0 and json.loads(out)["migrations"] == heads
    assert (home / "data" / "iza.db").is_file()
    code, out, _ = run(capsys, "status", "--json")
    comps = json.loads(out)["components"]
    assert code == 0
    assert [c["name"] for c in comps][0] == "kernel"
    assert all(set(c) >= {"name", "status", "detail"} for c in comps)
    assert comps[0]["status"] == "ok"
    assert [c["stage"] for c in comps] == sorted(
        [c["stage"] for c in comps],
        key=["kernel", "memory", "llm", "agents", "workflows", "interfaces"].index)
    code, out, _ = run(capsys, "doctor", "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    levels = {c["name"]: c["level"] for c in report["checks"]}
    assert levels["llm providers"] == "warn" and levels["database"] == "ok"


def test_init_is_idempotent_and_keeps_user_settings(capsys: pytest.CaptureFixture[str],
                                                    home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("[server]\nport = 9999\n")
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "init")[0] == 0
    assert (home / "iza.toml").read_text() == "[server]\nport = 9999\n"
    code, out, _ = run(capsys, "config", "show", "--json")
    assert json.loads(out)["settings"]["server.port"] == {"value": 9999,
                                                          "source": str(home / "iza.toml")}


def test_doctor_fails_when_database_unreachable(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_DATABASE_URL", "postgresql://x@127.0.0.1:1/none?connect_timeout=2")
    code, out, _ = run(capsys, "doctor", "--json")
    failed = [c for c in json.loads(out)["checks"] if c["level"] == "fail"]
    assert code == 1 and any(c["name"] == "database" for c in failed)


def test_bad_settings_give_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                               home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("nonsense_key = 1\n")
    code, out, err = run(capsys, "status")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "nonsense_key" in err and "fix:" in err
    assert (home / "iza.toml").read_text() == "nonsense_key = 1\n"


def test_unreachable_database_exits_1(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_DATABASE_URL", "postgresql://x@127.0.0.1:1/none?connect_timeout=2")
    code, _, err = run(capsys, "db", "status")
    assert code == 1 and err.startswith("error: the database at postgresql") and "\n" == err[-1]


def test_debug_shows_traceback(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("nonsense_key = 1\n")
    proc = subprocess.run([sys.executable, "-m", "iza", "--debug", "status"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "ConfigError" in proc.stderr


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--no-such-flag")
    assert code == 2 and "no-such-flag" in err


def test_db_migrate_and_status(capsys: pytest.CaptureFixture[str], pg_url: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_DATABASE_URL", pg_url)
    code, out, _ = run(capsys, "db", "status", "--json")
    assert code == 0 and json.loads(out)["up_to_date"] is False
    code, out, _ = run(capsys, "db", "migrate", "--json")
    migrated = json.loads(out)
    assert code == 0 and migrated["after"] and migrated["before"] == []
    code, out, _ = run(capsys, "db", "status", "--json")
    data = json.loads(out)
    assert data["up_to_date"] is True and data["dialect"] == "postgresql"


def test_tokens_and_events(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "tokens", "create", "ops", "--json")
    created = json.loads(out)
    assert code == 0 and created["token"].startswith("iza_")
    code, out, _ = run(capsys, "tokens", "list", "--json")
    assert [t["name"] for t in json.loads(out)] == ["ops"] and created["token"] not in out
    code, out, _ = run(capsys, "events", "tail", "--json")
    names = [json.loads(line)["name"] for line in out.splitlines()]
    assert "auth.token_created" in names
    assert run(capsys, "tokens", "revoke", "ops")[0] == 0
    code, _, err = run(capsys, "tokens", "revoke", "missing")
    assert code == 2 and "no token named 'missing'" in err


def test_help_lists_commands_without_importing_subsystems() -> None:
    code = (
        "import sys\n"
        "from iza.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'sqlalchemy', 'alembic',"
        " 'uvicorn', 'openai', 'anthropic', 'rich')]\n"
        "print('LOADED', bad)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in proc.stdout and "serve" in proc.stdout and "status" in proc.stdout
