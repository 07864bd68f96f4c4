"""`iza serve`'s fast lane for the Stripe webhook answers exactly as the app's own route does."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from biz_helpers import SECRET, business_settings, fixture_events

from iza.business import sign_payload
from iza.business._models import LedgerRow
from iza.web.app import create_app, with_fast_lanes


def _post(asgi: Any, requests: list[tuple[str, str, bytes, dict[str, str]]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.request(m, p, content=b, headers=h) for m, p, b, h in requests]

    return asyncio.run(run())


def _signed(ev: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(ev).encode()
    return body, {"content-type": "application/json",
                  "stripe-signature": sign_payload(body, secret, int(time.time()))}


def test_fast_lane_matches_the_route(home: Path, db_url: str) -> None:
    app = create_app(business_settings(home, db_url))
    lane = with_fast_lanes(app)
    invoice = fixture_events()[3]
    body, headers = _signed(invoice)
    bad_body, bad_headers = _signed(invoice, secret="whsec_wrong")
    stale = dict(headers, **{"stripe-signature": sign_payload(body, SECRET, int(time.time()) - 301)})
    try:
        fast = _post(lane, [("POST", "/webhooks/stripe", body, headers),
                            ("POST", "/webhooks/stripe", body, headers),
                            ("POST", "/webhooks/stripe", bad_body, bad_headers),
                            ("POST", "/webhooks/stripe", body, stale),
                            ("POST", "/webhooks/stripe", b"{", {"stripe-signature": "t=1"}),
                            ("GET", "/webhooks/stripe", b"", {}),
                            ("GET", "/healthz", b"", {})])
        assert [r.status_code for r in fast[:5]] == [200, 200, 400, 400, 400]
        assert fast[0].json() == {"received": True, "id": invoice["id"], "type": "invoice.paid",
                                  "outcome": "applied"}
        assert fast[1].json()["outcome"] == "duplicate"
        assert fast[5].status_code == 405 and fast[6].status_code == 200  # the app answers these
        # the same requests through the app's own route give the same status and error body
        slow = _post(app, [("POST", "/webhooks/stripe", body, headers),
                           ("POST", "/webhooks/stripe", bad_body, bad_headers),
                           ("POST", "/webhooks/stripe", body, stale),
                           ("POST", "/webhooks/stripe", b"{", {"stripe-signature": "t=1"})])
        assert slow[0].json()["outcome"] == "duplicate"
        for f, s in zip(fast[2:5], slow[1:], strict=True):
            assert (f.status_code, f.json()) == (s.status_code, s.json())
            assert set(f.json()["error"]) == {"status", "type", "message", "fix"}
        with app.state.store.read() as s:
            assert [r[0] for r in s.execute(sa.select(LedgerRow.amount_minor))] == [1000]
    finally:
        app.state.store.dispose()


def test_fast_lane_failure_is_a_json_500_for_that_request_only(home: Path, db_url: str) -> None:
    app = create_app(business_settings(home, db_url))
    lane = with_fast_lanes(app)
    good = fixture_events()[3]
    bad = json.loads(json.dumps(good))
    bad["id"] = "evt_broken"
    del bad["data"]["object"]["currency"]  # invoice.paid without a currency cannot be booked
    try:
        responses = _post(lane, [("POST", "/webhooks/stripe", *_signed(bad)),
                                 ("POST", "/webhooks/stripe", *_signed(good))])
        assert [r.status_code for r in responses] == [500, 200]
        assert responses[0].json()["error"]["status"] == 500
    finally:
        app.state.store.dispose()
