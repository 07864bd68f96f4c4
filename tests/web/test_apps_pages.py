"""The instant-app customer pages in process: catalog, form errors, job API, zip download."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest

from iza.apps import generate_app, parse_request
from iza.kernel.config import Settings
from iza.kernel.store import Store
from iza.kernel.tokens import create_token
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


async def login(client: httpx.AsyncClient, token: str) -> None:
    resp = await client.post("/login", data={"token": token, "next": "/apps"})
    assert resp.status_code == 303


async def test_catalog_needs_login_and_lists_blueprints(client: httpx.AsyncClient, token: str) -> None:
    page = await client.get("/apps")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    await login(client, token)
    page = await client.get("/apps")
    assert page.status_code == 200
    for name in ("tasks", "notes", "crm", "inventory", "bookings", "finance", "blog", "chat"):
        assert f'data-blueprint="{name}"' in page.text
    assert 'href="/apps"' in page.text  # in the navigation


async def test_bad_request_in_the_form_is_shown_and_starts_nothing(client: httpx.AsyncClient, token: str,
                                                                   settings: Settings) -> None:
    await login(client, token)
    resp = await client.post("/apps/requests", data={"request": "an app"})
    assert resp.status_code == 400
    assert "could not tell what the app should keep track of" in resp.text
    assert 'role="alert"' in resp.text
    assert list((settings.home / "apps").iterdir()) == []


async def test_api_rejects_bad_requests_with_the_error_shape(client: httpx.AsyncClient, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/api/v1/apps/requests", json={"request": "todo"})).status_code == 401
    resp = await client.post("/api/v1/apps/requests", json={"request": "   "}, headers=headers)
    assert resp.status_code == 400
    body = resp.json()
    assert "names nothing to build" in str(body) and "fix" in str(body)
    missing = await client.get("/api/v1/apps/requests/nope", headers=headers)
    assert missing.status_code == 404


async def test_zip_download_has_the_source_and_not_the_venv(client: httpx.AsyncClient, token: str,
                                                            settings: Settings) -> None:
    app_dir = settings.home / "apps" / "notes-app"
    generate_app(parse_request("notes app with tags"), app_dir)
    (app_dir / ".venv" / "bin").mkdir(parents=True)
    (app_dir / ".venv" / "bin" / "python").write_text("not shipped")
    (app_dir / "data").mkdir()
    (app_dir / "data" / "app.db").write_text("not shipped")
    await login(client, token)
    page = await client.get("/apps")
    assert 'data-app="notes-app"' in page.text
    resp = await client.get("/apps/notes-app/download.zip")
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(resp.content)).namelist()
    assert "notes-app/app/main.py" in names and "notes-app/tests/test_app.py" in names
    assert "notes-app/requirements.txt" in names
    assert not [n for n in names if "/.venv/" in n or "/data/" in n]
    assert (await client.get("/apps/..%2F..%2Fetc/download.zip")).status_code == 404
    assert (await client.get("/apps/ghost/download.zip")).status_code == 404
