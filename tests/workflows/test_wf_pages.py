"""The Workflows page and its JSON API, in process through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from wf_helpers import chain, node

from iza.kernel.config import Settings
from iza.kernel.tokens import create_token
from iza.web.app import create_app
from iza.workflows.service import WorkflowService


def _exchange(settings: Settings, steps: Any) -> Any:
    app = create_app(settings)
    _, token = create_token(app.state.store, "tester")
    svc = WorkflowService(app.state.store, settings)

    async def go() -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await steps(client, {"Authorization": f"Bearer {token}"}, token, svc)

    try:
        return asyncio.run(go())
    finally:
        app.state.unwire_events()
        app.state.store.dispose()


def _greeter() -> dict[str, Any]:
    """Manual Trigger and a Webhook both lead to Greet."""
    wf = chain(
        node("Start", "manualTrigger"),
        node("Greet", "code", {"jsCode": "return [{json: {greeting: 'Hi ' + ($json.name || 'there')}}]"},
             version=2),
        name="greeter")
    wf["nodes"].append(node("Hook", "webhook", {"httpMethod": "POST", "path": "greet"}))
    wf["connections"]["Hook"] = {"main": [[{"node": "Greet", "type": "main", "index": 0}]]}
    return wf


def test_api_lists_runs_and_shows_executions(settings: Settings) -> None:
    async def steps(client: httpx.AsyncClient, auth: dict[str, str], _t: str, svc: WorkflowService) -> None:
        assert (await client.get("/api/v1/workflows")).status_code == 401
        wf_id = svc.import_workflow(_greeter())
        listed = (await client.get("/api/v1/workflows", headers=auth)).json()
        assert [w["name"] for w in listed] == ["greeter"] and listed[0]["active"] is False
        kinds = {t["kind"]: t["detail"] for t in listed[0]["triggers"]}
        assert kinds["webhook"] == "POST /webhooks/workflows/greet (onReceived)"
        assert kinds["manual"] == "manual run"

        run = await client.post(f"/api/v1/workflows/{wf_id}/run", headers=auth,
                                json={"input": {"name": "Ada"}})
        assert run.status_code == 200, run.text
        summary = run.json()
        assert summary["status"] == "success" and summary["mode"] == "manual"
        detail = (await client.get(f"/api/v1/workflows/executions/{summary['id']}", headers=auth)).json()
        assert [n["node"] for n in detail["nodes"]] == ["Start", "Greet"]
        assert detail["nodes"][-1]["outputs"] == [[{"greeting": "Hi Ada"}]]
        execs = (await client.get("/api/v1/workflows/executions?workflow=greeter", headers=auth)).json()
        assert [e["id"] for e in execs] == [summary["id"]]

        assert (await client.post(f"/api/v1/workflows/{wf_id}/activate", headers=auth)).json()["active"]
        assert (await client.get("/api/v1/workflows", headers=auth)).json()[0]["active"] is True
        await client.post("/api/v1/workflows/greeter/deactivate", headers=auth)
        assert (await client.get("/api/v1/workflows", headers=auth)).json()[0]["active"] is False

        missing = await client.get("/api/v1/workflows/executions/999", headers=auth)
        assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFoundError"
        bad = await client.post("/api/v1/workflows/nope/run", headers=auth, json={})
        assert bad.status_code == 404 and "iza workflows list" in bad.json()["error"]["fix"]

    _exchange(settings, steps)


def test_page_lists_workflows_and_runs_from_a_form(settings: Settings) -> None:
    async def steps(client: httpx.AsyncClient, _a: dict[str, str], token: str, svc: WorkflowService) -> None:
        page = await client.get("/workflows")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        await client.post("/login", data={"token": token, "next": "/workflows"})
        wf_id = svc.import_workflow(_greeter())
        html = (await client.get("/workflows")).text
        assert 'data-workflow="greeter"' in html and "webhook: POST /webhooks/workflows/greet" in html
        assert 'href="/workflows"' in html  # in the navigation
        ran = await client.post(f"/workflows/{wf_id}/run", data={"input_json": '{"name": "Bo"}'})
        assert ran.status_code == 303
        page = (await client.get(ran.headers["location"])).text
        assert 'data-status="success"' in page and "Hi Bo" in page and 'data-node="Greet"' in page
        bad = await client.post(f"/workflows/{wf_id}/run", data={"input_json": "{nope"},
                                headers={"accept": "application/json"})
        assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]["message"]
        toggled = await client.post(f"/workflows/{wf_id}/active", data={"active": "1"})
        assert toggled.status_code == 303 and svc.get(wf_id).active

    _exchange(settings, steps)
