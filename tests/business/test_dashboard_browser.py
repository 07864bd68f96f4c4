"""The revenue dashboard and the public catalog in headless Chromium against a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from biz_helpers import event, fixture_object

from iza.business._leads import add_lead, move_lead
from iza.business._webhook import process_event
from iza.kernel.config import Settings
from iza.kernel.store import Store
from iza.kernel.tokens import create_token


def _sub(sid: str, cust: str, unit: int, qty: int = 1, status: str = "active") -> dict[str, Any]:
    s = fixture_object("subscription")
    s.update(id=sid, customer=cust, status=status, pause_collection=None, discounts=[],
             trial_end=None, metadata={"iza_service": "monthly-retainer"})
    s["items"]["data"][0]["quantity"] = qty
    s["items"]["data"][0]["price"].update(unit_amount=unit, recurring={"interval": "month",
                                                                       "interval_count": 1})
    return s


def seed(store: Store) -> None:
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    this_month = max(int(month_start.timestamp()) + 1, int(now.timestamp()) - 120)
    before = int(month_start.timestamp()) - 40 * 86400
    n = iter(range(100))

    def send(t: str, obj: dict[str, Any], at: int) -> None:
        process_event(store, event(t, obj, f"evt_dash_{next(n)}", at))

    send("customer.subscription.created", _sub("sub_1", "cus_1", 10000), before)
    send("customer.subscription.created", _sub("sub_2", "cus_2", 5000), before)
    send("customer.subscription.updated", _sub("sub_1", "cus_1", 10000, qty=2), this_month)   # +10000
    send("customer.subscription.deleted", _sub("sub_2", "cus_2", 5000, status="canceled"),
         this_month)                                                                         # -5000
    send("customer.subscription.created", _sub("sub_3", "cus_3", 3000), this_month)          # +3000
    cs = fixture_object("checkout_session") | {"id": "cs_dash", "payment_intent": "pi_dash",
                                               "amount_total": 49900, "payment_status": "paid",
                                               "metadata": {"iza_service": "instant-app"}}
    send("checkout.session.completed", cs, this_month)
    for i, stage in enumerate(["won", "proposal", "demo", None]):
        lead = add_lead(store, name=f"Lead {i}", source="referral")
        for s in ["demo", "proposal", "won"][: ["demo", "proposal", "won"].index(stage) + 1] if stage else []:
            move_lead(store, lead.id, s)


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[str, str]]:
    import uvicorn

    from iza.web.app import create_app

    store = Store.from_settings(settings)
    store.migrate()
    seed(store)
    _, token = create_token(store, "browser-test")
    app = create_app(settings)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", token
    srv.should_exit = True
    thread.join(timeout=10)
    store.dispose()


@pytest.mark.browser
def test_revenue_dashboard_draws_its_charts(server: tuple[str, str], artifacts_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, token = server
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page()
        # the shell has no favicon (not ours); every other failed load or script error counts
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "/revenue")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/revenue")
        page.wait_for_function("document.body.dataset.chartsReady === '1'", timeout=15000)
        points = page.locator("[data-chart=mrr] svg[data-currency=usd] circle.point")
        assert points.count() == 12
        assert points.last.get_attribute("data-value") == "23000"          # 20000 + 3000
        wf = page.locator("[data-chart=waterfall] svg[data-currency=usd] rect.bar")
        values = {wf.nth(i).get_attribute("data-kind"): wf.nth(i).get_attribute("data-value")
                  for i in range(wf.count())}
        assert values == {"start": "15000", "new": "3000", "expansion": "10000", "reactivation": "0",
                          "contraction": "0", "churn": "-5000", "end": "23000"}
        svc = page.locator("[data-chart=services] rect[data-service=instant-app][data-kind=net]")
        assert svc.get_attribute("data-value") == "49900"
        funnel = page.locator("[data-chart=funnel] rect.bar")
        assert [funnel.nth(i).get_attribute("data-value") for i in range(4)] == ["4", "3", "2", "1"]
        cells = page.locator("[data-chart=cohorts] svg[data-currency=usd] rect.cell")
        assert [cells.nth(i).get_attribute("data-value") for i in range(cells.count())][:3] == [
            "1", "1", "0.5"]  # cus_1 and cus_2 joined two months ago; cus_2 churned this month
        assert "23,000.00" not in page.inner_text("#kpis")  # minor units are formatted, not raw
        assert "230.00 USD" in page.inner_text("#kpis")
        page.screenshot(path=str(artifacts_dir / "revenue_dashboard.png"), full_page=True)
        page.goto(url + "/catalog")  # public page
        assert page.locator("[data-price=retainer-scale]").inner_text() == "5000.00 USD / month"
        browser.close()
    assert errors == []
