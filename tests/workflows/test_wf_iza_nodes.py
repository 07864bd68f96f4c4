"""IZA's own workflow nodes: memory, LLM chat, agent missions, Stripe checkout and revenue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from wf_helpers import chain, node
from wfai_helpers import fake_provider, output, service, settings_for

from iza._system import wire_workflow_nodes
from iza.business._models import LedgerRow, OrderRow
from iza.business.fake_stripe import FakeStripe
from iza.cli import cli
from iza.llm.fakeservers import Reply
from iza.workflows import is_supported, register_mission_runner


@pytest.fixture(autouse=True)
def _wired() -> Iterator[None]:
    wire_workflow_nodes()
    yield


def _run(settings: Any, wf: dict[str, Any], items: list[dict[str, Any]] | None = None) -> Any:
    svc, store = service(settings)
    try:
        return svc.run(svc.parse(wf), items=items)[1]
    finally:
        store.dispose()


def test_memory_add_then_search(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home", {})
    wf = chain(
        node("Start", "manualTrigger"),
        node("Facts", "code", {"jsCode": "return [{note: 'Ada prefers email on Mondays', who: 'ada'},"
                                         " {note: 'Bo pays invoices by card', who: 'bo'}]"}, version=2),
        node("Remember", "iza.memoryAdd", {"namespace": "crm", "text": "={{ $json.note }}",
                                           "subject": "={{ $json.who }}", "kind": "fact",
                                           "metadata": '={{ JSON.stringify({source: "wf"}) }}'}),
        node("Ask", "code", {"jsCode": "return [{q: 'how should we contact Ada by email'}]"}, version=2),
        node("Recall", "iza.memorySearch", {"namespace": "crm", "query": "={{ $json.q }}", "limit": 1}),
    )
    result = _run(settings, wf)
    assert result.status == "success", result.error
    added = output(result, "Remember")
    assert [a["namespace"] for a in added] == ["crm", "crm"] and len({a["id"] for a in added}) == 2
    hits = output(result, "Recall")
    assert len(hits) == 1 and hits[0]["text"] == "Ada prefers email on Mondays"
    assert hits[0]["subject"] == "ada" and hits[0]["kind"] == "fact"
    assert hits[0]["metadata"] == {"source": "wf"}
    assert hits[0]["provenance"]["node"] == "Remember"


def test_memory_add_rejects_empty_text(tmp_path: Path) -> None:
    wf = chain(node("Start", "manualTrigger"), node("Remember", "iza.memoryAdd", {"namespace": "crm"}))
    result = _run(settings_for(tmp_path / "home", {}), wf)
    assert result.status == "error" and result.error is not None
    assert result.error["parameter"] == "text" and "empty" in result.error["message"]


def test_llm_chat_node(tmp_path: Path) -> None:
    def script(body: dict[str, Any]) -> Reply:
        if "response_format" in body:
            return Reply(text='{"mood": "happy"}')
        return Reply(text="Hello from the model")

    wf = chain(
        node("Start", "manualTrigger"),
        node("Chat", "iza.llmChat", {"prompt": "=Greet {{ 'Ada' }}", "system": "Be kind",
                                     "model": "openai:gpt-4.1-mini", "temperature": 0}),
        node("Mood", "iza.llmChat", {"prompt": "How do you feel?",
                                     "jsonSchema": '{"type": "object", "properties": {"mood": '
                                                   '{"type": "string"}}, "required": ["mood"]}'}),
    )
    with fake_provider("openai", script) as (server, env):
        result = _run(settings_for(tmp_path / "home", env), wf)
    assert result.status == "success", result.error
    chat = output(result, "Chat")[0]
    assert chat["text"] == "Hello from the model" and chat["provider"] == "openai"
    assert chat["model"] == "gpt-4.1-mini" and chat["usage"]["output_tokens"] == 4
    assert output(result, "Mood")[0]["parsed"] == {"mood": "happy"}
    first = server.requests[0].body
    assert first["messages"] == [{"role": "system", "content": "Be kind"},
                                 {"role": "user", "content": "Greet Ada"}]


def test_llm_chat_without_provider_says_so(tmp_path: Path) -> None:
    wf = chain(node("Start", "manualTrigger"), node("Chat", "iza.llmChat", {"prompt": "hi"}))
    result = _run(settings_for(tmp_path / "home", {}), wf)
    assert result.status == "error" and result.error is not None
    assert "no LLM provider is configured" in result.error["message"]
    assert "Chat" in result.run_data and "data" not in result.run_data["Chat"][0]


def test_agent_mission_runs_offline_and_is_labelled(tmp_path: Path) -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Mission", "iza.agentMission", {"objective": "=SEO audit for {{ 'bakery.example' }}",
                                             "service": "seo-audit"}),
    )
    result = _run(settings_for(tmp_path / "home", {}), wf)
    assert result.status == "success", result.error
    out = output(result, "Mission")[0]
    assert out["state"] == "completed" and out["mode"] == "offline-playbook"
    assert out["service"] == "seo-audit" and out["missionId"].startswith("m-") and out["tasks"] >= 2
    assert out["result"]["mode"] == "offline-playbook"


def test_agent_mission_node_needs_the_runner(tmp_path: Path) -> None:
    register_mission_runner(None)
    wf = chain(node("Start", "manualTrigger"), node("Mission", "iza.agentMission", {"objective": "x"}))
    result = _run(settings_for(tmp_path / "home", {}), wf)
    assert result.error is not None and "not wired" in result.error["message"]


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    with FakeStripe(api_key="sk_test_local") as f:
        yield f


def test_stripe_checkout_node_creates_order_and_session(tmp_path: Path, fake_stripe: FakeStripe) -> None:
    settings = settings_for(tmp_path / "home", {"STRIPE_API_KEY": "sk_test_local",
                                                 "IZA_STRIPE_API_BASE": fake_stripe.url})
    wf = chain(
        node("Start", "manualTrigger"),
        node("Lead", "code", {"jsCode": "return [{email: 'ana@example.com', want: 'ai-chatbot'}]"},
             version=2),
        node("Checkout", "iza.stripeCheckout",
             {"service": "={{ $json.want }}", "email": "={{ $json.email }}"}),
    )
    svc, store = service(settings)
    result = svc.run(svc.parse(wf))[1]
    assert result.status == "success", result.error
    link = output(result, "Checkout")[0]
    assert link["url"].startswith(fake_stripe.url + "/c/pay/cs_test_")
    session = fake_stripe.objects["checkout.session"][link["sessionId"]]
    assert session["customer_email"] == "ana@example.com" and session["amount_total"] == 99900
    with store.read() as s:
        order = s.get(OrderRow, link["orderId"])
        assert order is not None and order.status == "pending" and order.checkout_session == link["sessionId"]
    store.dispose()


def test_stripe_checkout_unknown_service_is_a_clear_error(tmp_path: Path, fake_stripe: FakeStripe) -> None:
    settings = settings_for(tmp_path / "home", {"STRIPE_API_KEY": "sk_test_local",
                                                 "IZA_STRIPE_API_BASE": fake_stripe.url})
    wf = chain(node("Start", "manualTrigger"),
               node("Checkout", "iza.stripeCheckout", {"service": "no-such", "email": "a@b.co"}))
    result = _run(settings, wf)
    assert result.status == "error" and result.error is not None
    assert "no-such" in result.error["message"] and result.error["node"] == "Checkout"


def test_revenue_event_is_recorded_once_per_reference(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home", {})
    wf = chain(
        node("Start", "manualTrigger"),
        node("Sale", "code",
             {"jsCode": "return [{ref: 'inv-1', total: '49.90'}, {ref: 'inv-2', total: '10'}]"}, version=2),
        node("Book", "iza.revenueEvent", {"amount": "={{ $json.total }}", "currency": "eur",
                                          "reference": "={{ $json.ref }}", "service": "ai-chatbot",
                                          "customerEmail": "ana@example.com", "description": "manual sale"}),
    )
    svc, store = service(settings)
    first = svc.run(svc.parse(wf))[1]
    again = svc.run(svc.parse(wf))[1]
    assert first.status == "success", first.error
    assert [(r["recorded"], r["amountMinor"], r["currency"]) for r in output(first, "Book")] == [
        (True, 4990, "eur"), (True, 1000, "eur")]
    assert [r["recorded"] for r in output(again, "Book")] == [False, False]
    with store.read() as s:
        rows = s.scalars(sa.select(LedgerRow).order_by(LedgerRow.id)).all()
        assert [(r.kind, r.amount_minor, r.source, r.source_key, r.service_slug) for r in rows] == [
            ("payment", 4990, "workflow", "workflow:inv-1", "ai-chatbot"),
            ("payment", 1000, "workflow", "workflow:inv-2", "ai-chatbot")]
        assert rows[0].customer_ref and rows[0].description == "manual sale"
    store.dispose()


def test_revenue_event_refund_is_negative_and_bad_amount_is_named(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home", {})
    ok = chain(node("Start", "manualTrigger"),
               node("Refund", "iza.revenueEvent", {"kind": "refund", "amountMinor": 500, "reference": "r-1"}))
    bad = chain(node("Start", "manualTrigger"),
                node("Book", "iza.revenueEvent", {"amount": "lots", "reference": "r-2"}))
    assert output(_run(settings, ok), "Refund")[0]["amountMinor"] == -500
    result = _run(settings, bad)
    assert result.status == "error" and result.error is not None
    assert result.error["parameter"] == "amount"


def test_cli_validate_and_run_know_the_business_nodes(tmp_path: Path) -> None:
    register_mission_runner(None)  # the CLI wires it again itself
    path = tmp_path / "wf.json"
    path.write_text(json.dumps(chain(
        node("Start", "manualTrigger"),
        node("Book", "iza.revenueEvent", {"amount": "12.00", "reference": "cli-1"}),
        node("Mission", "iza.agentMission", {"objective": "SEO audit for my shop", "service": "seo-audit"}),
    )))
    runner = CliRunner()
    res = runner.invoke(cli, ["workflows", "validate", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["ok"] is True
    res = runner.invoke(cli, ["workflows", "run", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert is_supported("iza.stripeCheckout") and is_supported("iza.revenueEvent")


def test_cli_run_without_provider_says_how_to_configure(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    wf = chain(node("Start", "manualTrigger"), node("Chat", "iza.llmChat", {"prompt": "hi"}))
    path.write_text(json.dumps(wf))
    res = CliRunner().invoke(cli, ["workflows", "run", str(path)])
    assert res.exit_code == 1
    assert "no LLM provider is configured" in res.stderr and "OPENAI_API_KEY" in res.stderr


def test_revenue_node_on_each_store(settings: Any, store: Any) -> None:
    """The workflow's own store (SQLite and PostgreSQL) receives the ledger row."""
    from iza.workflows.service import WorkflowService

    svc = WorkflowService(store, settings)
    wf = chain(node("Start", "manualTrigger"),
               node("Book", "iza.revenueEvent", {"amount": "5", "currency": "usd", "reference": "pg-1"}))
    assert svc.run(svc.parse(wf))[1].status == "success"
    with store.read() as s:
        rows = [(r.amount_minor, r.source_key) for r in s.scalars(sa.select(LedgerRow))]
    assert rows == [(500, "workflow:pg-1")]


def test_memory_add_with_record_id_updates_in_place(tmp_path: Path) -> None:
    from iza.memory import open_store

    settings = settings_for(tmp_path / "home", {})
    for text in ("Ada likes tea", "Ada likes coffee"):
        wf = chain(node("Start", "manualTrigger"),
                   node("Remember", "iza.memoryAdd", {"namespace": "prefs", "recordId": "ada", "text": text}))
        assert _run(settings, wf).status == "success"
    mem = open_store(settings, embedder=None)
    try:
        assert [r.text for r in mem.list("prefs")] == ["Ada likes coffee"]
        assert [h["text"] for h in mem.history("prefs", "ada")] == ["Ada likes tea", "Ada likes coffee"]
    finally:
        mem.close()
