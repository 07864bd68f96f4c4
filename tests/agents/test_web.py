"""The Agents dashboard page, the mission page (approve from the browser form) and the JSON API,
driven in process through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from iza.kernel.config import Settings
from iza.kernel.tokens import create_token
from iza.web.app import create_app


def _exchange(settings: Settings, steps: Any) -> Any:
    app = create_app(settings)
    _, token = create_token(app.state.store, "tester")

    async def go() -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            login = await client.post("/login", data={"token": token, "next": "/agents"})
            assert login.status_code == 303
            return await steps(client, {"Authorization": f"Bearer {token}"})

    return asyncio.run(go())


def test_api_runs_a_mission_and_the_pages_show_it(settings: Settings) -> None:
    async def steps(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        assert (await client.get("/api/v1/agents/missions")).status_code == 401
        created = await client.post("/api/v1/agents/missions", headers=auth,
                                    json={"request": "Build a todo app for a gym"})
        assert created.status_code == 202
        mid = created.json()["id"]
        view = (await client.get(f"/api/v1/agents/missions/{mid}", headers=auth)).json()
        assert view["state"] == "completed" and view["mode"] == "offline-playbook"
        otel = (await client.get(f"/api/v1/agents/missions/{mid}/trace?format=otel",
                                 headers=auth)).json()
        assert otel["resourceSpans"][0]["scopeSpans"][0]["spans"]
        roster = (await client.get("/api/v1/agents/roster?tier=strategist", headers=auth)).json()
        assert len(roster["agents"]) == 4
        page = await client.get("/agents")
        assert page.status_code == 200 and mid in page.text and "offline-playbook" in page.text
        detail = await client.get(f"/agents/missions/{mid}")
        assert "no LLM provider was used" in detail.text and "Write the app specification" in detail.text
        bad = await client.post("/api/v1/agents/missions", headers=auth,
                                json={"request": "Write a blog article"})
        assert bad.status_code == 400 and "needs a language model" in bad.text

    _exchange(settings, steps)


def test_approve_from_the_dashboard(settings: Settings) -> None:
    async def steps(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
        created = await client.post("/api/v1/agents/missions", headers=auth,
                                    json={"request": "monthly retainer for our salon"})
        mid = created.json()["id"]
        page = await client.get("/agents")
        assert "Awaiting approval" in page.text and f"/agents/missions/{mid}/decision" in page.text
        decided = await client.post(f"/agents/missions/{mid}/decision",
                                    data={"decision": "approve", "note": "fine"})
        assert decided.status_code == 303
        view = (await client.get(f"/api/v1/agents/missions/{mid}", headers=auth)).json()
        assert view["state"] == "completed"
        step = next(t for t in view["tasks"] if t["title"] == "Send the client update")
        assert step["approval"] == "approved: fine (by tester)"

    _exchange(settings, steps)


def test_pages_need_login(settings: Settings) -> None:
    app = create_app(settings)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://testserver") as client:
            return await client.get("/agents")

    resp = asyncio.run(go())
    assert resp.status_code in (303, 307) and "/login" in resp.headers["location"]
