"""The LLM dashboard page and JSON API, driven in process through the real app."""

from __future__ import annotations

import httpx
import pytest

from iza.kernel.store import Store
from iza.kernel.tokens import create_token
from iza.llm import LLM, CallContext, FakeProvider
from iza.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(settings):
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c
    Store.from_settings(settings).dispose()


@pytest.fixture
def token(settings):
    return create_token(Store.from_settings(settings), "tester")[1]


def record_calls(settings):
    store = Store.from_settings(settings)
    store.ensure_schema()
    llm = LLM(settings, store=store, providers=[FakeProvider(lambda m: "answer words")])
    llm.chat("one", model="fake:alpha", context=CallContext(agent="writer"))
    llm.chat("two", model="fake:alpha", context=CallContext(agent="writer"))
    llm.chat("three", model="fake:beta", context=CallContext(agent="critic"))


async def test_usage_page_shows_offline_and_breakdowns(client, settings, token):
    record_calls(settings)
    login = await client.post("/login", data={"token": token, "next": "/llm"})
    assert login.status_code == 303
    page = await client.get("/llm")
    assert page.status_code == 200
    html = page.text
    assert 'data-mode="offline"' in html  # the fake was injected in code; nothing is configured
    assert 'data-total="calls">3<' in html
    assert 'data-model="fake:alpha"' in html and 'data-agent="critic"' in html
    assert "<svg" in html and 'href="/llm"' in html


async def test_usage_page_needs_login(client):
    r = await client.get("/llm")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/llm"


async def test_usage_api(client, settings, token):
    record_calls(settings)
    r = await client.get(
        "/api/v1/llm/usage", params={"by": "agent"}, headers={"Authorization": f"Bearer {token}"}
    )
    rows = {row["agent"]: row for row in r.json()["rows"]}
    assert rows["writer"]["calls"] == 2 and rows["critic"]["calls"] == 1
    bad = await client.get(
        "/api/v1/llm/usage", params={"by": "nope"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 422
    assert (await client.get("/api/v1/llm/usage")).status_code == 401
    st = await client.get("/api/v1/llm/status", headers={"Authorization": f"Bearer {token}"})
    assert st.json()["mode"] == "offline"
