"""Webhook triggers over real HTTP: an active workflow answers at /webhooks/workflows/<path> in each
of n8n's response modes; unknown paths get a 404 that names the fix; a Wait node resumes from its
waiting webhook."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from wf_helpers import chain, node
from wfserver_helpers import serving, wait_for

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.web.app import create_app
from iza.workflows.service import WorkflowService


@pytest.fixture
def server(home: Path) -> Iterator[tuple[str, WorkflowService]]:
    settings = load(home, {"workflows.scheduler": False})
    ensure_home(settings)
    app = create_app(settings)
    svc = WorkflowService(app.state.store, settings)
    try:
        with serving(app) as base:
            yield base, svc
    finally:
        app.state.unwire_events()
        app.state.store.dispose()


def _activate(svc: WorkflowService, wf: dict[str, Any]) -> str:
    wf_id = svc.import_workflow(wf)
    svc.set_active(wf_id, True)
    return wf_id


def _code(name: str, js: str) -> dict[str, Any]:
    return node(name, "code", {"jsCode": js}, version=2)


def _finished(svc: WorkflowService, wf_id: str, count: int = 1) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]]:
        rows = [e for e in svc.executions(wf_id) if e["status"] not in ("running", "queued")]
        return rows if len(rows) >= count else []

    return wait_for(done, f"{count} finished execution(s) of {wf_id}")


def test_on_received_answers_at_once_and_runs_with_n8n_item(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    wf_id = _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "GET", "path": "hello"}, version=2),
        _code("Shape", "return [{json: {name: $json.query.name, agent: $json.headers['user-agent'],"
                       " mode: $execution.mode}}]"),
        name="hello"))
    r = httpx.get(f"{base}/webhooks/workflows/hello", params={"name": "Ada"},
                  headers={"User-Agent": "wf-test"})
    assert r.status_code == 200
    assert r.json() == {"message": "Workflow was started"}
    (execution,) = _finished(svc, wf_id)
    assert execution["status"] == "success" and execution["mode"] == "webhook"
    detail = svc.execution_detail(execution["id"])
    trigger_item = detail["nodes"][0]["outputs"][0][0]
    assert set(trigger_item) >= {"headers", "params", "query", "body", "webhookUrl"}
    assert trigger_item["query"] == {"name": "Ada"}
    assert detail["nodes"][1]["outputs"][0] == [{"name": "Ada", "agent": "wf-test", "mode": "production"}]
    # n8n's own prefix reaches the same workflow
    r2 = httpx.get(f"{base}/webhook/hello", params={"name": "Bo"})
    assert r2.status_code == 200
    assert len(_finished(svc, wf_id, 2)) == 2


def test_last_node_answers_with_its_output(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "greet", "responseMode": "lastNode",
                                    "options": {"responseCode": 201}}, version=1),
        _code("Greet", "return $input.all().map(i => ({json: {greeting: 'Hi ' + i.json.body.name,"
                       " n: 1}})).concat([{json: {greeting: 'second', n: 2}}])"),
        name="greet"))
    r = httpx.post(f"{base}/webhooks/workflows/greet", json={"name": "Ada"})
    assert r.status_code == 201
    assert r.json() == {"greeting": "Hi Ada", "n": 1}
    assert int(r.headers["x-iza-execution-id"]) > 0

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "all", "responseMode": "lastNode",
                                    "responseData": "allEntries"}),
        _code("Two", "return [{json: {a: 1}}, {json: {a: $json.body.x}}]"), name="all"))
    assert httpx.post(f"{base}/webhooks/workflows/all", json={"x": 2}).json() == [{"a": 1}, {"a": 2}]

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "fails", "responseMode": "lastNode"}),
        _code("Boom", "throw new Error('no stock')"), name="fails"))
    r = httpx.post(f"{base}/webhooks/workflows/fails", json={})
    assert r.status_code == 500 and r.json() == {"message": "Error in workflow"}
    assert svc.executions("fails")[0]["error"].startswith("no stock")


def test_dynamic_path_and_form_body(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "users/:id/notes",
                                    "responseMode": "lastNode"}),
        _code("Echo", "return [{json: {id: $json.params.id, body: $json.body}}]"), name="notes"))
    r = httpx.post(f"{base}/webhooks/workflows/users/42/notes", data={"text": "hello"})
    assert r.json() == {"id": "42", "body": {"text": "hello"}}


def test_respond_to_webhook_node(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    wf_id = _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "order",
                                    "responseMode": "responseNode"}, version=2),
        node("Respond", "respondToWebhook", {
            "respondWith": "json",
            "responseBody": "={{ JSON.stringify({ok: true, id: $json.body.id}) }}",
            "options": {"responseCode": 202, "responseHeaders": {
                "entries": [{"name": "X-Order", "value": "={{ $json.body.id }}"}]}},
        }, version=1.1),
        _code("After", "return [{json: {after: true}}]"),
        name="order"))
    r = httpx.post(f"{base}/webhooks/workflows/order", json={"id": 7})
    assert r.status_code == 202
    assert r.json() == {"ok": True, "id": 7}
    assert r.headers["x-order"] == "7"
    (execution,) = _finished(svc, wf_id)
    assert execution["status"] == "success" and execution["last_node"] == "After"  # ran on after answering

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "GET", "path": "text", "responseMode": "responseNode"}),
        node("Respond", "respondToWebhook",
             {"respondWith": "text", "responseBody": "=plain {{ $json.query.q }}"}),
        name="text"))
    r = httpx.get(f"{base}/webhooks/workflows/text?q=words")
    assert r.status_code == 200 and r.text == "plain words"
    assert r.headers["content-type"].startswith("text/plain")

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "GET", "path": "go", "responseMode": "responseNode"}),
        node("Respond", "respondToWebhook", {"respondWith": "redirect", "redirectURL": "https://example.org/x"}),
        name="go"))
    r = httpx.get(f"{base}/webhooks/workflows/go", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "https://example.org/x"

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "GET", "path": "items", "responseMode": "responseNode"}),
        _code("Many", "return [{json: {k: 1}}, {json: {k: 2}}]"),
        node("Respond", "respondToWebhook", {}, version=1.1),
        name="items"))
    assert httpx.get(f"{base}/webhooks/workflows/items").json() == [{"k": 1}, {"k": 2}]

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "GET", "path": "silent", "responseMode": "responseNode"}),
        _code("Nothing", "return [{json: {}}]"), name="silent"))
    r = httpx.get(f"{base}/webhooks/workflows/silent")
    assert r.status_code == 500 and "Respond to Webhook" in r.json()["message"]


def test_unknown_inactive_and_wrong_method_paths_are_404(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    r = httpx.post(f"{base}/webhooks/workflows/nowhere/at-all", json={})
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["type"] == "WebhookNotFound" and "POST /nowhere/at-all" in err["message"]
    assert "iza workflows activate" in err["fix"]

    wf_id = svc.import_workflow(chain(node("Webhook", "webhook", {"httpMethod": "POST", "path": "later"}),
                                      name="later"))
    assert httpx.post(f"{base}/webhooks/workflows/later").status_code == 404  # imported, not active
    svc.set_active(wf_id, True)
    assert httpx.post(f"{base}/webhooks/workflows/later").status_code == 200
    r = httpx.get(f"{base}/webhooks/workflows/later")
    assert r.status_code == 404 and "accepts POST, not GET" in r.json()["error"]["message"]
    svc.set_active(wf_id, False)
    assert httpx.post(f"{base}/webhooks/workflows/later").status_code == 404


def test_wait_node_resumes_from_its_webhook(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    wf_id = _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "approve", "responseMode": "lastNode"}),
        node("Wait", "wait", {"resume": "webhook", "responseMode": "lastNode"}, version=1.1),
        _code("Decide", "return [{json: {approved: $json.body.approved, by: $json.query.by}}]"),
        name="approve"))
    r = httpx.post(f"{base}/webhooks/workflows/approve", json={"doc": 1})
    assert r.status_code == 200 and r.json()["message"] == "Workflow is waiting"
    exec_id = r.json()["executionId"]
    assert svc.executions(wf_id)[0]["status"] == "waiting"

    r = httpx.post(f"{base}/webhooks/workflows/waiting/{exec_id}?by=ops", json={"approved": True})
    assert r.status_code == 200
    assert r.json() == {"approved": True, "by": "ops"}
    assert svc.executions(wf_id)[0]["status"] == "success"

    r = httpx.post(f"{base}/webhooks/workflows/waiting/{exec_id}", json={})
    assert r.status_code == 404 and "not waiting for a webhook" in r.json()["error"]["message"]


def test_on_received_options_and_a_parked_response_node_run(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "PUT", "path": "ack",
                                    "options": {"responseData": "thanks", "responseHeaders": {
                                        "entries": [{"name": "X-Ack", "value": "1"}]}}}),
        name="ack"))
    r = httpx.put(f"{base}/webhooks/workflows/ack", content=b"raw text",
                  headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.text == "thanks" and r.headers["x-ack"] == "1"
    ack = _finished(svc, "ack")[0]
    assert svc.execution_detail(ack["id"])["nodes"][0]["outputs"][0][0]["body"] == "raw text"

    _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "quiet", "responseCode": 204,
                                    "options": {"responseData": "noData"}}),
        name="quiet"))
    r = httpx.post(f"{base}/webhooks/workflows/quiet")
    assert r.status_code == 204 and r.content == b""

    wf_id = _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "slow", "responseMode": "responseNode"}),
        node("Wait", "wait", {"amount": 2, "unit": "hours"}, version=1.1),
        node("Respond", "respondToWebhook", {"respondWith": "noData"}),
        name="slow"))
    r = httpx.post(f"{base}/webhooks/workflows/slow")
    assert r.status_code == 200 and r.json()["message"] == "Workflow is waiting"
    assert svc.executions(wf_id)[0]["status"] == "waiting"


def test_webhook_with_n8n_credentials_is_refused(server: tuple[str, WorkflowService]) -> None:
    base, svc = server
    wf_id = _activate(svc, chain(
        node("Webhook", "webhook", {"httpMethod": "POST", "path": "secret", "authentication": "headerAuth"}),
        name="secret"))
    r = httpx.post(f"{base}/webhooks/workflows/secret", json={})
    assert r.status_code == 403
    assert "headerAuth" in r.json()["error"]["message"] and "IF node" in r.json()["error"]["fix"]
    assert svc.executions(wf_id) == []  # never ran unauthenticated
