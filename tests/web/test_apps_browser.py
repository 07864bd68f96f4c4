"""The demo-app form in a real browser: live progress over SSE, the result, the zip download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from iza.apps import WheelCache

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def warm_cache_env(artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = WheelCache(artifacts_dir / "wheels")
    cache.ensure()
    monkeypatch.setenv("IZA_APPS_WHEEL_CACHE", str(cache.path))


def test_request_a_demo_app_in_the_browser(warm_cache_env: None, live_server: str, browser_page: Any,
                                           home: Path, tmp_path: Path, artifacts_dir: Path) -> None:
    env = {**os.environ, "IZA_HOME": str(home)}
    token = json.loads(subprocess.run([sys.executable, "-m", "iza", "tokens", "create", "web", "--json"],
                                      env=env, capture_output=True, text=True, check=True).stdout)["token"]
    page = browser_page
    page.goto(live_server + "/login?next=/apps")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Instant apps')")
    page.click("a.example[data-example='habit tracker with streaks']")
    assert page.input_value("#request") == "habit tracker with streaks"
    page.click("#demo-form button[type=submit]")
    page.wait_for_selector("#step-spec[data-status='ok']", timeout=30_000)
    page.wait_for_selector("#result [data-status='delivered']", timeout=180_000)
    for step in ("generate", "venv", "install", "tests", "serve", "probe"):
        assert page.get_attribute(f"#step-{step}", "data-status") == "ok"
    assert "mode: offline" in page.inner_text("#result")
    page.screenshot(path=str(artifacts_dir / "demo_app_form.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download")
    target = tmp_path / "app.zip"
    info.value.save_as(target)
    names = zipfile.ZipFile(target).namelist()
    assert "habit-tracker/app/main.py" in names
    assert (home / "apps" / "habit-tracker" / "iza_app.json").is_file()
    # the result links to the order's status page: a free demo, delivered by its mission
    page.click("#order-link")
    page.wait_for_selector("#order-status")
    assert page.get_attribute("#order-status", "data-status") == "delivered"
    assert page.get_attribute("li[data-step='paid']", "data-state") == "skipped"
    assert page.get_attribute("li[data-step='delivered']", "data-state") == "done"
    assert page.is_visible("#mission-link") and page.is_visible("#no-payments")
    with page.expect_download() as info:
        page.click("#app-download")
    assert "habit-tracker/app/main.py" in zipfile.ZipFile(info.value.path()).namelist()
