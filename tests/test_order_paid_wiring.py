"""The composition root's event wiring: ``order.paid`` (business) starts the delivering mission
(agents); the mission's LLM calls carry the order, and its completion delivers the order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from iza._system import wire_events
from iza.agents import list_missions, mission_view
from iza.business import OrderPaid
from iza.business._ledger import create_order, insert_entry, mark_order_paid
from iza.business._margins import margins
from iza.business._models import OrderRow
from iza.kernel.config import load
from iza.kernel.events import publish
from iza.kernel.store import Store
from iza.llm.fakeservers import FakeOpenAI
from llm_wire_script import WireScript


@pytest.fixture
def upstream(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text(json.dumps({"compat:*": [10.0, 80.0]}))
    with FakeOpenAI(WireScript()) as srv:
        monkeypatch.setenv("IZA_OPENAI_COMPAT_BASE_URL", srv.base_url + "/v1")
        monkeypatch.setenv("IZA_LLM_MAX_RETRIES", "0")
        yield srv


def _pay(store: Store, slug: str = "instant-app", amount: int = 49_900) -> str:
    with store.transaction() as session:
        order = create_order(store, session, service_slug=slug, amount_minor=amount, currency="usd")
        insert_entry(session, kind="payment", amount_minor=amount, currency="usd",
                     occurred_at=datetime.now(UTC), source="manual", source_key=f"pay:{order.id}",
                     order_id=order.id, service_slug=slug)
        mark_order_paid(store, session, order, datetime.now(UTC))
        return order.id


def _order(store: Store, order_id: str) -> OrderRow:
    with store.read() as session:
        row = session.get(OrderRow, order_id)
    assert row is not None
    return row


def test_paid_order_starts_its_mission_and_carries_its_llm_cost(
        store: Store, home: Path, upstream: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IZA_AGENTS_DELIVER_PAID_ORDERS", "true")
    unwire = wire_events(load(home), store, background=False)
    try:
        order_id = _pay(store)
        order = _order(store, order_id)
        assert order.mission_id and order.status == "delivered"
        view = mission_view(store, order.mission_id)
        assert view["state"] == "completed" and view["mode"] == "llm"
        assert view["order_id"] == order_id
        # a redelivered order.paid starts nothing new
        publish(store, OrderPaid(order_id, "instant-app", 49_900, "usd"))
        assert len(list_missions(store)) == 1
    finally:
        unwire()
    calls = len(upstream.requests)
    lo, hi = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    [row] = [r for r in margins(store, lo, hi, "order", UTC) if r["key"] == order_id]
    assert row["llm_costs"] == calls * 5 and row["margin"] == 49_900 - calls * 5


def test_off_by_default_and_unknown_services_start_nothing(
        store: Store, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unwire = wire_events(load(home), store, background=False)
    try:
        first = _pay(store)
        assert _order(store, first).mission_id is None and list_missions(store) == []
        monkeypatch.setenv("IZA_AGENTS_DELIVER_PAID_ORDERS", "true")
        unwire()
        unwire = wire_events(load(home), store, background=False)
        other = _pay(store, slug="no-such-service")
        assert _order(store, other).mission_id is None and list_missions(store) == []
        # offline, a paid workflow-automation order is delivered by its playbook, labelled so
        third = _pay(store, slug="workflow-automation")
        order = _order(store, third)
        assert order.status == "delivered"
        assert mission_view(store, order.mission_id or "")["mode"] == "offline-playbook"
    finally:
        unwire()
    with store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OrderRow)) == 3


def test_stripe_replay_of_a_paid_checkout_delivers_the_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the real command: a replayed checkout.session.completed pays an order, whose
    mission runs (offline playbook, labelled so) and delivers it."""
    from iza.cli import main

    session = {"id": "cs_test_1", "object": "checkout.session", "mode": "payment",
               "payment_status": "paid", "amount_total": 29_900, "currency": "usd",
               "customer_email": "ada@example.com", "metadata": {"iza_service": "workflow-automation"}}
    event = {"id": "evt_test_1", "object": "event", "type": "checkout.session.completed",
             "created": int(datetime.now(UTC).timestamp()), "api_version": "2025-03-31.basil",
             "data": {"object": session}}
    src = tmp_path / "events.json"
    src.write_text(json.dumps([event]))
    monkeypatch.setenv("IZA_AGENTS_DELIVER_PAID_ORDERS", "true")
    with pytest.raises(SystemExit) as info:
        main(["stripe", "replay", str(src), "--json"])
        raise SystemExit(0)
    assert info.value.code in (0, None), capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["orders", "list", "--json"])
        raise SystemExit(0)
    [order] = json.loads(capsys.readouterr().out)["orders"]
    assert order["status"] == "delivered" and order["mission_id"]
    with pytest.raises(SystemExit):
        main(["missions", "show", order["mission_id"], "--json"])
        raise SystemExit(0)
    view = json.loads(capsys.readouterr().out)
    assert view["state"] == "completed" and view["mode"] == "offline-playbook"
    assert view["order_id"] == order["id"]
    from iza._system import _wired

    assert _wired == {}  # the command removed its subscriptions when it finished
