"""The customer-facing status of one order: service, timeline through delivery, payments, app.

Read-only; the order page (``/orders/<id>``) and ``GET /api/v1/orders/<id>`` render it. The
timeline is built from what the store holds (order timestamps, the delivering mission's state
and times, the ledger's money rows), never from guesses: a step that has not happened is listed
as ``pending`` without a time. The app of an instant-app order is the folder its mission
delivered (``mission.result.app_dir``) when that folder is still a generated app in the data home.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from iza.business._catalog import load_catalog
from iza.business._models import CustomerRow, LedgerRow, OrderRow
from iza.business._money import format_minor
from iza.errors import NotFoundError
from iza.kernel.config import Settings
from iza.kernel.store import Store

__all__ = ["order_app_dir", "order_status"]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _mask(email: str | None) -> str | None:
    """``dana@example.com`` → ``d***@example.com``: the page is reachable by its link alone."""
    if not email or "@" not in email:
        return None
    user, _, domain = email.partition("@")
    return f"{user[:1]}***@{domain}"


def _mission(store: Store, mission_id: str | None) -> dict[str, Any] | None:
    if not mission_id:
        return None
    from iza.agents._models import MissionRow

    with store.read() as session:
        row = session.get(MissionRow, mission_id)
        if row is None:
            return None
        result = dict(row.result or {})
        return {"id": row.id, "state": row.state, "mode": row.mode,
                "started_at": _iso(row.started_at), "finished_at": _iso(row.finished_at),
                "error": row.error, "app_dir": result.get("app_dir"),
                "tests": result.get("tests"), "url": f"/agents/missions/{row.id}"}


def order_app_dir(settings: Settings, app_dir: str | None) -> Path | None:
    """The generated app's folder if it lies in ``$IZA_HOME/apps`` and still holds its spec."""
    if not app_dir:
        return None
    root = (settings.home / "apps").resolve()
    target = Path(app_dir).resolve()
    if target.parent != root or not (target / "iza_app.json").is_file():
        return None
    return target


def _step(key: str, title: str, state: str, at: str | None, detail: str = "") -> dict[str, Any]:
    return {"key": key, "title": title, "state": state, "at": at, "detail": detail}


def _timeline(order: OrderRow, mission: dict[str, Any] | None) -> list[dict[str, Any]]:
    demo = order.source == "demo"
    steps = [_step("placed", "Order placed", "done", _iso(order.created_at),
                   "a free demo" if demo else f"via {order.source}")]
    if demo:
        steps.append(_step("paid", "Payment", "skipped", None, "demo orders are not charged"))
    elif order.paid_at is not None:
        steps.append(_step("paid", "Paid", "done", _iso(order.paid_at)))
    elif order.status in ("canceled", "failed"):
        steps.append(_step("paid", "Payment", "failed", None, f"order {order.status}"))
    else:
        steps.append(_step("paid", "Payment", "pending", None, "waiting for the payment"))
    if mission is None:
        steps.append(_step("work", "Work started", "pending", None, "no mission yet"))
    else:
        state = {"completed": "done", "failed": "failed", "cancelled": "failed"}.get(
            mission["state"], "running")
        steps.append(_step("work", "Work by the agents", state, mission["started_at"],
                           f"mission {mission['id']} {mission['state']} ({mission['mode']})"))
    if order.status == "delivered":
        steps.append(_step("delivered", "Delivered", "done", _iso(order.delivered_at)))
    elif order.status in ("failed", "canceled", "refunded"):
        steps.append(_step("delivered", "Delivery", "failed", None, f"order {order.status}"))
    else:
        steps.append(_step("delivered", "Delivery", "pending", None))
    return steps


def order_status(settings: Settings, store: Store, order_id: str) -> dict[str, Any]:
    """Everything the order page shows; :class:`NotFoundError` for an unknown id."""
    with store.read() as session:
        order = session.get(OrderRow, order_id)
        if order is None:
            raise NotFoundError(f"no order {order_id!r}",
                                fix="check the link in your confirmation (ids look like ord_…)")
        customer = session.get(CustomerRow, order.customer_id) if order.customer_id else None
        money = list(session.scalars(sa.select(LedgerRow).where(LedgerRow.order_id == order_id)
                                     .order_by(LedgerRow.occurred_at, LedgerRow.id)))
        payments = [{"kind": r.kind, "amount_minor": r.amount_minor, "currency": r.currency,
                     "amount": format_minor(r.amount_minor, r.currency), "at": _iso(r.occurred_at),
                     "description": r.description or r.kind}
                    for r in money if r.kind in ("payment", "refund", "dispute", "dispute_reversal")]
        email = customer.email if customer else None
    mission = _mission(store, order.mission_id)
    service_name = order.service_slug
    try:
        service_name = load_catalog(settings.home).get(order.service_slug).name
    except NotFoundError:  # an order for a service since removed from the catalog keeps its slug
        pass
    app = order_app_dir(settings, (mission or {}).get("app_dir"))
    return {
        "id": order.id, "status": order.status, "source": order.source,
        "service": {"slug": order.service_slug, "name": service_name},
        "amount_minor": order.amount_minor, "currency": order.currency,
        "amount": format_minor(order.amount_minor, order.currency),
        "customer": _mask(email), "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at), "delivered_at": _iso(order.delivered_at),
        "timeline": _timeline(order, mission), "mission": mission, "payments": payments,
        "app": {"dir": app.name, "download_url": f"/orders/{order.id}/app.zip"} if app else None,
    }
