"""The memory page and JSON API, in process through ASGI (real app, real store, real login)."""

from __future__ import annotations

import asyncio

import httpx

from iza.kernel.store import Store
from iza.kernel.tokens import create_token
from iza.memory import Mailbox, MemoryRecord, open_store
from iza.web.app import create_app


def _seed(settings) -> None:
    store = open_store(settings, embedder=None)
    store.add(
        [
            MemoryRecord(namespace="crm", id="c1", text="Acme wants the premium plan"),
            MemoryRecord(namespace="crm", id="c2", text="Globex asked about invoices"),
        ]
    )
    Mailbox(store).send("planner", "worker-1", "Call Acme about the premium plan")
    store.close()


def test_memory_page_and_api(settings, monkeypatch):
    monkeypatch.setenv("IZA_MEMORY_EMBEDDER", "none")
    from iza.kernel.config import load

    settings = load(settings.home)
    _seed(settings)
    app = create_app(settings)
    _, token = create_token(Store.from_settings(settings), "tester")

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            r = await client.get("/memory")
            assert r.status_code in (303, 307) or "login" in r.text.lower()
            r = await client.post("/login", data={"token": token, "next": "/memory"})
            assert r.status_code == 303
            page = await client.get("/memory", params={"namespace": "crm", "q": "premium plan"})
            assert page.status_code == 200
            assert "Acme wants the premium plan" in page.text and "c1" in page.text
            assert "Call Acme about the premium plan" in page.text  # open mailbox message
            assert 'data-count="crm">2<' in page.text
            api = await client.get(
                "/api/v1/memory/search",
                params={"namespace": "crm", "q": "invoices"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert api.status_code == 200 and [h["id"] for h in api.json()] == ["c2"]
            denied = await client.get("/api/v1/memory/stats")
            assert denied.status_code == 401
            stats = await client.get("/api/v1/memory/stats", headers={"Authorization": f"Bearer {token}"})
            assert stats.json()["namespaces"]["crm"]["records"] == 2

    asyncio.run(go())
