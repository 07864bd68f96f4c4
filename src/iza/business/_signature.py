"""Stripe webhook signatures: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``.

The signature is HMAC-SHA256 over ``f"{t}.{raw_body}"`` with the endpoint's signing secret.
It must be checked over the **raw** bytes: re-serialising parsed JSON changes whitespace and
key order and breaks it. Any ``v1`` matching any configured secret is accepted, so a secret can
be rolled (Stripe signs with old and new during the overlap). Timestamps older than the
tolerance are replays; timestamps from the future beyond a small clock skew are refused too.
Error messages never contain the secret or the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from iza.errors import WebhookError

__all__ = ["DEFAULT_TOLERANCE", "FUTURE_SKEW", "sign_payload", "split_secrets", "verify_signature"]

DEFAULT_TOLERANCE = 300
FUTURE_SKEW = 60


def split_secrets(raw: str | None) -> list[str]:
    """``STRIPE_WEBHOOK_SECRET`` may list several secrets, comma-separated."""
    return [s.strip() for s in (raw or "").split(",") if s.strip()]


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value Stripe would send (tests, benchmarks and replays sign with it)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _parse(header: str) -> tuple[int, list[str]]:
    stamps: list[str] = []
    sigs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            stamps.append(value)
        elif key == "v1":
            sigs.append(value)
    if len(stamps) != 1 or not stamps[0].isdigit():
        raise WebhookError("Stripe-Signature has no valid timestamp",
                           fix="send the header exactly as Stripe produced it")
    if not sigs:
        raise WebhookError("Stripe-Signature has no v1 signature",
                           fix="send the header exactly as Stripe produced it")
    return int(stamps[0]), sigs


def verify_signature(payload: bytes, header: str | None, secrets: Sequence[str], *,
                     tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> int:
    """Return the signed timestamp, or raise :class:`WebhookError` (HTTP 400)."""
    if not secrets:
        raise WebhookError("no Stripe webhook secret is configured",
                           fix="set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)")
    if not header:
        raise WebhookError("missing Stripe-Signature header",
                           fix="only Stripe (or `iza stripe replay`) may call this endpoint")
    timestamp, sigs = _parse(header)
    signed = f"{timestamp}.".encode() + payload
    matched = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        for sig in sigs:
            matched |= hmac.compare_digest(expected, sig)
    if not matched:
        raise WebhookError("Stripe signature does not match the payload",
                           fix="check STRIPE_WEBHOOK_SECRET and that the body is passed unmodified")
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookError(f"Stripe signature timestamp is older than {tolerance} s",
                           fix="replayed or delayed delivery; Stripe will retry with a fresh one")
    if timestamp > current + FUTURE_SKEW:
        raise WebhookError("Stripe signature timestamp is in the future",
                           fix="check this machine's clock (NTP)")
    return timestamp
