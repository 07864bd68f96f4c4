"""Margins subtract the real LLM cost of an order: a scripted mission tied to the order runs
through iza.llm (OpenAI SDK → local fake OpenAI-compatible server), the run journal records
the order in each call's context, and margins per order and per service read it back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iza.agents import Workforce, create_mission, run_mission
from iza.business._analytics import revenue
from iza.business._ledger import create_order, insert_entry
from iza.business._llm_costs import journal_cost_lines, nanos_to_cents
from iza.business._margins import margins
from iza.kernel.config import load
from iza.kernel.store import Store
from iza.llm.fakeservers import FakeOpenAI
from llm_wire_script import WireScript

CENTS_PER_CALL = 5  # 1000 in × $10/M + 500 out × $80/M = $0.05 a call


@pytest.fixture
def upstream(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text(json.dumps({"compat:*": [10.0, 80.0]}))
    with FakeOpenAI(WireScript()) as srv:
        monkeypatch.setenv("IZA_OPENAI_COMPAT_BASE_URL", srv.base_url + "/v1")
        monkeypatch.setenv("IZA_LLM_MAX_RETRIES", "0")
        monkeypatch.setenv("IZA_AGENTS_MISSION_BUDGET_MICROS", "100000000")
        yield srv


def _paid_order(store: Store, amount: int, fee: int) -> str:
    now = datetime.now(UTC)
    with store.transaction() as session:
        order = create_order(store, session, service_slug="instant-app", amount_minor=amount,
                             currency="usd")
        insert_entry(session, kind="payment", amount_minor=amount, currency="usd", occurred_at=now,
                     source="manual", source_key=f"pay:{order.id}", order_id=order.id,
                     service_slug="instant-app")
        insert_entry(session, kind="fee", amount_minor=-fee, currency="usd", occurred_at=now,
                     source="manual", source_key=f"fee:{order.id}", order_id=order.id,
                     service_slug="instant-app")
        return order.id


def test_order_margin_subtracts_its_missions_llm_cost(store: Store, home: Path,
                                                      upstream: FakeOpenAI) -> None:
    order_id = _paid_order(store, 50_000, 1_480)
    other = _paid_order(store, 20_000, 610)  # no mission: no LLM cost
    wf = Workforce.from_settings(load(home), store)
    mid = create_mission(wf, "Build a todo app", "instant-app", order_id=order_id)
    view = run_mission(wf, mid)
    assert view["state"] == "completed", view["error"]
    calls = len(upstream.requests)
    assert calls >= 10
    lo, hi = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)
    rows = {r["key"]: r for r in margins(store, lo, hi, "order", UTC)}
    assert rows[order_id]["llm_costs"] == calls * CENTS_PER_CALL
    assert rows[order_id]["margin"] == 50_000 - 1_480 - calls * CENTS_PER_CALL
    assert rows[other]["llm_costs"] == 0 and rows[other]["margin"] == 20_000 - 610
    service = revenue(store, lo, hi)["by_service"]["instant-app"]["usd"]
    assert service["llm_costs"] == calls * CENTS_PER_CALL
    assert service["margin"] == 70_000 - 2_090 - calls * CENTS_PER_CALL
    # calls outside the period are not counted in it
    assert journal_cost_lines(store, hi, hi + timedelta(days=1)) == []


def test_cents_round_half_up() -> None:
    assert [nanos_to_cents(n) for n in (0, 4_999_999, 5_000_000, 10_000_000, 14_999_999)] == [
        0, 0, 1, 1, 1]
