"""Payment intelligence on designed data: dunning, churn risk, anomalies and forecast."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from biz_helpers import event, fixture_object, run_iza

from iza.business._csvio import import_revenue
from iza.business._insights import anomalies, churn_risk, dunning, forecast
from iza.business._webhook import process_event
from iza.kernel.config import Settings
from iza.kernel.store import Store

_n = iter(range(10_000))


def send(store: Store, etype: str, obj: dict[str, Any], at: datetime) -> None:
    process_event(store, event(etype, obj, f"evt_i_{next(_n)}", int(at.timestamp())))


def sub(sid: str, unit: int, **extra: Any) -> dict[str, Any]:
    s = fixture_object("subscription")
    s.update({"id": sid, "customer": f"cus_{sid}", "pause_collection": None, "discounts": [],
              "trial_end": None, "status": "active", "cancel_at": None,
              "cancel_at_period_end": False, **extra})
    s["items"]["data"][0]["price"].update(unit_amount=unit, recurring={"interval": "month",
                                                                       "interval_count": 1})
    return s


def failed_invoice(sid: str, attempts: int, retry: datetime | None) -> dict[str, Any]:
    inv = fixture_object("invoice")
    inv.update(id=f"in_{sid}_{attempts}", customer=f"cus_{sid}", status="open", amount_paid=0,
               attempt_count=attempts, next_payment_attempt=int(retry.timestamp()) if retry else None)
    inv["parent"] = {"type": "subscription_details", "subscription_details": {"subscription": sid}}
    return inv


NOW = datetime(2026, 7, 15, 12, tzinfo=UTC)


def test_dunning_and_churn_risk_explain_themselves(sqlite_store: Store) -> None:
    s = sqlite_store
    t0 = NOW - timedelta(days=100)
    for sid, unit in (("x", 5000), ("y", 4000), ("z", 9000), ("ok", 1000)):
        send(s, "customer.subscription.created", sub(sid, unit), t0)
    send(s, "customer.subscription.updated", sub("x", 5000, cancel_at_period_end=True),
         NOW - timedelta(days=2))                                                    # +50
    send(s, "customer.subscription.updated", sub("y", 4000, status="past_due"),
         NOW - timedelta(days=3))                                                    # +20
    retry = NOW + timedelta(days=3)
    send(s, "invoice.payment_failed", failed_invoice("y", 2, retry), NOW - timedelta(days=1))  # +50
    send(s, "customer.subscription.updated", sub("z", 6000), NOW - timedelta(days=10))          # +25
    d = dunning(s)
    assert [(x["subscription"], x["attempts"]) for x in d] == [("y", 2)]
    assert "retries automatically at 2026-07-18" in d[0]["why"]
    risk = churn_risk(s, now=NOW)
    assert [(r["subscription"], r["score"]) for r in risk] == [("y", 70), ("x", 50), ("z", 25)]
    assert "2 failed payment attempt(s)" in risk[0]["why"] and "past due" in risk[0]["why"]
    assert "cancellation scheduled" in risk[1]["why"]
    # a successful payment clears dunning
    paid = failed_invoice("y", 3, None) | {"status": "paid", "amount_paid": 4000}
    send(s, "invoice.paid", paid, NOW)
    assert dunning(s) == []


def test_robust_z_flags_the_spike_only(tmp_path: Path, settings: Settings, sqlite_store: Store) -> None:
    lines = ["date,kind,amount,currency,service,customer,order_id,reference,description"]
    for i in range(30):
        day = (NOW - timedelta(days=29 - i)).date().isoformat()
        amount = "500.00" if i == 20 else f"{10 + (i % 3)}.00"
        lines.append(f"{day}T09:00:00,payment,{amount},usd,,,,d{i},")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    import_revenue(sqlite_store, path)
    found = anomalies(settings, sqlite_store, days=30, now=NOW)
    assert [(a["date"], a["net_minor"]) for a in found] == [
        ((NOW - timedelta(days=9)).date().isoformat(), 50000)]
    assert found[0]["median_minor"] == 1100 and found[0]["robust_z"] > 3.5


def test_forecast_of_a_straight_line_is_exact(settings: Settings, sqlite_store: Store) -> None:
    for month in range(1, 7):  # MRR at month ends Jan..Jun 2026: 1000, 2000, ..., 6000
        send(sqlite_store, "customer.subscription.updated" if month > 1 else
             "customer.subscription.created", sub("lin", 1000 * month),
             datetime(2026, month, 10, tzinfo=UTC))
    f = forecast(settings, sqlite_store, history_months=6, ahead=2, now=NOW)
    usd = f["currencies"]["usd"]
    assert f["history"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert usd["slope_per_month_minor"] == 1000
    assert usd["points"] == [
        {"months_ahead": 1, "mrr_minor": 7000, "low_minor": 7000, "high_minor": 7000},
        {"months_ahead": 2, "mrr_minor": 8000, "low_minor": 8000, "high_minor": 8000}]


def test_insights_cli_json(capsys: Any) -> None:
    code, out, err = run_iza(["revenue", "insights", "--json"], capsys)
    assert code == 0, err
    assert set(json.loads(out)) == {"dunning", "churn_risk", "anomalies", "forecast"}
