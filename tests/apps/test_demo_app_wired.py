"""``iza demo-app`` with the whole system taking part: order, mission and trace, memories, events.

The default delivery hooks are the real ones (business order, agents mission, unified memory),
so these tests read what a user's data home holds after one run, through each subsystem's API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iza.agents import mission_namespace, mission_view, timeline
from iza.apps import WheelCache
from iza.business._models import LedgerRow, OrderRow
from iza.cli import main
from iza.kernel.config import load
from iza.kernel.events import recent
from iza.kernel.store import Store
from iza.memory import open_store

pytestmark = pytest.mark.slow


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def read_home(home: Path, order_id: str, mission_id: str) -> dict[str, Any]:
    """Everything the run left behind, read back through the subsystems' own APIs."""
    settings = load(home)
    store = Store.from_settings(settings)
    try:
        with store.read() as session:
            order = session.get(OrderRow, order_id)
            assert order is not None
            order_row = {"status": order.status, "source": order.source,
                         "amount": order.amount_minor, "service": order.service_slug,
                         "mission_id": order.mission_id}
            ledger = session.query(LedgerRow).count()
        memory = open_store(settings)
        records = memory.list(mission_namespace(mission_id), limit=100)
        return {
            "order": order_row,
            "ledger_rows": ledger,
            "mission": mission_view(store, mission_id),
            "trace": timeline(store, mission_id),
            "memories": records,
            "events": [(e.name, e.payload) for e in reversed(recent(
                store, 200, names=["app.*", "order.*", "mission.*"]))],
        }
    finally:
        store.dispose()


def test_demo_app_creates_order_mission_memories_and_events(
        capsys: pytest.CaptureFixture[str], home: Path, wheel_cache: WheelCache,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))
    code, data, err = run(capsys, "demo-app", "todo app with AI", "--json")
    assert code == 0, err
    assert data["status"] == "delivered"
    order_id, mission_id = data["order_id"], data["mission_id"]
    seen = read_home(home, order_id, mission_id)

    # a demo order of the instant-app service, delivered by this mission, and no revenue
    assert seen["order"] == {"status": "delivered", "source": "demo", "amount": 0,
                             "service": "instant-app", "mission_id": mission_id}
    assert seen["ledger_rows"] == 0

    mission = seen["mission"]
    assert mission["state"] == "completed" and mission["service"] == "instant-app"
    assert mission["order_id"] == order_id
    assert mission["mode"] == "offline-playbook"
    tools = [t["tool"] for t in mission["tasks"] if t["state"] == "done" and t["tool"]]
    assert tools[:2] == ["apps.parse_request", "apps.generate_app"]
    assert "apps.verify:tests" in tools and "apps.verify:probe" in tools
    # the generic playbook placeholders were not run, and say so
    assert {t["state"] for t in mission["tasks"] if t["tool"] == "write_file"} == {"skipped"}
    tool_spans = [s["name"] for s in seen["trace"] if s["kind"] == "tool"]
    assert tool_spans == tools and all(s["status"] == "ok" for s in seen["trace"])
    assert any(s["agent"] == "mgr-apps" for s in seen["trace"])
    # spans carry each step's own time, laid out one after another
    spans = {s["name"]: s for s in seen["trace"] if s["kind"] == "tool"}
    assert spans["apps.verify:tests"]["duration_ms"] > 0
    assert spans["apps.verify:install"]["start"] <= spans["apps.verify:tests"]["start"]

    kinds = sorted({r.kind for r in seen["memories"]})
    assert kinds == ["decision", "spec"]
    spec = next(r for r in seen["memories"] if r.kind == "spec")
    assert spec.metadata["slug"] == "todo-app"
    for record in seen["memories"]:
        assert record.provenance["mission_id"] == mission_id
        assert record.provenance["order_id"] == order_id
        assert record.provenance["request_id"] == data["request_id"]

    names = [n for n, _ in seen["events"]]
    for name in ("app.requested", "order.created", "mission.created", "app.spec_decided",
                 "mission.completed", "order.delivered", "app.delivered"):
        assert name in names, names
    assert names.index("order.delivered") < names.index("app.delivered")
    delivered = dict(seen["events"])["app.delivered"]
    assert delivered["order_id"] == order_id and delivered["mission_id"] == mission_id


def test_failing_verification_fails_order_and_mission(
        capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "wheels.txt"
    not_a_folder.write_text("apps.wheel_cache must be a folder")
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(not_a_folder))
    code, data, _ = run(capsys, "demo-app", "notes app", "--json")
    assert code == 1 and data["status"] == "failed"
    seen = read_home(home, data["order_id"], data["mission_id"])

    assert seen["order"]["status"] == "failed" and seen["ledger_rows"] == 0
    mission = seen["mission"]
    assert mission["state"] == "failed" and "wheels" in (mission["error"] or "")
    failed = [t for t in mission["tasks"] if t["state"] == "failed" and t["kind"] == "work"]
    assert [t["tool"] for t in failed] == ["apps.verify:wheels"]
    assert any(s["name"] == "apps.verify:wheels" and s["status"] == "error" for s in seen["trace"])
    names = [n for n, _ in seen["events"]]
    assert "mission.failed" in names and "app.failed" in names
    assert "order.delivered" not in names and "mission.completed" not in names
    assert dict(seen["events"])["app.failed"]["order_id"] == data["order_id"]


def test_the_flow_records_on_both_databases(store: Store, home: Path, wheel_cache: WheelCache,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The same hooks on SQLite and PostgreSQL: the order and mission end up consistent."""
    from iza.apps import run_demo_app
    from iza.kernel.home import ensure_home

    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))
    settings = load(home)
    ensure_home(settings)
    result = run_demo_app("notes app", settings, store)
    assert result.status == "delivered", result.as_dict()["failed_step"]
    with store.read() as session:
        order = session.get(OrderRow, result.order_id)
        assert order is not None
        assert (order.status, order.source, order.mission_id) == ("delivered", "demo", result.mission_id)
    mission = mission_view(store, str(result.mission_id))
    assert mission["state"] == "completed" and mission["order_id"] == result.order_id
    assert [s["name"] for s in timeline(store, str(result.mission_id)) if s["kind"] == "tool"][:2] == [
        "apps.parse_request", "apps.generate_app"]
    names = [e.name for e in recent(store, 100, names=["app.*", "order.*", "mission.*"])]
    assert "app.delivered" in names and "order.delivered" in names and "mission.completed" in names
