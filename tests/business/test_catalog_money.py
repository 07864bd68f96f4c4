"""Catalog loading, overrides and validation; money parsing and formatting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from biz_helpers import run_iza
from hypothesis import given
from hypothesis import strategies as st

from iza.business._catalog import load_catalog, override_path
from iza.business._money import exponent, format_minor, parse_amount
from iza.errors import InputError


def test_packaged_catalog_has_the_core_offerings() -> None:
    cat = load_catalog()
    slugs = {s.slug for s in cat.services}
    assert {"instant-app", "ai-chatbot", "workflow-automation", "knowledge-base",
            "monthly-retainer"} <= slugs
    kinds = {p.type for s in cat.services for p in s.prices}
    assert kinds == {"one_off", "recurring"}
    assert cat.get("monthly-retainer").price("retainer-essential-quarterly").interval_count == 3


def _write(home: Path, doc: Any) -> Path:
    path = override_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def test_user_overrides_replace_add_and_disable(home: Path) -> None:
    _write(home, {"services": [
        {"slug": "instant-app", "disabled": True},
        {"slug": "ai-chatbot", "name": "Chatbot Plus", "category": "ai", "team": "t",
         "playbook": "p", "prices": [{"key": "cb", "tier": "x", "type": "one_off",
                                      "amount_minor": 5, "currency": "EUR"}]},
        {"slug": "seo-audit", "name": "SEO audit", "category": "marketing", "team": "growth",
         "playbook": "seo", "prices": [{"key": "seo", "tier": "one", "type": "recurring",
                                        "interval": "week", "amount_minor": 100, "currency": "gbp"}]},
    ]})
    cat = load_catalog(home)
    slugs = [s.slug for s in cat.services]
    assert "instant-app" not in slugs and "seo-audit" in slugs
    assert cat.get("ai-chatbot").name == "Chatbot Plus"
    assert cat.get("ai-chatbot").prices[0].currency == "eur"
    assert str(override_path(home)) in cat.sources


@pytest.mark.parametrize("doc, field, reason", [
    ("{not json", "line 1", "not valid JSON"),
    ({"services": [{"slug": "a", "name": "A", "category": "c", "team": "t", "playbook": "p",
                    "prices": [{"key": "k", "tier": "t", "type": "one_off", "amount_minor": -5,
                                "currency": "usd"}]}]}, "services[0].prices[0].amount_minor",
     "integer >= 0"),
    ({"services": [{"slug": "a", "name": "A", "category": "c", "team": "t", "playbook": "p",
                    "prices": [{"key": "k", "tier": "t", "type": "recurring", "amount_minor": 5,
                                "currency": "usd"}]}]}, "services[0].prices[0].interval",
     "recurring prices need"),
    ({"services": [{"slug": "a", "name": "A", "category": "c", "team": "t", "playbook": "p",
                    "prices": [{"key": "k", "tier": "t", "type": "one_off", "amount_minor": 5,
                                "currency": "dollars"}]}]}, "services[0].prices[0].currency",
     "three-letter"),
    ({"services": [{"slug": "a", "name": "A"}]}, "services[0].prices", "non-empty list"),
    ({"items": []}, "services", "'services' list"),
])
def test_invalid_override_is_rejected_naming_file_field_reason(home: Path, doc: Any, field: str,
                                                                reason: str) -> None:
    path = _write(home, doc)
    with pytest.raises(InputError) as err:
        load_catalog(home)
    msg = str(err.value)
    assert str(path) in msg and field in msg and reason in msg and err.value.fix


def test_cli_reports_invalid_catalog_with_exit_2(home: Path, capsys: Any) -> None:
    _write(home, {"services": "nope"})
    code, _, stderr = run_iza(["catalog", "list"], capsys)
    assert code == 2 and "service_catalog.json" in stderr


def test_cli_list_and_show_json(capsys: Any) -> None:
    code, out, _ = run_iza(["catalog", "list", "--json"], capsys)
    assert code == 0 and len(json.loads(out)["services"]) >= 5
    code, out, _ = run_iza(["catalog", "show", "knowledge-base", "--json"], capsys)
    data = json.loads(out)
    assert data["team"] == "knowledge-engineering"
    assert data["prices"][1]["label"] == "2400.00 USD / year"


def test_zero_decimal_and_three_decimal_currencies() -> None:
    assert parse_amount("12.50", "usd") == 1250
    assert parse_amount("1000", "JPY") == 1000
    assert parse_amount("1.234", "kwd") == 1234
    assert format_minor(1000, "jpy") == "1000 JPY"
    assert format_minor(-1250, "usd") == "-12.50 USD"
    with pytest.raises(InputError, match="more decimals than JPY"):
        parse_amount("10.5", "jpy")
    with pytest.raises(InputError, match="not an amount"):
        parse_amount("ten", "usd")
    with pytest.raises(InputError):
        exponent("us")


@given(st.integers(min_value=-10**12, max_value=10**12),
       st.sampled_from(["usd", "eur", "jpy", "krw", "kwd", "gbp"]))
def test_format_parse_round_trip(amount: int, currency: str) -> None:
    text = format_minor(amount, currency).split()[0]
    assert parse_amount(text, currency) == amount
