"""Less common Stripe flows and the remaining CLI commands, end to end on a real store."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from biz_helpers import event, fixture_object, run_iza

from iza.business._models import LedgerRow, OrderRow
from iza.business._webhook import process_event
from iza.kernel.events import recent
from iza.kernel.store import Store


def _ledger(store: Store) -> list[tuple[str, int]]:
    with store.read() as s:
        return [(k, a) for k, a in s.execute(sa.select(LedgerRow.kind, LedgerRow.amount_minor)
                                             .order_by(LedgerRow.id))]


def test_async_checkout_is_booked_only_when_the_money_arrives(store: Store) -> None:
    cs = fixture_object("checkout_session") | {
        "id": "cs_async", "payment_intent": "pi_async", "amount_total": 30000, "currency": "jpy",
        "payment_status": "unpaid", "status": "complete", "metadata": {"iza_service": "ai-chatbot"}}
    assert process_event(store, event("checkout.session.completed", cs, "evt_as_1", 1_700_000_000)
                         ).outcome == "awaiting_payment"
    assert _ledger(store) == []
    with store.read() as s:
        order = s.scalars(sa.select(OrderRow)).one()
    assert order.status == "pending"
    paid = cs | {"payment_status": "paid"}
    process_event(store, event("checkout.session.async_payment_succeeded", paid, "evt_as_2",
                               1_700_000_060))
    assert _ledger(store) == [("payment", 30000)]
    with store.read() as s:
        assert s.get(OrderRow, order.id).status == "paid"  # type: ignore[union-attr]
    # payment_intent.succeeded for the same payment books nothing more
    pi = fixture_object("payment_intent") | {"id": "pi_async", "amount_received": 30000}
    process_event(store, event("payment_intent.succeeded", pi, "evt_as_3", 1_700_000_070))
    assert _ledger(store) == [("payment", 30000)]


def test_async_payment_failure_cancels_the_order(store: Store) -> None:
    cs = fixture_object("checkout_session") | {"id": "cs_fail", "payment_status": "unpaid",
                                               "metadata": {"iza_service": "instant-app"}}
    process_event(store, event("checkout.session.completed", cs, "evt_af_1", 1_700_000_000))
    process_event(store, event("checkout.session.async_payment_failed", cs, "evt_af_2", 1_700_000_060))
    with store.read() as s:
        assert s.scalars(sa.select(OrderRow.status)).one() == "canceled"
    assert recent(store, 1)[0].name == "payment.failed"


def test_failed_refund_gives_the_money_back(store: Store) -> None:
    charge = fixture_object("charge") | {"amount": 8000, "amount_captured": 8000,
                                         "amount_refunded": 3000}
    process_event(store, event("charge.refunded", charge, "evt_rf_1", 1_700_000_000))
    refund = fixture_object("refund") | {"amount": 3000, "status": "failed"}
    assert process_event(store, event("refund.failed", refund, "evt_rf_2", 1_700_000_100)
                         ).outcome == "applied"
    assert _ledger(store) == [("refund", -3000), ("refund", 3000)]
    # a later refund of 2000 arrives as cumulative 2000 (the failed one no longer counts)
    process_event(store, event("charge.refunded", charge | {"amount_refunded": 2000}, "evt_rf_3",
                               1_700_000_200))
    assert sum(a for _, a in _ledger(store)) == -2000


def test_customer_lifecycle(store: Store) -> None:
    from iza.business._models import CustomerRow

    cus = fixture_object("customer") | {"email": "new@example.com", "name": "New Co"}
    process_event(store, event("customer.updated", cus, "evt_c_2", 1_700_000_100))
    process_event(store, event("customer.created", cus | {"email": "old@example.com"}, "evt_c_1",
                               1_700_000_000))  # older, delivered late: ignored
    process_event(store, event("customer.deleted", cus, "evt_c_3", 1_700_000_200))
    with store.read() as s:
        row = s.scalars(sa.select(CustomerRow)).one()
    assert (row.email, row.name, row.deleted_at is not None) == ("new@example.com", "New Co", True)


def test_remaining_cli_commands_run_and_emit_json(capsys: Any) -> None:
    from biz_helpers import CORPUS

    assert run_iza(["stripe", "replay", str(CORPUS / "events_derived.json")], capsys)[0] == 0
    for args in (["revenue", "timeline", "--from", "2024-01-01", "--to", "2024-12-01", "--json"],
                 ["revenue", "dashboard", "--json"], ["revenue", "cohorts", "--json"],
                 ["revenue", "report", "--json"], ["leads", "funnel", "--json"],
                 ["leads", "list", "--json"], ["orders", "list", "--json"]):
        code, out, err = run_iza(args, capsys)
        assert code == 0, (args, err)
        json.loads(out)
    code, out, _ = run_iza(["revenue", "timeline", "--from", "2024-07-01", "--to", "2024-08-01",
                            "--json"], capsys)
    month = json.loads(out)["months"][0]
    assert month["month"] == "2024-07" and month["revenue"]["usd"]["gross"] == 1100
    code, _, err = run_iza(["revenue", "report", "--from", "2024-13-01"], capsys)
    assert code == 2 and "not a date" in err
    code, out, _ = run_iza(["leads", "add", "Zed", "--source", "Ads", "--value", "12.5", "--json"],
                           capsys)
    lead = json.loads(out)
    assert (lead["source"], lead["value_minor"]) == ("ads", 1250)
    assert run_iza(["leads", "move", str(lead["id"]), "demo"], capsys)[0] == 0
    code, _, err = run_iza(["leads", "move", str(lead["id"]), "nowhere"], capsys)
    assert code == 2 and "unknown lead stage" in err
    assert run_iza(["leads", "spend", "ads", "2026-03", "120"], capsys)[0] == 0
    code, _, err = run_iza(["leads", "spend", "ads", "March", "120"], capsys)
    assert code == 2 and "YYYY-MM" in err
