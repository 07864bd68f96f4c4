"""The customer's order status page in a real browser, after `iza showcase` sold and delivered.

The page is public by its unguessable link (no sign-in), shows the timeline through delivery,
the mission, the payment from the ledger, and never a full e-mail address.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from iza.apps import WheelCache

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_paid_order_page_after_the_showcase(live_server: str, browser_page: Any, home: Path,
                                            artifacts_dir: Path) -> None:
    cache = WheelCache(artifacts_dir / "wheels")
    cache.ensure()
    env = {**os.environ, "IZA_HOME": str(home), "IZA_APPS_WHEEL_CACHE": str(cache.path)}
    run = subprocess.run([sys.executable, "-m", "iza", "showcase", "--scenario", "instant-app", "--json"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    steps = {s["kind"]: s for s in json.loads(run.stdout)["scenarios"][0]["steps"]}
    paid = steps["stripe.checkout"]["ids"]["order_id"]
    mission = steps["mission.deliver"]["ids"]["mission_id"]
    demo = steps["demo_app"]["ids"]["order_id"]

    page = browser_page
    page.goto(f"{live_server}/orders/{paid}")
    assert page.inner_text("#order-id") == paid
    assert page.get_attribute("#order-status", "data-status") == "delivered"
    states = {li.get_attribute("data-step"): li.get_attribute("data-state")
              for li in page.query_selector_all("#timeline li")}
    assert states == {"placed": "done", "paid": "done", "work": "done", "delivered": "done"}
    assert page.get_attribute("#mission-link", "href") == f"/agents/missions/{mission}"
    rows = page.query_selector_all("#payments tbody tr[data-kind='payment']")
    assert len(rows) == 1 and "49.00 USD" in rows[0].inner_text()
    body = page.inner_text("main")
    assert "d***@example.com" in body and "dana@example.com" not in body
    page.screenshot(path=str(artifacts_dir / "order_page.png"), full_page=True)

    page.goto(f"{live_server}/orders/{demo}")
    assert page.get_attribute("li[data-step='paid']", "data-state") == "skipped"
    assert page.get_attribute("#app-download", "href") == f"/orders/{demo}/app.zip"

    page.goto(f"{live_server}/orders/ord_0000000000000000")
    assert "no order" in page.inner_text("main")
