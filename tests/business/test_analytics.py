"""Analytics on a designed dataset whose every number is computed by hand (see comments).

Events go through ``process_event`` (the same path as the webhook, minus the HTTP layer the
webhook tests already cover), so MRR history and ledger rows are the ones production makes.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from biz_helpers import event, fixture_object

from iza.business import record_llm_cost
from iza.business._analytics import month_bounds, mrr_timeline, revenue, subscription_report
from iza.business._costs import CostLine, register_cost_source, unregister_cost_source
from iza.business._models import OrderRow
from iza.business._webhook import process_event
from iza.kernel.store import Store

_n = 0


def ts(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def send(store: Store, etype: str, obj: dict[str, Any], day: str) -> None:
    global _n
    _n += 1
    assert process_event(store, event(etype, obj, f"evt_a_{_n}", ts(day))).outcome == "applied"


def sub(sid: str, cust: str, cur: str, unit: int, interval: str = "month", count: int = 1,
        qty: int = 1, status: str = "active", service: str | None = None,
        percent_off: float | None = None) -> dict[str, Any]:
    s = copy.deepcopy(fixture_object("subscription"))
    s.update(id=sid, customer=cust, currency=cur, status=status, pause_collection=None,
             discounts=[], trial_end=None, metadata={"iza_service": service} if service else {})
    item = s["items"]["data"][0]
    item["quantity"] = qty
    item["price"].update(unit_amount=unit, currency=cur,
                         recurring={"interval": interval, "interval_count": count})
    if percent_off is not None:
        s["discounts"] = [{"id": "di_1", "object": "discount",
                           "coupon": {"id": "half", "percent_off": percent_off, "valid": True}}]
    return s


def invoice(iid: str, cust: str, sid: str, amount: int, cur: str = "usd") -> dict[str, Any]:
    inv = fixture_object("invoice")
    inv.update(id=iid, customer=cust, currency=cur, status="paid", amount_paid=amount,
               status_transitions={"paid_at": None})
    inv["parent"] = {"type": "subscription_details",
                     "subscription_details": {"subscription": sid, "metadata": None}}
    return inv


def checkout(cs: str, pi: str, amount: int, cur: str, service: str) -> dict[str, Any]:
    obj = fixture_object("checkout_session")
    obj.update(id=cs, payment_intent=pi, amount_total=amount, currency=cur, mode="payment",
               payment_status="paid", status="complete", customer="cus_buyer",
               metadata={"iza_service": service})
    return obj


@pytest.fixture
def dataset(store: Store) -> Iterator[Store]:
    s = store
    # --- subscriptions (MRR in comments) ---
    send(s, "customer.subscription.created", sub("sub_a", "cus_a", "usd", 10000,
         service="monthly-retainer"), "2026-01-10")                           # A 10000
    send(s, "customer.subscription.created", sub("sub_d", "cus_d", "usd", 8000), "2026-01-05")  # D 8000
    send(s, "customer.subscription.created", sub("sub_b", "cus_b", "usd", 120000, "year"),
         "2026-02-01")                                                         # B 10000
    send(s, "customer.subscription.created", sub("sub_f", "cus_f", "eur", 1200, "week"),
         "2026-02-01")                                                         # F 5200 EUR
    send(s, "customer.subscription.deleted", sub("sub_d", "cus_d", "usd", 8000, status="canceled"),
         "2026-02-10")                                                         # D churn
    send(s, "customer.subscription.created", sub("sub_e", "cus_e", "usd", 9000), "2026-02-15")  # E 9000
    # March: A +10000, C new 5000, B churn, D back 6000, E -5000, G trial, H new 30000 JPY
    send(s, "customer.subscription.updated", sub("sub_a", "cus_a", "usd", 10000, qty=2,
         service="monthly-retainer"), "2026-03-05")
    send(s, "customer.subscription.created", sub("sub_c", "cus_c", "usd", 30000, "month", 3,
         percent_off=50), "2026-03-03")
    send(s, "customer.subscription.deleted", sub("sub_b", "cus_b", "usd", 120000, "year",
         status="canceled"), "2026-03-10")
    send(s, "customer.subscription.created", sub("sub_d2", "cus_d", "usd", 6000), "2026-03-20")
    send(s, "customer.subscription.updated", sub("sub_e", "cus_e", "usd", 4000), "2026-03-25")
    send(s, "customer.subscription.created", sub("sub_g", "cus_g", "usd", 7000, status="trialing"),
         "2026-03-28")
    send(s, "customer.subscription.created", sub("sub_h", "cus_h", "jpy", 30000,
         service="ai-chatbot"), "2026-03-15")
    # --- money ---
    send(s, "invoice.paid", invoice("in_feb", "cus_e", "sub_e", 9000), "2026-02-20")  # outside March
    send(s, "invoice.paid", invoice("in_a", "cus_a", "sub_a", 20000), "2026-03-05")
    send(s, "invoice.paid", invoice("in_h", "cus_h", "sub_h", 30000, "jpy"), "2026-03-15")
    send(s, "checkout.session.completed", checkout("cs_x", "pi_x", 49900, "usd", "instant-app"),
         "2026-03-07")
    send(s, "checkout.session.completed", checkout("cs_y", "pi_y", 45900, "eur", "instant-app"),
         "2026-03-09")
    charge = fixture_object("charge") | {"id": "ch_x", "payment_intent": "pi_x", "amount": 49900,
                                         "amount_captured": 49900, "amount_refunded": 10000}
    send(s, "charge.refunded", charge, "2026-03-08")
    dp = fixture_object("dispute") | {"id": "dp_x", "charge": "ch_x", "payment_intent": "pi_x",
                                      "amount": 5000, "balance_transactions": [
                                          {"id": "txn_dpf", "fee": 1500, "currency": "usd"}]}
    send(s, "charge.dispute.funds_withdrawn", dp, "2026-03-12")
    with s.read() as session:
        order_id = session.scalars(sa.select(OrderRow.id).where(
            OrderRow.checkout_session == "cs_x")).one()
    record_llm_cost(s, order_id=order_id, amount_minor=2500, currency="usd", reference="run_1",
                    at=datetime(2026, 3, 7, 12, tzinfo=UTC))
    record_llm_cost(s, order_id=order_id, amount_minor=2500, currency="usd", reference="run_1",
                    at=datetime(2026, 3, 7, 12, tzinfo=UTC))  # same run twice: booked once
    yield s


MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def test_mrr_movements_and_retention(dataset: Store) -> None:
    r = subscription_report(dataset, *MARCH)
    assert r["mrr_start"] == {"usd": 29000, "eur": 5200, "jpy": 0}           # A 10000 + B 10000 + E 9000
    assert r["mrr"] == {"usd": 35000, "eur": 5200, "jpy": 30000}     # A 20000 + C 5000 + D 6000 + E 4000
    assert r["arr"]["usd"] == 420000
    assert r["movements"]["usd"] == {"new": 5000, "expansion": 10000, "contraction": -5000,
                                     "churn": -10000, "reactivation": 6000, "net": 6000}
    assert r["movements"]["eur"]["net"] == 0
    assert r["movements"]["jpy"]["new"] == 30000
    assert r["customers"]["usd"] == {"active_start": 3, "active_end": 4, "new": 1, "churned": 1,
                                     "reactivated": 1, "lost_from_start": 1}
    assert r["churn"]["usd"] == {"customer_churn_rate": 0.333333,            # 1 of 3
                                 "gross_mrr_churn_rate": 0.517241}           # 15000 / 29000
    assert r["retention"]["usd"] == {"nrr": 0.827586,                        # (20000+0+4000)/29000
                                     "grr": 0.482759}                        # (10000+0+4000)/29000
    assert r["retention"]["eur"] == {"nrr": 1.0, "grr": 1.0}
    assert r["retention"]["jpy"] == {"nrr": None, "grr": None}
    assert r["arpa"]["usd"] == 8750                                            # 35000 / 4
    monthly_churn = 0.333333 / (31 / (365.25 / 12))
    assert r["ltv"]["usd"] == round(8750 / monthly_churn)
    assert r["ltv"]["eur"] is None                                             # no churn: undefined


def test_revenue_and_margin_per_currency_and_service(dataset: Store) -> None:
    register_cost_source("test-journal", lambda a, b: [
        CostLine("usd", 1000, service_slug="monthly-retainer")])
    try:
        r = revenue(dataset, *MARCH)
    finally:
        unregister_cost_source("test-journal")
    assert r["revenue"] == {
        "usd": {"gross": 69900, "refunds": 10000, "disputes": 5000, "net": 54900},
        "eur": {"gross": 45900, "refunds": 0, "disputes": 0, "net": 45900},
        "jpy": {"gross": 30000, "refunds": 0, "disputes": 0, "net": 30000},
    }
    assert r["margin"]["usd"] == {"net": 54900, "fees": 1500, "llm_costs": 3500, "margin": 49900,
                                  "margin_rate": round(49900 / 54900, 6)}
    assert r["by_service"]["instant-app"]["usd"] == {
        "gross": 49900, "refunds": 10000, "disputes": 5000, "net": 34900, "fees": 1500,
        "llm_costs": 2500, "margin": 30900}
    assert r["by_service"]["instant-app"]["eur"]["margin"] == 45900
    assert r["by_service"]["monthly-retainer"]["usd"]["margin"] == 19000
    assert r["by_service"]["ai-chatbot"]["jpy"]["gross"] == 30000


def test_mrr_timeline_by_month(dataset: Store) -> None:
    tl = mrr_timeline(dataset, datetime(2026, 1, 1, tzinfo=UTC), MARCH[1], ZoneInfo("UTC"))
    assert [m["month"] for m in tl] == ["2026-01", "2026-02", "2026-03"]
    assert tl[0]["mrr"] == {"usd": 18000}                    # A 10000 + D 8000
    assert tl[1]["mrr"] == {"usd": 29000, "eur": 5200}       # D churned, B and E new
    assert tl[1]["movements"]["usd"] == {"new": 19000, "expansion": 0, "contraction": 0,
                                         "churn": -8000, "reactivation": 0}
    assert tl[2]["mrr"] == {"usd": 35000, "eur": 5200, "jpy": 30000}


def test_plan_swap_at_one_instant_is_one_expansion(store: Store) -> None:
    send(store, "customer.subscription.created", sub("sub_s1", "cus_s", "usd", 10000), "2026-01-01")
    send(store, "customer.subscription.deleted", sub("sub_s1", "cus_s", "usd", 10000,
         status="canceled"), "2026-02-01")
    send(store, "customer.subscription.created", sub("sub_s2", "cus_s", "usd", 15000), "2026-02-01")
    r = subscription_report(store, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    assert r["movements"]["usd"] == {"new": 0, "expansion": 5000, "contraction": 0, "churn": 0,
                                     "reactivation": 0, "net": 5000}


def test_months_follow_the_business_time_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    b = month_bounds(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), tokyo)
    # 23:30 UTC on 31 March is already April in Tokyo; April starts at 15:00 UTC on 31 March
    assert b[0] == datetime(2026, 3, 31, 15, tzinfo=UTC)
    assert b[1] == datetime(2026, 4, 30, 15, tzinfo=UTC)


def test_rollup_matches_the_raw_ledger_at_any_boundary(dataset: Store) -> None:
    from iza.business._rollup import _raw, ledger_sums, rebuild_rollup

    def norm(rows: Any) -> dict[tuple[str, str | None, str], int]:
        out: dict[tuple[str, str | None, str], int] = {}
        for c, s, k, v in rows:
            out[(c, s, k)] = out.get((c, s, k), 0) + v
        return {k: v for k, v in out.items() if v}

    cases = [(datetime(2026, 3, 7, 10, 30, tzinfo=UTC), datetime(2026, 3, 12, 0, 15, tzinfo=UTC)),
             (datetime(2026, 3, 7, 0, 0, 1, tzinfo=UTC), datetime(2026, 3, 7, 23, 59, tzinfo=UTC)),
             (datetime(2026, 3, 4, 15, tzinfo=UTC), datetime(2026, 3, 9, 15, tzinfo=UTC)),
             (datetime(2026, 2, 28, 18, 30, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
             (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))]
    for lo, hi in cases:
        with dataset.read() as s:
            assert norm(ledger_sums(s, lo, hi)) == norm(_raw(s, lo, hi)), (lo, hi)
    with dataset.read() as s:
        before = norm(ledger_sums(s, *cases[-1]))
    assert rebuild_rollup(dataset) > 0
    with dataset.read() as s:
        assert norm(ledger_sums(s, *cases[-1])) == before


def test_cohort_retention(dataset: Store) -> None:
    from iza.business._cohorts import cohort_retention

    c = cohort_retention(dataset, datetime(2026, 1, 1, tzinfo=UTC), MARCH[1], ZoneInfo("UTC"))
    assert c["usd"] == [
        {"cohort": "2026-01", "size": 2, "retention": [1.0, 0.5, 1.0]},  # A, D (D away in Feb)
        {"cohort": "2026-02", "size": 2, "retention": [1.0, 0.5]},       # B, E (B churned)
        {"cohort": "2026-03", "size": 1, "retention": [1.0]},            # C
    ]
    assert c["eur"] == [{"cohort": "2026-02", "size": 1, "retention": [1.0, 1.0]}]
    assert c["jpy"] == [{"cohort": "2026-03", "size": 1, "retention": [1.0]}]


def test_trial_conversion(store: Store) -> None:
    from iza.business._cohorts import trial_conversion

    end_of_trial = int(datetime(2026, 3, 10, tzinfo=UTC).timestamp())
    for sid in ("t1", "t2", "t3"):
        send(store, "customer.subscription.created",
             sub(sid, f"cus_{sid}", "usd", 5000, status="trialing") | {"trial_end": end_of_trial},
             "2026-03-01")
    send(store, "customer.subscription.updated",
         sub("t1", "cus_t1", "usd", 5000) | {"trial_end": end_of_trial}, "2026-03-10")
    send(store, "customer.subscription.deleted",
         sub("t2", "cus_t2", "usd", 5000, status="canceled") | {"trial_end": end_of_trial}, "2026-03-10")
    assert trial_conversion(store, *MARCH) == {"usd": {"trials_ended": 3, "converted": 1,
                                                       "rate": 0.333333}}


def test_margins_by_order_customer_service_and_month(dataset: Store) -> None:
    from iza.business._margins import margins

    utc = ZoneInfo("UTC")
    by_order = margins(dataset, *MARCH, "order", utc)
    assert len(by_order) == 2                                  # the two checkouts have orders
    top = by_order[0]                                          # EUR order 45900 (no costs)
    assert (top["currency"], top["margin"]) == ("eur", 45900)
    usd = by_order[1]                                          # 49900 − 10000 − 5000 − 1500 − 2500
    assert (usd["gross"], usd["refunds"], usd["disputes"], usd["fees"], usd["llm_costs"],
            usd["margin"]) == (49900, 10000, 5000, 1500, 2500, 30900)
    by_cust = {(r["key"], r["currency"]): r["margin"] for r in margins(dataset, *MARCH, "customer", utc)}
    assert by_cust[("cus_a", "usd")] == 20000 and by_cust[("cus_h", "jpy")] == 30000
    by_service = margins(dataset, *MARCH, "service", utc)
    assert {(r["key"], r["currency"]): r["margin"] for r in by_service}[("instant-app", "usd")] == 30900
    months = margins(dataset, datetime(2026, 2, 1, tzinfo=UTC), MARCH[1], "month", utc)
    assert [(r["key"], r["currency"], r["gross"]) for r in months if r["currency"] == "usd"] == [
        ("2026-02", "usd", 9000), ("2026-03", "usd", 69900)]
