"""Web routes of the business subsystem: the Stripe webhook.

``POST /webhooks/stripe`` takes no API token: it authenticates by the ``Stripe-Signature``
over the raw body. It answers 200 once the event is durably applied (or known), 400 on a bad
signature or payload. Neither the secret nor the signature is ever logged.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse

from iza.business._batching import submit_async
from iza.business._webhook import parse_verified

__all__ = ["router"]

router = APIRouter()


async def stripe_webhook(request: Request) -> JSONResponse:
    body = await request.body()
    event = parse_verified(request.app.state.settings, body, request.headers.get("stripe-signature"))
    result = await submit_async(request.app.state.store, event)
    return JSONResponse({"received": True, **result.as_dict()})


# A plain Starlette route: the endpoint reads the raw body itself and has no parameters to
# validate, so FastAPI's dependency and validation machinery (a sizeable share of the CPU per
# delivery in the ingest profile) has nothing to do. IzaError still maps to the one JSON error
# shape through the app's exception handlers.
router.add_route("/webhooks/stripe", stripe_webhook, methods=["POST"], include_in_schema=False)
