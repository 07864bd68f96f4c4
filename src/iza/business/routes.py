"""Web routes of the business subsystem: the Stripe webhook.

``POST /webhooks/stripe`` takes no API token: it authenticates by the ``Stripe-Signature``
over the raw body. It answers 200 once the event is durably applied (or known), 400 on a bad
signature or payload. Neither the secret nor the signature is ever logged.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from iza.business._webhook import ingest_webhook

__all__ = ["router"]

router = APIRouter()


@router.post("/webhooks/stripe", include_in_schema=False)
async def stripe_webhook(request: Request) -> JSONResponse:
    body = await request.body()
    result = await run_in_threadpool(
        ingest_webhook, request.app.state.store, request.app.state.settings, body,
        request.headers.get("stripe-signature"))
    return JSONResponse({"received": True, **result.as_dict()})
