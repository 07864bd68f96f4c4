"""The Agents dashboard in a real browser: a paused mission is approved with the page's button."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from iza.agents import Workforce, create_mission, mission_view, run_mission
from iza.kernel.config import Settings
from iza.kernel.tokens import create_token
from iza.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, str, str]]:
    app = create_app(settings)
    store = app.state.store
    _, token = create_token(store, "browser")
    wf = Workforce.from_settings(settings, store)
    mid = create_mission(wf, "monthly retainer for our bakery")
    assert run_mission(wf, mid)["state"] == "awaiting_approval"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", token, mid
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_approve_in_the_browser(served: tuple[str, str, str], settings: Settings) -> None:
    from playwright.sync_api import sync_playwright

    base, token, mid = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        page.goto(f"{base}/agents")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/agents")
        row = page.locator(f"tr[data-mission='{mid}']")
        assert "awaiting_approval" in row.inner_text() and "offline-playbook" in row.inner_text()
        page.fill(f"input[aria-label='note for {mid}']", "approved in the browser")
        page.click("button[value=approve]")
        page.wait_for_url(f"{base}/agents/missions/{mid}")
        for _ in range(200):  # the approved mission continues in the background; poll the page
            page.reload()
            if page.locator("[data-state]").inner_text() != "running":
                break
            time.sleep(0.05)
        assert page.locator("[data-state]").inner_text() == "completed"
        assert "no LLM provider was used" in page.locator("[data-mode]").inner_text()
        browser.close()
    from iza.kernel.store import Store

    view = mission_view(Store.from_settings(settings), mid)
    assert view["state"] == "completed"
    step = next(t for t in view["tasks"] if t["title"] == "Send the client update")
    assert step["approval"] == "approved: approved in the browser (by browser)"
