"""The web shell in process: health probes, auth on the API, login, the Command Center, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from iza.kernel.config import Settings
from iza.kernel.store import Store
from iza.kernel.tokens import create_token, revoke_token
from iza.web.app import create_app

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    Store.from_settings(settings).dispose()


@pytest.fixture
def token(settings: Settings) -> str:
    return create_token(Store.from_settings(settings), "tester")[1]


async def test_health_probes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


async def test_api_rejects_missing_and_bad_tokens(client: httpx.AsyncClient, token: str) -> None:
    missing = await client.get("/api/v1/status")
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert missing.json() == {"error": {
        "status": 401, "type": "Unauthorized", "message": "this endpoint needs an API token",
        "fix": "send 'Authorization: Bearer <token>'; create one with `iza tokens create NAME`"}}
    bad = await client.get("/api/v1/status", headers={"Authorization": "Bearer iza_wrong"})
    assert bad.status_code == 401 and bad.json()["error"]["type"] == "Unauthorized"
    ok = await client.get("/api/v1/status", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert ok.json()["components"][0]["name"] == "kernel"


async def test_revoked_token_is_refused(client: httpx.AsyncClient, token: str,
                                        settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/whoami", headers=headers)).json()["token"] == "tester"
    revoke_token(Store.from_settings(settings), "tester")
    assert (await client.get("/api/v1/whoami", headers=headers)).status_code == 401


async def test_openapi_schema_lists_the_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/status" in schema["paths"] and "/api/v1/events" in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


async def test_validation_and_not_found_use_the_error_shape(client: httpx.AsyncClient,
                                                            token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    bad = await client.get("/api/v1/events?limit=0", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["type"] == "ValidationError"
    assert "limit" in bad.json()["error"]["message"]
    missing = await client.get("/api/v1/nope", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["status"] == 404


async def test_dashboard_needs_login(client: httpx.AsyncClient, token: str) -> None:
    page = await client.get("/")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/"
    wrong = await client.post("/login", data={"token": "iza_nope", "next": "/"})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    login = await client.post("/login", data={"token": token, "next": "//evil.example"})
    assert login.status_code == 303 and login.headers["location"] == "/"
    assert "httponly" in login.headers["set-cookie"].lower()
    page = await client.get("/")
    assert page.status_code == 200 and "Command Center" in page.text
    assert 'data-component="kernel"' in page.text and "auth.token_created" in page.text
    partial = await client.get("/partials/health")
    assert partial.status_code == 200 and "<table" in partial.text


async def test_tampered_session_cookie_is_refused(client: httpx.AsyncClient, token: str) -> None:
    await client.post("/login", data={"token": token, "next": "/"})
    cookie = client.cookies["iza_session"]
    token_id, expires, sig = cookie.split(".")
    client.cookies.set("iza_session", f"{token_id}.{int(expires) + 9999}.{sig}")
    assert (await client.get("/")).status_code == 303
