"""The showcase's business steps, run with the real subsystems (registered on import).

==================  ===========================================================================
``lead.arrive``     a lead row (business) from the website form, stage ``inquiry``
``lead.qualify``    the agents' service matcher reads the lead's message; a catalog match moves
                    the lead to ``demo`` (``lead.stage_changed``), no match leaves it and says so
``stripe.checkout`` a pending checkout order, then a signed ``checkout.session.completed`` event
                    posted to ``POST /webhooks/stripe`` of the real web app (the interface layer
                    hands the step its poster); the order becomes ``paid`` and the lead ``won``
``mission.deliver`` waits for the mission that ``order.paid`` starts (``agents.deliver_paid_orders``)
                    and checks the order ends ``delivered``
``ledger.report``   the ledger's payment row and the order's margin (revenue − fees − LLM cost)
==================  ===========================================================================

The webhook secret is ``STRIPE_WEBHOOK_SECRET`` when set; otherwise the step makes a local one
for this run only (the web app it posts to gets the same one) and says so in its detail. The
event is built here from the documented shape of a Checkout Session, not fetched from Stripe.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from iza.apps._showcase import StepContext, register_step
from iza.errors import RuntimeFailure

__all__ = ["ShowcaseStepError", "checkout_event"]

SERVICE = "instant-app"
_TERMINAL = {"completed", "failed", "cancelled", "canceled"}


class ShowcaseStepError(RuntimeFailure):
    """A showcase step ran and found the system not in the state the step should have produced."""


def _need(ctx: StepContext, key: str, step: str) -> Any:
    if key not in ctx.shared:
        raise ShowcaseStepError(f"the {step} step needs {key!r} from an earlier step",
                                fix="run the scenario's steps in order")
    return ctx.shared[key]


# ---- leads ---------------------------------------------------------------------------------
def _lead_arrive(ctx: StepContext, args: dict[str, Any]) -> str:
    from iza.business._leads import add_lead

    lead = add_lead(ctx.store, name=str(args["name"]), source=str(args.get("source", "website")),
                    email=str(args["email"]), notes=str(args.get("message") or "") or None,
                    service_slug=None)
    ctx.shared.update(lead_id=lead.id, lead_email=lead.email, lead_name=lead.name,
                      lead_message=str(args.get("message") or ""))
    ctx.step_ids["lead_id"] = lead.id
    return f"lead #{lead.id} {lead.name} <{lead.email}> from {lead.source}, stage {lead.stage}"


def _lead_qualify(ctx: StepContext, args: dict[str, Any]) -> str:
    from iza.agents import match_service
    from iza.agents._workforce import load_definitions
    from iza.business._leads import move_lead
    from iza.business._models import LeadRow
    from iza.errors import InputError

    lead_id = int(_need(ctx, "lead_id", "lead.qualify"))
    message = str(ctx.shared.get("lead_message") or "")
    _, catalog = load_definitions(ctx.settings.home)
    ctx.step_ids["lead_id"] = lead_id
    try:
        match = match_service(message, catalog)
    except InputError:
        return f"lead #{lead_id} not qualified: no catalog service matches {message!r}; stage stays inquiry"
    with ctx.store.transaction() as session:
        row = session.get(LeadRow, lead_id)
        if row is not None:
            row.service_slug = match.service.id
    lead = move_lead(ctx.store, lead_id, "demo")
    ctx.shared["lead_service"] = match.service.id
    hits = ", ".join(match.matched) or "explicit"
    return (f"lead #{lead_id} qualified for {match.service.id} (service matcher, offline keywords: "
            f"{hits}); stage inquiry → {lead.stage}")


# ---- Stripe checkout ---------------------------------------------------------------------
def checkout_event(order_id: str, *, amount_minor: int, currency: str, email: str,
                   service: str, created: int | None = None) -> dict[str, Any]:
    """A ``checkout.session.completed`` event for a paid one-off Checkout Session of ``order_id``."""
    created = created or int(time.time())
    token = secrets.token_hex(12)
    session = {
        "id": f"cs_test_{token}", "object": "checkout.session", "mode": "payment",
        "status": "complete", "payment_status": "paid", "amount_subtotal": amount_minor,
        "amount_total": amount_minor, "currency": currency.lower(),
        "client_reference_id": order_id, "customer": f"cus_{token[:14]}",
        "customer_details": {"email": email}, "customer_email": email,
        "payment_intent": f"pi_{token}", "livemode": False, "created": created,
        "metadata": {"iza_order_id": order_id, "iza_service": service},
    }
    return {"id": f"evt_{token}", "object": "event", "api_version": "2025-03-31.basil",
            "type": "checkout.session.completed", "created": created, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
            "data": {"object": session}}


def _webhook_settings(ctx: StepContext) -> tuple[str, str]:
    """The secret to sign with and where it came from; a local one is made when none is set."""
    secret = ctx.settings.secret("STRIPE_WEBHOOK_SECRET")
    if secret:
        return secret.split(",")[0].strip(), "STRIPE_WEBHOOK_SECRET"
    local = "whsec_showcase_" + secrets.token_hex(16)
    # Settings are frozen; the copy carries the secret to the web app this run posts to.
    ctx.settings = dataclasses.replace(
        ctx.settings, _secrets={**ctx.settings._secrets, "STRIPE_WEBHOOK_SECRET": local})
    return local, "a local secret made for this run (STRIPE_WEBHOOK_SECRET is not set)"


def _stripe_checkout(ctx: StepContext, args: dict[str, Any]) -> str:
    from iza.business import sign_payload
    from iza.business._catalog import load_catalog
    from iza.business._leads import move_lead
    from iza.business._ledger import create_order, ensure_customer
    from iza.business._models import OrderRow

    if ctx.post_webhook is None:
        raise ShowcaseStepError("no web app to post the Stripe event to",
                                fix="run the showcase with `iza showcase` (it starts the web app)")
    email = str(ctx.shared.get("lead_email") or args.get("email") or "customer@example.com")
    service = str(args.get("service") or ctx.shared.get("lead_service") or SERVICE)
    price = load_catalog(ctx.settings.home).get(service).price(args.get("price"))
    amount = int(args.get("amount_minor") or price.amount_minor)
    currency = str(args.get("currency") or price.currency).lower()
    with ctx.store.transaction() as session:
        customer = ensure_customer(session, email=email, name=ctx.shared.get("lead_name"))
        order = create_order(ctx.store, session, service_slug=service, price_key=price.key,
                             amount_minor=amount, currency=currency, customer_id=customer.id,
                             source="checkout")
        order_id = order.id
    secret, origin = _webhook_settings(ctx)
    event = checkout_event(order_id, amount_minor=amount, currency=currency, email=email,
                           service=service)
    body = json.dumps(event).encode()
    header = sign_payload(body, secret)
    status, answer = ctx.post_webhook(ctx.settings, "/webhooks/stripe", body,
                                      {"Stripe-Signature": header, "Content-Type": "application/json"})
    if status != 200:
        raise ShowcaseStepError(f"POST /webhooks/stripe answered {status}: {answer}",
                                fix="see `iza doctor` for the Stripe webhook settings")
    with ctx.store.read() as session:
        row = session.get(OrderRow, order_id)
        paid = row is not None and row.status in ("paid", "delivered")
    if not paid:
        raise ShowcaseStepError(f"order {order_id} is not paid after the webhook ({answer})",
                                fix="check the webhook's outcome in `iza stripe events`")
    lead_id = ctx.shared.get("lead_id")
    if lead_id is not None:
        move_lead(ctx.store, int(lead_id), "won")
    ctx.shared.update(order_id=order_id, event_id=event["id"], amount_minor=amount,
                      currency=currency, webhook_secret_origin=origin)
    ctx.step_ids.update(order_id=order_id, event_id=event["id"],
                        checkout_session=event["data"]["object"]["id"])
    ctx.look.append(("Order status", f"/orders/{order_id}"))
    won = " · lead won" if lead_id is not None else ""
    return (f"{event['type']} {event['id']} signed with {origin}, POST /webhooks/stripe → "
            f"{status} {answer.get('outcome')}; order {order_id} paid {amount} {currency.upper()}{won}")


# ---- mission -------------------------------------------------------------------------------
def _mission_deliver(ctx: StepContext, args: dict[str, Any]) -> str:
    from iza.agents._models import MissionRow
    from iza.business._models import OrderRow

    order_id = str(_need(ctx, "order_id", "mission.deliver"))
    timeout = float(args.get("timeout_s", 120))
    deadline = time.monotonic() + timeout
    mission_id: str | None = None
    state = status = ""
    while True:
        with ctx.store.read() as session:
            order = session.get(OrderRow, order_id)
            status = order.status if order else "missing"
            mission_id = order.mission_id if order else None
            mission = session.get(MissionRow, mission_id) if mission_id else None
            state = mission.state if mission else ""
        if state in _TERMINAL and (state != "completed" or status == "delivered"):
            break
        if time.monotonic() > deadline:
            why = (f"no mission was started for order {order_id}" if mission_id is None else
                   f"mission {mission_id} is still {state}")
            raise ShowcaseStepError(f"{why} after {timeout:.0f} s (order {status})",
                                    fix="set agents.deliver_paid_orders = true; see `iza missions list`")
        time.sleep(0.1)
    assert mission_id is not None
    ctx.step_ids.update(order_id=order_id, mission_id=mission_id)
    ctx.shared["mission_id"] = mission_id
    ctx.look.append(("Mission trace", f"/agents/missions/{mission_id}"))
    if state != "completed":
        raise ShowcaseStepError(f"mission {mission_id} ended {state}; order {order_id} is {status}",
                                fix=f"see `iza missions trace {mission_id}`")
    with ctx.store.read() as session:
        mission = session.get(MissionRow, mission_id)
        mode = mission.mode if mission else "?"
    return f"mission {mission_id} completed ({mode}); order {order_id} delivered"


# ---- ledger ------------------------------------------------------------------------------
def _ledger_report(ctx: StepContext, args: dict[str, Any]) -> str:
    from zoneinfo import ZoneInfo

    import sqlalchemy as sa

    from iza.business import format_minor
    from iza.business._margins import margins
    from iza.business._models import LedgerRow

    order_id = str(_need(ctx, "order_id", "ledger.report"))
    with ctx.store.read() as session:
        rows = list(session.scalars(sa.select(LedgerRow).where(LedgerRow.order_id == order_id)))
    payments = [r for r in rows if r.kind == "payment"]
    if not payments:
        raise ShowcaseStepError(f"the ledger has no payment for order {order_id}",
                                fix="check `iza stripe events` for the checkout event's outcome")
    now = datetime.now(UTC)
    found = [m for m in margins(ctx.store, now - timedelta(days=2), now + timedelta(days=1), "order",
                                ZoneInfo(ctx.settings.get_str("business.timezone")))
             if m["key"] == order_id]
    if not found:
        raise ShowcaseStepError(f"no margin row for order {order_id}", fix="see `iza revenue margins`")
    m = found[0]
    cur = str(m["currency"])
    ctx.step_ids.update(order_id=order_id, ledger_ids=[r.id for r in rows])
    ctx.shared["margin"] = m
    ctx.look.append(("Revenue", "/revenue"))
    rate = f"{m['margin_rate'] * 100:.0f}%" if m["margin_rate"] is not None else "n/a"
    return (f"ledger: payment {format_minor(sum(p.amount_minor for p in payments), cur)}; order "
            f"{order_id}: net {format_minor(m['net'], cur)}, fees {format_minor(m['fees'], cur)}, "
            f"LLM cost {format_minor(m['llm_costs'], cur)}, margin {format_minor(m['margin'], cur)} "
            f"({rate})")


register_step("lead.arrive", _lead_arrive)
register_step("lead.qualify", _lead_qualify)
register_step("stripe.checkout", _stripe_checkout)
register_step("mission.deliver", _mission_deliver)
register_step("ledger.report", _ledger_report)
