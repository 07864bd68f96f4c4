"""Business nodes for the workflow engine: a Stripe checkout link and a revenue event.

``iza.workflows`` sits below ``iza.business``, so it cannot import these; this module registers
them into the workflow node registry when :func:`register_workflow_nodes` is called (the
composition root, ``iza._system.wire_workflow_nodes``, does it for the CLI and the web app).

* ``iza.stripeCheckout`` — ``service`` (catalog slug), ``email``, ``priceKey`` (empty: the
  service's default price), ``successUrl``, ``cancelUrl``. Creates a pending order and a Stripe
  Checkout Session (the webhook completes the order); emits ``{orderId, sessionId, url, service,
  priceKey}``.
* ``iza.revenueEvent`` — ``amount`` (decimal text such as ``"49.00"``, or ``amountMinor``),
  ``currency``, ``kind`` (payment, refund, fee, adjustment; refunds and fees are stored
  negative), ``reference`` (idempotency key; empty: execution, node and item), ``orderId``,
  ``service``, ``customerEmail``, ``description``. Writes one ledger row; the same reference
  twice is recorded once, and the item says ``recorded: false`` the second time.
"""

from __future__ import annotations

from typing import Any

from iza.errors import IzaError
from iza.workflows import NodeContext, NodeError, register_node, services_for

__all__ = ["register_workflow_nodes"]

Item = dict[str, Any]

_KINDS = {"payment": 1, "adjustment": 1, "refund": -1, "fee": -1}


def _text(ctx: NodeContext, name: str, item: int, *, required: bool = False) -> str:
    value = ctx.param(name, item, default="")
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise NodeError(ctx.node.name, f"parameter {name!r} is empty", parameter=name,
                        fix=f"Set {name!r} (an expression such as {{{{ $json.{name} }}}} works).")
    return text


def _wrap(ctx: NodeContext, exc: IzaError) -> NodeError:
    return NodeError(ctx.node.name, exc.message, fix=exc.fix, description=exc.fix,
                     name=type(exc).__name__)


def stripe_checkout(ctx: NodeContext) -> list[list[Item]]:
    from iza.business._catalog import load_catalog
    from iza.business._stripe_api import create_checkout

    svc = services_for(ctx)
    catalog = load_catalog(svc.settings.home)
    out: list[Item] = []
    for i in range(len(ctx.items)):
        kwargs: dict[str, Any] = {}
        for param, key in (("successUrl", "success_url"), ("cancelUrl", "cancel_url")):
            if value := _text(ctx, param, i):
                kwargs[key] = value
        try:
            slug = _text(ctx, "service", i, required=True)
            link = create_checkout(svc.settings, svc.get_store(), catalog, slug,
                                   email=_text(ctx, "email", i, required=True),
                                   price_key=_text(ctx, "priceKey", i) or None, **kwargs)
        except IzaError as exc:
            raise _wrap(ctx, exc) from exc
        out.append({"json": {"orderId": link.order_id, "sessionId": link.session_id, "url": link.url,
                             "service": link.service, "priceKey": link.price_key},
                    "pairedItem": {"item": i}})
    return [out]


def _amount(ctx: NodeContext, item: int, currency: str) -> int:
    from iza.business._money import parse_amount

    minor = ctx.param("amountMinor", item, default=None)
    if minor not in (None, ""):
        try:
            return int(minor)
        except (TypeError, ValueError):
            raise NodeError(ctx.node.name, f"amountMinor {minor!r} is not a whole number",
                            parameter="amountMinor", fix="Give minor units, e.g. 4900.") from None
    text = _text(ctx, "amount", item, required=True)
    try:
        return parse_amount(text, currency)
    except IzaError as exc:
        raise NodeError(ctx.node.name, exc.message, parameter="amount", fix=exc.fix) from exc


def revenue_event(ctx: NodeContext) -> list[list[Item]]:
    from iza.business._ledger import ensure_customer, insert_entry
    from iza.business._money import normalise_currency
    from iza.kernel.store import utcnow

    store = services_for(ctx).get_store()
    wf = ctx.execution.workflow
    out: list[Item] = []
    for i in range(len(ctx.items)):
        kind = _text(ctx, "kind", i) or "payment"
        if kind not in _KINDS:
            raise NodeError(ctx.node.name, f"unknown revenue kind {kind!r}", parameter="kind",
                            fix=f"Use one of: {', '.join(_KINDS)}.")
        try:
            currency = normalise_currency(_text(ctx, "currency", i) or "usd")
        except IzaError as exc:
            raise NodeError(ctx.node.name, exc.message, parameter="currency", fix=exc.fix) from exc
        amount = _KINDS[kind] * abs(_amount(ctx, i, currency))
        reference = _text(ctx, "reference", i) or (
            f"{wf.id or wf.name}:{ctx.execution.execution_id}:{ctx.node.name}:{i}")
        refs: dict[str, Any] = {}
        if order := _text(ctx, "orderId", i):
            refs["order_id"] = order
        if service := _text(ctx, "service", i):
            refs["service_slug"] = service
        if description := _text(ctx, "description", i):
            refs["description"] = description[:300]
        try:
            with store.transaction() as session:
                if email := _text(ctx, "customerEmail", i):
                    refs["customer_ref"] = str(ensure_customer(session, email=email).id)
                added = insert_entry(session, kind=kind, amount_minor=amount, currency=currency,
                                     occurred_at=utcnow(), source="workflow",
                                     source_key=f"workflow:{reference}", **refs)
        except IzaError as exc:
            raise _wrap(ctx, exc) from exc
        out.append({"json": {"recorded": added, "reference": reference, "kind": kind,
                             "amountMinor": amount, "currency": currency, **refs},
                    "pairedItem": {"item": i}})
    return [out]


def register_workflow_nodes() -> None:
    """Make ``iza.stripeCheckout`` and ``iza.revenueEvent`` runnable (idempotent)."""
    register_node("iza.stripeCheckout")(stripe_checkout)
    register_node("iza.revenueEvent")(revenue_event)
