"""The Command Center in a real browser: headless Chromium against ``iza serve``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _cli(home: Path, *args: str) -> str:
    import os

    env = {**os.environ, "IZA_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "iza", *args], env=env, capture_output=True,
                          text=True, check=True).stdout


def test_login_and_command_center(live_server: str, browser_page: Any, home: Path,
                                  artifacts_dir: Path) -> None:
    page = browser_page
    token = json.loads(_cli(home, "tokens", "create", "browser", "--json"))["token"]

    page.goto(live_server + "/")
    assert page.url.startswith(live_server + "/login")
    page.fill("#token", "iza_not_a_real_token")
    page.click("button[type=submit]")
    assert "not valid" in page.inner_text("[role=alert]")

    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Command Center')")
    assert page.url == live_server + "/"
    kernel_row = page.locator("tr[data-component='kernel']")
    assert "ok" in kernel_row.inner_text()
    assert page.locator("tr[data-component]").count() >= 6
    assert "auth.token_created" in page.inner_text("#events")
    assert page.locator("[data-count='kernel.api tokens']").inner_text() == "1"

    # The events panel refreshes itself: a new event appears without reloading the page.
    _cli(home, "tokens", "create", "second")
    page.wait_for_function(
        "document.querySelector('#events').innerText.split('auth.token_created').length > 2",
        timeout=20_000)
    page.screenshot(path=str(artifacts_dir / "command_center.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url(live_server + "/login")
    page.goto(live_server + "/")
    assert page.url.startswith(live_server + "/login")
