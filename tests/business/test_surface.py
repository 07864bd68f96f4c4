"""The package's public surface, its migration against its models, health and doctor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from biz_helpers import Hook, fixture_events, run_iza

import iza.business
from iza.business._models import StripeEventRow
from iza.kernel.store import Base, Store


def test_all_is_sorted_and_complete() -> None:
    names = iza.business.__all__
    assert names == sorted(names)
    public = {n for n in dir(iza.business) if not n.startswith("_") and n[0].isupper() or
              n in {"deliver_order", "format_minor", "ingest_webhook", "load_catalog", "parse_amount",
                    "process_event", "record_llm_cost", "sign_payload", "verify_signature"}}
    assert public <= set(names)
    for n in names:
        assert hasattr(iza.business, n)


def test_migration_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if "biz_" in repr(d)]
    assert ours == []


def test_health_counts_and_doctor(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "not-a-whsec")
    code, out, _ = run_iza(["status", "--json"], capsys)
    assert "not migrated" in out  # before `iza init` the tables are missing, and status says so
    assert run_iza(["init"], capsys)[0] == 0
    code, out, _ = run_iza(["status", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    comps = data["components"] if isinstance(data, dict) else data
    biz = next(c for c in comps if c["name"] == "business")
    assert biz["status"] == "ok" and biz["metrics"]["counts"]["services"] >= 5
    code, out, _ = run_iza(["doctor", "--json"], capsys)
    text = out
    assert "stripe.webhook_secret" in text and "whsec_" in text


def test_handler_failure_fails_only_its_own_delivery(hook: Hook) -> None:
    good = fixture_events()[3]
    bad = json.loads(json.dumps(good))
    bad["id"] = "evt_broken"
    del bad["data"]["object"]["currency"]  # invoice.paid without a currency cannot be booked
    responses = hook.send_concurrently([bad, good, fixture_events()[0]])
    assert [r.status_code for r in responses] == [500, 200, 200]
    with hook.store.read() as s:
        ids = set(s.scalars(sa.select(StripeEventRow.event_id)))
    assert ids == {good["id"], fixture_events()[0]["id"]}  # the broken one may be retried


def test_webhook_needs_no_token_but_the_api_does(hook: Hook) -> None:
    import asyncio

    import httpx

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=hook.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/api/v1/status")

    assert hook.send(fixture_events()[0]).status_code == 200
    assert asyncio.run(get()).status_code == 401


def test_docs_describe_every_cli_command() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "business.md").read_text()
    for cmd in ("iza catalog list", "iza stripe replay", "iza stripe checkout", "iza stripe reconcile",
                "iza revenue report", "iza leads", "revenue_tracking.csv", "client_acquisition.csv"):
        assert cmd in doc
