"""``iza demo-app`` end to end, as a user runs it: files, JSON, events, hooks, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iza.apps import AppRequest, EventBusHooks, WheelCache, set_delivery_hooks
from iza.cli import main
from iza.kernel.config import load
from iza.kernel.events import recent
from iza.kernel.store import Store

pytestmark = pytest.mark.slow


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cache_env(wheel_cache: WheelCache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))


def app_events(home: Path) -> list[tuple[str, dict[str, Any]]]:
    store = Store.from_settings(load(home))
    try:
        return [(e.name, e.payload) for e in reversed(recent(store, names=["app.*"]))]
    finally:
        store.dispose()


def test_demo_app_delivers_a_verified_app(capsys: pytest.CaptureFixture[str], home: Path,
                                          cache_env: None) -> None:
    code, out, err = run(capsys, "demo-app", "todo app with AI", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"status", "app_dir", "spec", "blueprint", "tests", "probe", "order_id", "mission_id",
            "mode"} <= set(data)
    assert data["status"] == "delivered" and data["mode"] == "offline" and data["blueprint"] == "tasks"
    assert data["app_dir"] == str(home / "apps" / "todo-app")
    assert data["tests"]["passed"] > 0 and data["tests"]["failed"] == 0
    assert data["probe"]["task"]["ok"] is True
    assert data["order_id"].startswith("ord_") and data["mission_id"].startswith("m-")
    assert data["notes"] == []
    assert (home / "apps" / "todo-app" / "iza_app.json").is_file()
    names = [n for n, _ in app_events(home)]
    assert names == ["app.requested", "app.spec_decided", "app.delivered"]
    delivered = app_events(home)[-1][1]
    assert delivered["slug"] == "todo-app" and delivered["tests_passed"] == data["tests"]["passed"]

    # the same request again never overwrites the first app; human output says offline
    code, out, err = run(capsys, "demo-app", "todo app with AI")
    assert code == 0, err
    assert "mode: offline" in out and "delivered" in out
    assert "order ord_" in out and "iza missions trace m-" in out
    assert str(home / "apps" / "todo-app-2") in out.replace("\n", "")
    assert (home / "apps" / "todo-app" / "README.md").is_file()


class OrderingHooks(EventBusHooks):
    """Stands in for the business/agents wiring the lead adds: real ids, events still flow."""

    def create_order(self, request: AppRequest) -> str | None:
        super().create_order(request)
        return f"ord_{request.request_id[:8]}"

    def create_mission(self, request: AppRequest, order_id: str | None) -> str | None:
        return f"mis_for_{order_id}"


def test_wired_hooks_put_order_and_mission_in_the_result(capsys: pytest.CaptureFixture[str], home: Path,
                                                         cache_env: None) -> None:
    set_delivery_hooks(OrderingHooks)
    try:
        code, out, err = run(capsys, "demo-app", "zorgblat tracker", "--json")
    finally:
        set_delivery_hooks(None)
    assert code == 0, err
    data = json.loads(out)
    assert data["order_id"].startswith("ord_") and data["mission_id"] == f"mis_for_{data['order_id']}"
    assert data["notes"] == []
    delivered = app_events(home)[-1]
    assert delivered[0] == "app.delivered" and delivered[1]["order_id"] == data["order_id"]


@pytest.mark.parametrize("request_text", ["", "an app", "???"])
def test_bad_request_is_a_clear_error_and_records_nothing(capsys: pytest.CaptureFixture[str], home: Path,
                                                          request_text: str) -> None:
    code, out, err = run(capsys, "demo-app", request_text, "--json")
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and "fix:" in err
    assert not (home / "apps").exists() or not any((home / "apps").iterdir())
    assert not (home / "data" / "iza.db").exists() or app_events(home) == []


def test_out_folder_that_is_not_empty_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 home: Path) -> None:
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("precious")
    code, _, err = run(capsys, "demo-app", "notes app", "--out", str(out_dir))
    assert code == 2 and "already exists" in err
    assert (out_dir / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in out_dir.iterdir()) == ["keep.txt"]


def test_a_failing_step_is_reported_and_not_delivered(
        capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "wheels.txt"
    not_a_folder.write_text("apps.wheel_cache must be a folder")
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(not_a_folder))
    code, out, _ = run(capsys, "demo-app", "notes app", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "failed" and data["failed_step"]["name"] == "wheels"
    assert data["tests"] == {"passed": 0, "failed": 0}
    names = [n for n, _ in app_events(home)]
    assert names == ["app.requested", "app.spec_decided", "app.failed"]
    assert app_events(home)[-1][1]["step"] == "wheels"
    code, out, _ = run(capsys, "demo-app", "notes app")
    assert code == 1 and "failed at step wheels" in out
