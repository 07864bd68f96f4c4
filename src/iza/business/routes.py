"""Web routes of the business subsystem: the Stripe webhook.

``POST /webhooks/stripe`` takes no API token: it authenticates by the ``Stripe-Signature``
over the raw body. It answers 200 once the event is durably applied (or known), 400 on a bad
signature or payload. Neither the secret nor the signature is ever logged.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from iza.business._batching import submit
from iza.business._webhook import parse_verified

__all__ = ["router"]

router = APIRouter()


@router.post("/webhooks/stripe", include_in_schema=False)
async def stripe_webhook(request: Request) -> JSONResponse:
    body = await request.body()
    event = parse_verified(request.app.state.settings, body, request.headers.get("stripe-signature"))
    result = await asyncio.wrap_future(submit(request.app.state.store, event))
    return JSONResponse({"received": True, **result.as_dict()})
