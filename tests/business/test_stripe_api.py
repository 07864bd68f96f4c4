"""The real ``stripe`` library against the local fake Stripe server, driven by the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from biz_helpers import event, fixture_object, run_iza

from iza.business._catalog import load_catalog
from iza.business._models import LedgerRow, OrderRow
from iza.business._webhook import process_event
from iza.business.fake_stripe import FakeStripe
from iza.kernel.config import load
from iza.kernel.store import Store


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    with FakeStripe(api_key="sk_test_local") as f:
        monkeypatch.setenv("STRIPE_API_KEY", "sk_test_local")
        monkeypatch.setenv("IZA_STRIPE_API_BASE", f.url)
        yield f


def _store() -> Store:
    s = Store.from_settings(load())
    s.migrate()
    return s


def test_checkout_prints_a_url_and_the_webhook_completes_the_order(fake: FakeStripe,
                                                                   capsys: Any) -> None:
    code, out, err = run_iza(["stripe", "checkout", "ai-chatbot", "--email", "ana@example.com",
                              "--json"], capsys)
    assert code == 0, err
    link = json.loads(out)
    assert link["url"].startswith(fake.url + "/c/pay/cs_test_")
    session = fake.objects["checkout.session"][link["session_id"]]
    assert session["mode"] == "payment" and session["amount_total"] == 99900
    assert session["metadata"] == {"iza_order_id": link["order_id"], "iza_service": "ai-chatbot"}
    store = _store()
    with store.read() as s:
        order = s.get(OrderRow, link["order_id"])
        assert order is not None and order.status == "pending"
        assert order.checkout_session == link["session_id"]

    cs = fixture_object("checkout_session") | {
        "id": link["session_id"], "payment_status": "paid", "status": "complete",
        "amount_total": 99900, "currency": "usd", "metadata": session["metadata"],
        "payment_intent": "pi_test_checkout_1", "customer": "cus_ana"}
    assert process_event(store, event("checkout.session.completed", cs, "evt_cs_1",
                                      1_700_000_000)).outcome == "applied"
    with store.read() as s:
        order = s.get(OrderRow, link["order_id"])
        assert order is not None and order.status == "paid"
        entry = s.scalars(sa.select(LedgerRow)).one()
    assert (entry.amount_minor, entry.service_slug, entry.order_id) == (99900, "ai-chatbot",
                                                                        order.id)
    # a second checkout for the same price reuses the Stripe price (lookup key)
    code, out, _ = run_iza(["stripe", "checkout", "ai-chatbot", "--email", "bo@example.com"], capsys)
    assert code == 0 and out.strip().startswith(fake.url)
    assert len(fake.objects["price"]) == 1


def test_recurring_price_makes_a_subscription_checkout(fake: FakeStripe, capsys: Any) -> None:
    code, out, err = run_iza(["stripe", "checkout", "monthly-retainer", "--email", "c@example.com",
                              "--price", "retainer-scale", "--json"], capsys)
    assert code == 0, err
    session = fake.objects["checkout.session"][json.loads(out)["session_id"]]
    assert session["mode"] == "subscription" and session["amount_total"] == 500000
    price = next(iter(fake.objects["price"].values()))
    assert price["recurring"]["interval"] == "month" and price["lookup_key"] == "retainer-scale"


def test_sync_is_idempotent(fake: FakeStripe, capsys: Any) -> None:
    code, out, _ = run_iza(["stripe", "sync", "--json"], capsys)
    assert code == 0
    first = json.loads(out)["prices"]
    code, out, _ = run_iza(["stripe", "sync", "--json"], capsys)
    assert json.loads(out)["prices"] == first
    n_prices = sum(len(s.prices) for s in load_catalog().services)
    assert len(fake.objects["price"]) == n_prices == len(first)
    assert len(fake.objects["product"]) == len(load_catalog().services)
    jpy = next(p for p in fake.objects["price"].values() if p["currency"] == "jpy")
    assert jpy["unit_amount"] == 30000


def test_missing_key_and_rejected_key_are_clear_errors(fake: FakeStripe, capsys: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_wrong")
    code, _, err = run_iza(["stripe", "checkout", "instant-app", "--email", "a@b.co"], capsys)
    assert code == 1 and "Invalid API Key" in err and "fix:" in err
    monkeypatch.delenv("STRIPE_API_KEY")
    code, _, err = run_iza(["stripe", "checkout", "instant-app", "--email", "a@b.co"], capsys)
    assert code == 2 and "STRIPE_API_KEY is not set" in err
    code, _, err = run_iza(["stripe", "checkout", "no-such-service", "--email", "a@b.co"], capsys)
    assert code == 2 and "no service 'no-such-service'" in err


def test_reconcile_reports_drift_and_books_fees(fake: FakeStripe, capsys: Any) -> None:
    store = _store()
    day = int(datetime(2026, 3, 10, tzinfo=UTC).timestamp())
    charge = fixture_object("charge") | {"amount": 5000, "amount_captured": 5000,
                                         "amount_refunded": 1000, "payment_intent": "pi_r1"}
    cs = fixture_object("checkout_session") | {
        "id": "cs_rec_1", "payment_status": "paid", "amount_total": 5000, "currency": "usd",
        "payment_intent": "pi_r1", "customer": "cus_r1", "metadata": {"iza_service": "instant-app"}}
    process_event(store, event("checkout.session.completed", cs, "evt_rec_1", day))
    fake.add_balance_transaction(amount=5000, currency="usd", fee=175, source=charge["id"], created=day)
    fake.add_balance_transaction(amount=-1000, currency="usd", type="refund", source="re_1",
                                 created=day + 60)
    args = ["stripe", "reconcile", "--from", "2026-03-01", "--to", "2026-04-01", "--json"]
    code, out, _ = run_iza(args, capsys)
    report = json.loads(out)
    assert code == 1 and not report["in_balance"]
    assert {(d["category"], d["drift_minor"]) for d in report["drift"]} == {("fee", 175),
                                                                           ("refund", 1000)}
    process_event(store, event("charge.refunded", charge, "evt_rec_2", day + 60))
    code, out, _ = run_iza(args + ["--apply-fees"], capsys)
    report = json.loads(out)
    assert code == 0 and report["in_balance"] and report["fees_applied"] == 1
    assert report["ledger"]["usd"] == {"payment": 5000, "refund": -1000, "fee": -175}
    code, out, _ = run_iza(args + ["--apply-fees"], capsys)
    assert json.loads(out)["fees_applied"] == 0


def test_replay_is_idempotent(tmp_path: Any, capsys: Any) -> None:
    from biz_helpers import CORPUS

    src = CORPUS / "events_derived.json"
    code, out, err = run_iza(["stripe", "replay", str(src), "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert first["events"] == 9 and "duplicate" not in first["outcomes"]
    code, out, _ = run_iza(["stripe", "replay", str(src), "--json"], capsys)
    assert json.loads(out)["outcomes"] == {"duplicate": 9}
    bad = tmp_path / "bad.json"
    bad.write_text('[{"object": "charge"}]')
    code, _, err = run_iza(["stripe", "replay", str(bad)], capsys)
    assert code == 2 and "not a Stripe event" in err
