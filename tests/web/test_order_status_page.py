"""``/orders/<id>`` and ``/api/v1/business/orders/<id>`` in process, on the real app and store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from iza.business._ledger import create_order, ensure_customer, insert_entry, mark_order_paid
from iza.kernel.config import Settings
from iza.kernel.store import Store
from iza.kernel.tokens import create_token
from iza.web.app import create_app


def _get(settings: Settings, path: str, token: str | None = None) -> httpx.Response:
    app = create_app(settings)

    async def go() -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get(path, headers=headers)

    try:
        return asyncio.run(go())
    finally:
        app.state.store.dispose()


def test_a_paid_order_awaiting_work(settings: Settings, sqlite_store: Store) -> None:
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with sqlite_store.transaction() as session:
        customer = ensure_customer(session, email="ann@example.com")
        order = create_order(sqlite_store, session, service_slug="instant-app", amount_minor=4900,
                             currency="usd", customer_id=customer.id, source="checkout")
        mark_order_paid(sqlite_store, session, order, at)
        insert_entry(session, kind="payment", amount_minor=4900, currency="usd", occurred_at=at,
                     source="stripe", source_key="payment:pi_1", order_id=order.id,
                     service_slug="instant-app", description="checkout")
        order_id = order.id
    page = _get(settings, f"/orders/{order_id}")
    assert page.status_code == 200  # public by link: no sign-in
    assert 'data-step="paid" data-state="done"' in page.text
    assert 'data-step="work" data-state="pending"' in page.text
    assert "49.00 USD" in page.text and "a***@example.com" in page.text and "ann@" not in page.text
    assert "app-download" not in page.text
    _, token = create_token(sqlite_store, "t")
    data = _get(settings, f"/api/v1/business/orders/{order_id}", token).json()
    assert data["status"] == "paid" and data["mission"] is None and data["app"] is None
    assert [p["amount_minor"] for p in data["payments"]] == [4900]
    assert [s["state"] for s in data["timeline"]] == ["done", "done", "pending", "pending"]
    assert _get(settings, f"/orders/{order_id}/app.zip").status_code == 404


def test_unknown_order_is_a_404_with_a_fix(settings: Settings, sqlite_store: Store) -> None:
    _, token = create_token(sqlite_store, "t")
    r = _get(settings, "/api/v1/business/orders/ord_nope", token)
    assert r.status_code == 404
    assert r.json()["error"]["fix"].startswith("check the link")
    assert _get(settings, "/orders/ord_nope").status_code == 404
