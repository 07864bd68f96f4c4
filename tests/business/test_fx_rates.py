"""Explicit FX: rates entered by hand or file, `revenue report --currency` converts with them only."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from biz_helpers import run_iza

from iza.business._fx import FxRate, FxTable, MissingFxRate, convert_minor, list_rates, rate_table, set_rate
from iza.errors import InputError
from iza.kernel.store import Store

# A designed month: every figure below is worked out by hand in the test that uses it.
REVENUE_CSV = """date,kind,amount,currency,service,customer,order_id,reference,description
2026-03-02,payment,499.00,usd,instant-app,cus_1,,u1,
2026-03-04,refund,100.50,usd,instant-app,cus_1,,u2,
2026-03-05,fee,14.77,usd,instant-app,,,u3,
2026-03-03,payment,200.00,eur,ai-chatbot,cus_2,,e1,
2026-03-06,payment,30001,jpy,ai-chatbot,cus_3,,j1,
2026-04-02,payment,10.00,eur,ai-chatbot,cus_2,,e2,next month
"""


def _import(tmp_path: Path, capsys: Any, text: str = REVENUE_CSV) -> None:
    src = tmp_path / "revenue.csv"
    src.write_text(text)
    code, _, err = run_iza(["revenue", "import", str(src)], capsys)
    assert code == 0, err


def _fx(capsys: Any, *args: str) -> tuple[int, str, str]:
    return run_iza(["revenue", "fx", *args], capsys)


def test_report_in_one_currency_uses_the_closing_rates(tmp_path: Path, capsys: Any) -> None:
    _import(tmp_path, capsys)
    assert _fx(capsys, "set", "EUR", "USD", "1.00", "--date", "2026-01-01")[0] == 0
    assert _fx(capsys, "set", "eur", "usd", "1.08", "--date", "2026-03-01")[0] == 0
    assert _fx(capsys, "set", "EUR", "USD", "2.00", "--date", "2026-04-15")[0] == 0  # after the period
    assert _fx(capsys, "set", "USD", "JPY", "150", "--date", "2026-02-01")[0] == 0  # used inverted
    period = ["--from", "2026-03-01", "--to", "2026-04-01"]
    code, out, err = run_iza(["revenue", "report", *period, "--currency", "USD", "--json"], capsys)
    assert code == 0, err
    r = json.loads(out)
    # per-currency figures are unchanged
    assert r["revenue"]["eur"]["gross"] == 20000 and r["revenue"]["jpy"]["gross"] == 30001
    c = r["converted"]
    assert c["currency"] == "usd" and c["as_of"] == "2026-03-31"
    # EUR 200.00 x 1.08 = 216.00; JPY 30001 / 150 = 200.00667 USD -> 20001 cents (rounded once)
    assert c["revenue"] == {"gross": 49900 + 21600 + 20001, "refunds": 10050, "disputes": 0,
                            "net": 39850 + 21600 + 20001}
    assert c["margin"]["fees"] == 1477 and c["margin"]["margin"] == 39850 - 1477 + 21600 + 20001
    assert c["by_service"]["ai-chatbot"]["gross"] == 21600 + 20001
    used = {u["from"]: u for u in c["rates"]}
    assert set(used) == {"eur", "jpy"}
    assert used["eur"]["rate"] == {"base": "eur", "quote": "usd", "rate": "1.08", "date": "2026-03-01",
                                   "source": "cli"}
    assert used["jpy"]["rate"]["base"] == "usd" and used["jpy"]["rate"]["quote"] == "jpy"
    # the terminal report shows the converted totals too
    code, out, _ = run_iza(["revenue", "report", *period, "--currency", "usd"], capsys)
    assert code == 0 and "USD" in out and "gross 915.01 USD" in out  # 499.00 + 216.00 + 200.01


def test_without_currency_the_report_stays_per_currency(tmp_path: Path, capsys: Any) -> None:
    _import(tmp_path, capsys)
    code, out, _ = run_iza(["revenue", "report", "--from", "2026-03-01", "--to", "2026-04-01",
                            "--json"], capsys)
    assert code == 0
    r = json.loads(out)
    assert "converted" not in r and set(r["revenue"]) == {"usd", "eur", "jpy"}


def test_missing_rate_is_refused_naming_the_pair(tmp_path: Path, capsys: Any) -> None:
    _import(tmp_path, capsys)
    period = ["--from", "2026-03-01", "--to", "2026-04-01"]
    _fx(capsys, "set", "EUR", "USD", "1.08", "--date", "2026-03-01")
    code, out, err = run_iza(["revenue", "report", *period, "--currency", "USD", "--json"], capsys)
    assert code == 2 and out == ""
    assert "JPY→USD" in err and "iza revenue fx set JPY USD" in err and "2026-03-31" in err
    # a rate dated after the period's last day does not count
    _fx(capsys, "set", "JPY", "USD", "0.0067", "--date", "2026-04-01")
    code, _, err = run_iza(["revenue", "report", *period, "--currency", "USD"], capsys)
    assert code == 2 and "JPY→USD" in err
    # converting to EUR needs USD and JPY: both are named at once
    code, _, err = run_iza(["revenue", "report", *period, "--currency", "EUR"], capsys)
    assert code == 2 and "JPY→EUR" in err and "USD→EUR" not in err  # USD→EUR is the inverse of EUR→USD
    code, _, err = run_iza(["revenue", "report", *period, "--currency", "GBP"], capsys)
    assert code == 2 and "EUR→GBP, JPY→GBP, USD→GBP" in err


@pytest.mark.parametrize(("args", "needle"), [
    (["EUR", "USD", "abc"], "not a number"),
    (["EUR", "USD", "--", "-1.2"], "positive"),
    (["EUR", "USD", "0"], "positive"),
    (["EUR", "EUR", "1"], "two different currencies"),
    (["EURO", "USD", "1.1"], "not a currency code"),
    (["EUR", "USD", "1.1", "--date", "31/03/2026"], "not a date"),
])
def test_bad_rates_are_refused(capsys: Any, args: list[str], needle: str) -> None:
    code, _, err = _fx(capsys, "set", *args)
    assert code == 2 and needle in err
    code, out, _ = _fx(capsys, "list", "--json")
    assert json.loads(out) == {"rates": []}


def test_fx_file_import_checks_every_row_first(tmp_path: Path, capsys: Any) -> None:
    good = tmp_path / "fx.csv"
    good.write_text("date,base,quote,rate\n2026-03-01,EUR,USD,1.0800\n2026-03-01,GBP,USD,1.27\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,base,quote,rate\n2026-03-01,CHF,USD,1.13\n2026-03-02,CHF,USD,one\n")
    code, _, err = _fx(capsys, "import", str(bad))
    assert code == 2 and "line 3, column rate" in err
    assert json.loads(_fx(capsys, "list", "--json")[1]) == {"rates": []}
    code, out, err = _fx(capsys, "import", str(good), "--json")
    assert code == 0, err
    assert json.loads(out)["imported"] == 2
    rates = json.loads(_fx(capsys, "list", "--json")[1])["rates"]
    assert [(r["base"], r["quote"], r["rate"], r["source"]) for r in rates] == [
        ("eur", "usd", "1.0800", "file:fx.csv"), ("gbp", "usd", "1.27", "file:fx.csv")]
    # without FILE: business_data/fx_rates.csv in the data home (IZA_HOME is tmp_path/home here)
    default = tmp_path / "home" / "business_data" / "fx_rates.csv"
    code, _, err = _fx(capsys, "import")
    assert code == 2 and "fx_rates.csv" in err
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_text("date,base,quote,rate\n2026-03-01,EUR,USD,1.09\n")
    code, out, err = _fx(capsys, "import", "--json")
    assert code == 0, err
    assert json.loads(out)["file"] == str(default)
    rates = json.loads(_fx(capsys, "list", "--json")[1])["rates"]
    assert ("eur", "usd", "1.09", "file:fx_rates.csv") in [
        (r["base"], r["quote"], r["rate"], r["source"]) for r in rates]


def test_rates_on_both_stores(store: Store) -> None:
    set_rate(store, "eur", "usd", "1.05", date(2026, 1, 1))
    set_rate(store, "eur", "usd", "1.08", date(2026, 3, 1))
    set_rate(store, "eur", "usd", "1.09", date(2026, 3, 1))  # same day: replaced, not duplicated
    assert [(r.day, r.rate) for r in list_rates(store)] == [
        (date(2026, 1, 1), Decimal("1.05")), (date(2026, 3, 1), Decimal("1.09"))]
    assert rate_table(store, date(2026, 2, 28)).rate("eur", "usd")[0] == Decimal("1.05")
    assert rate_table(store, date(2026, 3, 1)).rate("eur", "usd")[0] == Decimal("1.09")
    with pytest.raises(MissingFxRate):
        rate_table(store, date(2025, 12, 31)).rate("eur", "usd")


@pytest.mark.parametrize(("amount", "src", "dst", "rate", "expected"), [
    (5, "eur", "usd", "1.1", 6),        # 5.5 -> 6 (half to even)
    (15, "eur", "usd", "1.1", 16),      # 16.5 -> 16 (half to even)
    (1000, "usd", "jpy", "150", 1500),  # 10.00 USD = 1500 yen: exponents 2 -> 0
    (1500, "jpy", "usd", "0.0066667", 1000),
    (1000, "usd", "kwd", "0.307", 3070),  # three-decimal target
    (-10050, "usd", "eur", "0.92", -9246),
    (0, "eur", "usd", "1.08", 0),
])
def test_convert_minor_exponents_and_rounding(amount: int, src: str, dst: str, rate: str,
                                              expected: int) -> None:
    table = FxTable(date(2026, 1, 1), {(src, dst): FxRate(src, dst, Decimal(rate), date(2026, 1, 1))})
    assert convert_minor(amount, src, dst, table) == expected


def test_inverse_rate_is_exact_decimal_division() -> None:
    usd_jpy = FxRate("usd", "jpy", Decimal("150"), date(2026, 1, 1))
    table = FxTable(date(2026, 1, 1), {("usd", "jpy"): usd_jpy})
    assert convert_minor(30001, "jpy", "usd", table) == 20001
    assert convert_minor(30000, "jpy", "usd", table) == 20000
    with pytest.raises(InputError, match="EUR→USD"):
        convert_minor(1, "eur", "usd", table)
