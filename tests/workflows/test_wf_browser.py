"""The Workflows page in headless Chromium against ``iza serve``: sign in, run a workflow from the
page and read its items per node; activate it and call its webhook on the same server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from wf_helpers import chain, node

pytestmark = pytest.mark.browser


def _cli(home: Path, *args: str) -> str:
    env = {**os.environ, "IZA_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "iza", *args], env=env, capture_output=True, text=True,
                          check=True).stdout


def test_run_a_workflow_from_the_page(live_server: str, browser_page: Any, home: Path, tmp_path: Path,
                                      artifacts_dir: Path) -> None:
    wf = chain(
        node("Start", "manualTrigger"),
        node("Price", "code", {"jsCode": "return $input.all().map(i => ({json: {item: i.json.item || 'tea',"
                                         " cents: 250}}))"}, version=2),
        node("Total", "code", {"jsCode": "return [{json: {total: $input.all().reduce((s, i) => "
                                         "s + i.json.cents, 0)}}]"}, version=2),
        name="price list")
    wf["nodes"].append(node("Hook", "webhook", {"httpMethod": "POST", "path": "price",
                                                "responseMode": "lastNode"}))
    wf["connections"]["Hook"] = {"main": [[{"node": "Price", "type": "main", "index": 0}]]}
    path = tmp_path / "price.json"
    path.write_text(json.dumps(wf))
    wf_id = json.loads(_cli(home, "workflows", "import", str(path), "--json"))[0]["id"]
    token = json.loads(_cli(home, "tokens", "create", "browser", "--json"))["token"]

    page = browser_page
    page.goto(live_server + "/workflows")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Workflows')")
    row = page.locator("tr[data-workflow='price list']")
    assert "inactive" in row.inner_text()
    assert "webhook: POST /webhooks/workflows/price (lastNode)" in row.inner_text()
    row.locator("textarea[name=input_json]").fill('[{"item": "cake"}, {"item": "bun"}]')
    row.locator("form.run-form button[type=submit]").click()
    page.wait_for_selector("h1:has-text('Execution')")
    assert page.get_attribute("#status", "data-status") == "success"
    price = page.locator("article[data-node='Price']")
    assert "2 items" in price.inner_text()
    assert '"item": "cake"' in price.inner_text() and '"item": "bun"' in price.inner_text()
    assert '"total": 500' in page.locator("article[data-node='Total']").inner_text()
    page.screenshot(path=str(artifacts_dir / "workflow_execution.png"), full_page=True)

    # Not yet active: the webhook is unknown; activate it from the page and it answers.
    assert httpx.post(f"{live_server}/webhooks/workflows/price", json={}).status_code == 404
    page.click("text=← all workflows")
    page.locator("tr[data-workflow='price list'] button:has-text('Activate')").click()
    page.wait_for_selector("tr[data-workflow='price list'] [data-active='yes']")
    answer = httpx.post(f"{live_server}/webhooks/workflows/price", json={"item": "pie"}, timeout=30)
    assert answer.status_code == 200 and answer.json() == {"total": 250}
    page.reload()
    first = page.locator("#executions tbody tr").first
    assert "webhook" in first.inner_text() and "success" in first.inner_text()
    assert wf_id in page.inner_text("tr[data-workflow='price list']")
