"""Helpers for business tests: Stripe corpus fixtures, event envelopes, a signed webhook poster."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from pathlib import Path
from typing import Any

import httpx

from iza.business import sign_payload
from iza.kernel.config import Settings, load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "stripe"
if not CORPUS.is_dir():  # the worktree sits beside ../shared
    CORPUS = Path("/work/shared/corpus/stripe")
SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"


def fixture_events() -> list[dict[str, Any]]:
    return json.loads((CORPUS / "events_derived.json").read_text())


def fixture_object(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / f"{name}.json").read_text())


def event(etype: str, obj: dict[str, Any], eid: str, created: int,
          previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Stripe event envelope, built from the corpus's own envelope template."""
    env = json.loads((CORPUS / "event.json").read_text())
    env.update(id=eid, type=etype, created=created)
    env["data"] = {"object": copy.deepcopy(obj)}
    if previous is not None:
        env["data"]["previous_attributes"] = previous
    return env


def business_settings(home: Path, db_url: str, secrets: str = SECRET) -> Settings:
    s = load(home, overrides={"database_url": db_url}, environ={"STRIPE_WEBHOOK_SECRET": secrets})
    ensure_home(s)
    return s


class Hook:
    """Posts signed events to ``/webhooks/stripe`` of the real app through ASGITransport."""

    def __init__(self, settings: Settings) -> None:
        from iza.web.app import create_app

        self.app = create_app(settings)
        self.store: Store = self.app.state.store

    async def _post_many(self, requests: list[tuple[bytes, dict[str, str]]]) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return list(await asyncio.gather(*[
                client.post("/webhooks/stripe", content=body, headers=headers)
                for body, headers in requests]))

    def post_raw(self, body: bytes, header: str | None) -> httpx.Response:
        headers = {"content-type": "application/json"}
        if header is not None:
            headers["stripe-signature"] = header
        return asyncio.run(self._post_many([(body, headers)]))[0]

    def send(self, ev: dict[str, Any], secret: str = SECRET, t: int | None = None) -> httpx.Response:
        body = json.dumps(ev).encode()
        return self.post_raw(body, sign_payload(body, secret, t if t is not None else int(time.time())))

    def send_concurrently(self, evs: list[dict[str, Any]]) -> list[httpx.Response]:
        reqs = []
        for ev in evs:
            body = json.dumps(ev).encode()
            reqs.append((body, {"content-type": "application/json",
                                "stripe-signature": sign_payload(body, SECRET)}))
        return asyncio.run(self._post_many(reqs))




def run_iza(args: list[str], capsys: Any) -> tuple[int, str, str]:
    """Run the real ``iza`` entry point in-process; returns (exit code, stdout, stderr)."""
    from iza.cli import main

    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
