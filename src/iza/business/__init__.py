"""Business operations: catalog, customers and leads, orders, the revenue ledger, Stripe and
analytics. Import-light: heavy pieces (the ``stripe`` library, FastAPI) load on use."""

from __future__ import annotations

from iza.business._catalog import Catalog, Price, Service, load_catalog
from iza.business._events import (
    DisputeUpdated,
    LeadStageChanged,
    OrderCreated,
    OrderDelivered,
    OrderPaid,
    PaymentFailed,
    PaymentReceived,
    PaymentRefunded,
    SubscriptionChanged,
)
from iza.business._ledger import deliver_order, record_llm_cost
from iza.business._money import format_minor, parse_amount
from iza.business._signature import sign_payload, verify_signature
from iza.business._webhook import IngestResult, ingest_webhook, process_event

__all__ = [
    "Catalog",
    "DisputeUpdated",
    "IngestResult",
    "LeadStageChanged",
    "OrderCreated",
    "OrderDelivered",
    "OrderPaid",
    "PaymentFailed",
    "PaymentReceived",
    "PaymentRefunded",
    "Price",
    "Service",
    "SubscriptionChanged",
    "deliver_order",
    "format_minor",
    "ingest_webhook",
    "load_catalog",
    "parse_amount",
    "process_event",
    "record_llm_cost",
    "sign_payload",
    "verify_signature",
]
