"""``iza showcase`` end to end in a temp home (offline): every step's effect checked in the store.

The Stripe step signs a ``checkout.session.completed`` event and posts it through the web app's
real ``POST /webhooks/stripe``; ``order.paid`` then starts the delivering mission
(``agents.deliver_paid_orders``, which the showcase turns on for its run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from iza.agents import mission_namespace
from iza.agents._models import MissionRow
from iza.apps import WheelCache
from iza.apps._showcase import StepContext, run_scenario
from iza.business._models import LeadRow, LedgerRow, OrderRow, StripeEventRow
from iza.cli import main
from iza.kernel.config import Settings, load
from iza.kernel.events import recent
from iza.kernel.store import Store
from iza.memory import open_store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_instant_app_showcase_end_to_end(capsys: pytest.CaptureFixture[str], home: Path, db_url: str,
                                         wheel_cache: WheelCache, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite and on PostgreSQL (the store is the only thing that changes)."""
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(wheel_cache.path))
    monkeypatch.setenv("IZA_DATABASE_URL", db_url)
    code, out, err = run(capsys, "showcase", "--scenario", "instant-app", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True
    steps = {s["kind"]: s for s in data["scenarios"][0]["steps"]}
    assert [s["status"] for s in data["scenarios"][0]["steps"]] == ["ok"] * 6
    assert all(s["seconds"] >= 0 for s in steps.values())
    assert any("local secret" in n for n in data["notes"])  # no STRIPE_WEBHOOK_SECRET: said so
    lead_id = steps["lead.arrive"]["ids"]["lead_id"]
    demo_order = steps["demo_app"]["ids"]["order_id"]
    paid_order = steps["stripe.checkout"]["ids"]["order_id"]
    event_id = steps["stripe.checkout"]["ids"]["event_id"]
    mission_id = steps["mission.deliver"]["ids"]["mission_id"]
    demo_mission = steps["demo_app"]["ids"]["mission_id"]
    looks = {x["path"] for x in data["scenarios"][0]["look"]}
    assert {f"/orders/{paid_order}", f"/agents/missions/{mission_id}", "/revenue", "/memory"} <= looks

    store = Store.from_settings(load(home))
    try:
        with store.read() as session:
            lead = session.get(LeadRow, lead_id)
            assert lead is not None and lead.stage == "won" and lead.email == "dana@example.com"
            assert lead.demo_at is not None and lead.service_slug == "instant-app"  # qualified first
            paid = session.get(OrderRow, paid_order)
            assert paid is not None and paid.status == "delivered" and paid.paid_at is not None
            assert paid.mission_id == mission_id and paid.amount_minor == 4900
            demo = session.get(OrderRow, demo_order)
            assert demo is not None and demo.source == "demo" and demo.status == "delivered"
            ledger = list(session.scalars(sa.select(LedgerRow).where(LedgerRow.order_id == paid_order)))
            assert [(r.kind, r.amount_minor, r.currency) for r in ledger] == [("payment", 4900, "usd")]
            assert not list(session.scalars(sa.select(LedgerRow).where(LedgerRow.order_id == demo_order)))
            event = session.get(StripeEventRow, event_id)
            assert event is not None and event.outcome == "applied"
            mission = session.get(MissionRow, mission_id)
            assert mission is not None and mission.state == "completed" and mission.order_id == paid_order
        names = [e.name for e in recent(store, limit=500)]
        for name in ("lead.stage_changed", "order.paid", "payment.received", "order.delivered",
                     "mission.completed", "app.delivered"):
            assert name in names, name
    finally:
        store.dispose()
    assert "49.00 USD" in steps["ledger.report"]["detail"] and "(100%)" in steps["ledger.report"]["detail"]
    memory = open_store(load(home))
    try:
        records = memory.list(mission_namespace(demo_mission), limit=100)
    finally:
        close = getattr(memory, "close", None)
        if callable(close):
            close()
    kinds = {r.kind for r in records}
    assert "spec" in kinds and "decision" in kinds
    assert all(r.provenance["order_id"] == demo_order for r in records)
    assert (home / "apps" / "bakery-inventory" / "iza_app.json").is_file()


def test_checkout_step_needs_the_web_app(sqlite_store: Store, settings: Settings) -> None:
    """Run outside `iza showcase`, nothing hands the step a web app: it fails and says how to run it,
    rather than applying the event some other way."""
    scenario: dict[str, Any] = {"id": "t", "title": "T", "steps": [
        {"kind": "lead.arrive", "title": "lead", "args": {"name": "Ann", "email": "ann@example.com",
                                                           "message": "a todo app please"}},
        {"kind": "stripe.checkout", "title": "pay", "args": {}},
        {"kind": "ledger.report", "title": "ledger", "args": {}}]}
    result = run_scenario(scenario, StepContext(settings, sqlite_store))
    assert [s["status"] for s in result["steps"]] == ["ok", "failed", "not_run"]
    assert "no web app to post" in result["steps"][1]["detail"]
    with sqlite_store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LedgerRow)) == 0


def test_unqualified_lead_stays_an_inquiry(sqlite_store: Store, settings: Settings) -> None:
    scenario: dict[str, Any] = {"id": "t", "title": "T", "steps": [
        {"kind": "lead.arrive", "title": "lead", "args": {"name": "Bo", "email": "bo@example.com",
                                                           "message": "zzz qqq"}},
        {"kind": "lead.qualify", "title": "qualify", "args": {}}]}
    result = run_scenario(scenario, StepContext(settings, sqlite_store))
    assert [s["status"] for s in result["steps"]] == ["ok", "ok"]
    assert "not qualified" in result["steps"][1]["detail"]
    with sqlite_store.read() as session:
        lead = session.get(LeadRow, result["steps"][0]["ids"]["lead_id"])
        assert lead is not None and lead.stage == "inquiry"
