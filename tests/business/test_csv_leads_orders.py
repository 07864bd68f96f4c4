"""CSV import/export, the leads funnel, hand-entered orders and the revenue report CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from biz_helpers import run_iza

from iza.business._csvio import import_leads
from iza.business._leads import funnel, move_lead, record_spend
from iza.errors import InputError
from iza.kernel.events import recent
from iza.kernel.store import Store

REVENUE_CSV = """date,kind,amount,currency,service,customer,order_id,reference,description
2026-03-02,payment,499.00,usd,instant-app,cus_1,,r1,first sale
2026-03-03,payment,30000,jpy,ai-chatbot,cus_2,,r2,
2026-03-04,refund,100.50,usd,instant-app,cus_1,,r3,partial refund
2026-03-05,fee,14.77,usd,instant-app,,,r4,stripe fee
2026-03-06,llm_cost,3.20,usd,instant-app,,,r5,
2026-04-01,payment,10.00,usd,instant-app,cus_3,,r6,next month
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_revenue_csv_import_report_and_round_trip(tmp_path: Path, capsys: Any) -> None:
    src = _write(tmp_path, "revenue_tracking.csv", REVENUE_CSV)
    code, out, err = run_iza(["revenue", "import", str(src), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out) == {"file": str(src), "rows": 6, "added": 6, "skipped": 0}
    code, out, _ = run_iza(["revenue", "import", str(src), "--json"], capsys)
    assert json.loads(out)["skipped"] == 6
    code, out, _ = run_iza(["revenue", "report", "--from", "2026-03-01", "--to", "2026-04-01",
                            "--json"], capsys)
    r = json.loads(out)
    assert r["revenue"] == {"usd": {"gross": 49900, "refunds": 10050, "disputes": 0, "net": 39850},
                            "jpy": {"gross": 30000, "refunds": 0, "disputes": 0, "net": 30000}}
    assert r["margin"]["usd"]["margin"] == 39850 - 1477 - 320
    assert {"mrr", "movements", "margin", "revenue", "arr"} <= set(r)
    out_csv = tmp_path / "export.csv"
    code, out, _ = run_iza(["revenue", "export", str(out_csv), "--json"], capsys)
    assert json.loads(out)["rows"] == 6
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "date,kind,amount,currency,service,customer,order_id,reference,description"
    assert ",30000,jpy," in lines[2] and ",100.50,usd," in lines[3]
    # the export imports into an empty home and gives the same report
    code, _, err = run_iza(["--home", str(tmp_path / "other"), "revenue", "import", str(out_csv)], capsys)
    assert code == 0, err
    code, out, _ = run_iza(["--home", str(tmp_path / "other"), "revenue", "report", "--from",
                            "2026-03-01", "--to", "2026-04-01", "--json"], capsys)
    assert json.loads(out)["revenue"] == r["revenue"]


def test_bad_revenue_row_names_line_and_column_and_stores_nothing(tmp_path: Path, capsys: Any) -> None:
    bad = REVENUE_CSV.replace("2026-03-03,payment,30000,jpy", "2026-03-03,payment,300.5,jpy")
    src = _write(tmp_path, "r.csv", bad)
    code, _, err = run_iza(["revenue", "import", str(src)], capsys)
    assert code == 2 and "line 3" in err and "amount/currency" in err and "JPY" in err
    code, out, _ = run_iza(["revenue", "report", "--from", "2026-01-01", "--to", "2027-01-01",
                            "--json"], capsys)
    assert json.loads(out)["revenue"] == {}
    src = _write(tmp_path, "r2.csv", "date,amount\n2026-01-01,5\n")
    code, _, err = run_iza(["revenue", "import", str(src)], capsys)
    assert code == 2 and "missing column(s) kind, currency" in err


LEADS_CSV = (
    "date,name,email,company,source,stage,service,value,currency,demo_date,proposal_date,"
    "closed_date,notes\n"
) + """2026-03-01,Ana,ana@x.io,X,referral,won,instant-app,499.00,usd,2026-03-02,2026-03-03,2026-03-05,
2026-03-01,Bo,bo@x.io,,referral,lost,,0,usd,2026-03-02,,2026-03-04,after demo
2026-03-02,Cy,cy@x.io,,ads,proposal,ai-chatbot,999.00,usd,2026-03-03,2026-03-04,,
2026-03-02,Di,di@x.io,,ads,inquiry,,0,usd,,,,
2026-03-03,Ed,ed@x.io,,ads,demo,,0,usd,2026-03-05,,,
"""


def test_leads_import_funnel_and_acquisition_cost(tmp_path: Path, sqlite_store: Store) -> None:
    src = _write(tmp_path, "client_acquisition.csv", LEADS_CSV)
    assert import_leads(sqlite_store, src) == {"rows": 5, "added": 5, "skipped": 0}
    assert import_leads(sqlite_store, src)["skipped"] == 5
    record_spend(sqlite_store, source="ads", month="2026-03", amount_minor=30000, currency="usd")
    f = funnel(sqlite_store)
    assert {k: f["all"][k] for k in ("inquiry", "demo", "proposal", "won", "lost", "open")} == {
        "inquiry": 5, "demo": 4, "proposal": 2, "won": 1, "lost": 1, "open": 3}
    assert f["all"]["conversion"] == {"inquiry_to_demo": 0.8, "demo_to_proposal": 0.5,
                                      "proposal_to_won": 0.5, "overall": 0.2}
    ads = f["sources"]["ads"]
    assert (ads["inquiry"], ads["demo"], ads["won"]) == (3, 2, 0)
    assert ads["cost_per_lead"] == {"usd": 10000} and ads["cost_per_won"] == {"usd": None}
    assert f["sources"]["referral"]["conversion"]["overall"] == 0.5
    move_lead(sqlite_store, 4, "demo")
    assert recent(sqlite_store, 1)[0].payload == {"lead_id": 4, "source": "ads", "stage": "demo",
                                                  "previous_stage": "inquiry"}
    with pytest.raises(InputError, match="already won"):
        move_lead(sqlite_store, 1, "lost")


def test_orders_created_by_hand_and_delivered(capsys: Any) -> None:
    code, out, err = run_iza(["orders", "create", "workflow-automation", "--email", "z@z.io",
                              "--price", "workflow-automation-growth", "--json"], capsys)
    assert code == 0, err
    order = json.loads(out)
    assert (order["status"], order["amount_minor"]) == ("pending", 350000)
    code, out, _ = run_iza(["orders", "deliver", order["id"], "--mission", "mis_42", "--json"], capsys)
    assert json.loads(out)["status"] == "delivered"
    code, out, _ = run_iza(["events", "tail", "--name", "order.*", "--json"], capsys)
    assert code == 0 and "order.delivered" in out and "mis_42" in out
    code, _, err = run_iza(["orders", "deliver", "ord_missing"], capsys)
    assert code == 2 and "no order 'ord_missing'" in err
