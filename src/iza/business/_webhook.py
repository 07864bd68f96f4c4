"""Ingesting Stripe events: verify, deduplicate, apply — one transaction per event.

The event id is inserted into ``biz_stripe_events`` (primary key) in the same transaction
that applies the event, so an event is either fully applied and remembered, or neither.
Two concurrent deliveries of one event cannot both apply it: on SQLite the writer lock
serialises them and the second sees the row; on PostgreSQL the second insert waits for the
first transaction and then fails the unique constraint, which is reported as a duplicate.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from iza.business._models import StripeEventRow
from iza.business._signature import split_secrets, verify_signature
from iza.business._stripe_handlers import Ctx, dispatch
from iza.errors import InputError, WebhookError
from iza.kernel.config import Settings
from iza.kernel.store import Store, utcnow

__all__ = [
    "IngestResult",
    "check_event",
    "ingest_webhook",
    "load_events_file",
    "parse_verified",
    "process_event",
    "processed_count",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    type: str
    outcome: str

    @property
    def duplicate(self) -> bool:
        return self.outcome == "duplicate"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.event_id, "type": self.type, "outcome": self.outcome}


def check_event(event: Any) -> dict[str, Any]:
    if not isinstance(event, dict) or event.get("object") != "event":
        raise WebhookError("payload is not a Stripe event", fix="send a Stripe event object")
    for key in ("id", "type", "created"):
        if not event.get(key):
            raise WebhookError(f"Stripe event has no {key!r}", fix="send a complete Stripe event")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict) or "id" not in obj:
        raise WebhookError("Stripe event has no data.object", fix="send a complete Stripe event")
    return event


def process_event(store: Store, event: dict[str, Any]) -> IngestResult:
    """Apply one (already authenticated) event exactly once."""
    event = check_event(event)
    eid, etype, created = str(event["id"]), str(event["type"]), int(event["created"])
    obj: dict[str, Any] = event["data"]["object"]
    try:
        with store.transaction() as session:
            if session.get(StripeEventRow, eid) is not None:
                return IngestResult(eid, etype, "duplicate")
            row = StripeEventRow(event_id=eid, type=etype, object_id=str(obj.get("id")),
                                 event_created=created, received_at=utcnow(), outcome="processing")
            session.add(row)
            session.flush()
            outcome = dispatch(Ctx(store, session, eid, created, etype), obj)
            row.outcome = outcome
    except sa_exc.IntegrityError:
        with store.read() as session:
            if session.get(StripeEventRow, eid) is None:
                raise
        return IngestResult(eid, etype, "duplicate")
    logger.info("stripe webhook %s %s: %s", etype, eid, outcome)
    return IngestResult(eid, etype, outcome)


def parse_verified(settings: Settings, body: bytes, signature: str | None) -> dict[str, Any]:
    """Verify the raw body against ``STRIPE_WEBHOOK_SECRET``; return the checked event."""
    verify_signature(body, signature, split_secrets(settings.secret("STRIPE_WEBHOOK_SECRET")))
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookError("the webhook body is not JSON", fix="send the event as JSON") from None
    return check_event(event)


def ingest_webhook(store: Store, settings: Settings, body: bytes,
                   signature: str | None) -> IngestResult:
    """Verify and process one delivery in the caller's thread (no batching)."""
    return process_event(store, parse_verified(settings, body, signature))


def load_events_file(path: Path) -> list[dict[str, Any]]:
    """Events saved as one JSON event, a JSON list, or JSON lines (``stripe events list``)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the path") from None
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is neither JSON nor JSON lines (line {exc.lineno})",
                             fix="save events as a JSON list or one event per line") from None
    if isinstance(data, dict) and data.get("object") == "list":
        data = data.get("data", [])
    events = data if isinstance(data, list) else [data]
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or ev.get("object") != "event":
            raise InputError(f"{path}: item {i} is not a Stripe event",
                             fix="the file must hold Stripe event objects")
    return sorted(events, key=lambda e: (int(e.get("created") or 0), str(e.get("id"))))


def processed_count(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(StripeEventRow)) or 0)
