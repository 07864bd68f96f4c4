"""The ingest fast paths: the one-statement watermark, batched results, a cancelled request."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from biz_helpers import fixture_events

from iza.business._batching import submit, submit_async
from iza.business._ledger import advance_watermark, charge_refund_total, insert_entry
from iza.business._models import LedgerRow, StripeEventRow, StripeObjectRow
from iza.kernel.store import Store, utcnow


def test_watermark_upsert_decides_and_records(store: Store) -> None:
    def advance(created: int, eid: str) -> bool:
        with store.transaction() as s:
            return advance_watermark(s, "sub_1", "subscription", created, eid)

    assert advance(100, "evt_a")          # first event for the object
    assert not advance(99, "evt_old")     # older: stale, nothing recorded
    assert advance(100, "evt_same")       # same second: applied (Stripe has 1 s resolution)
    assert advance(150, "evt_new")
    assert not advance(120, "evt_late")
    with store.read() as s:
        row = s.get(StripeObjectRow, "sub_1")
        assert row is not None and (row.event_created, row.event_id) == (150, "evt_new")


def test_prepared_inserts_report_skips_and_sum_refunds(store: Store) -> None:
    with store.transaction() as s:
        args: dict[str, Any] = {"kind": "refund", "currency": "usd", "occurred_at": utcnow(),
                                "source": "stripe", "charge_ref": "ch_1"}
        assert insert_entry(s, amount_minor=-300, source_key="refund:ch_1:a", **args)
        assert not insert_entry(s, amount_minor=-300, source_key="refund:ch_1:a", **args)
        assert insert_entry(s, amount_minor=-200, source_key="refund:ch_1:b", **args)
        assert charge_refund_total(s, "ch_1") == 500 and charge_refund_total(s, "ch_2") == 0
    with store.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LedgerRow)) == 2


def test_async_and_thread_submitters_share_one_batch(store: Store) -> None:
    events = fixture_events()
    invoice = events[3]  # invoice.paid of 1000 usd

    async def main() -> list[str]:
        cancelled = submit_async(store, invoice)
        cancelled.cancel()  # the client went away: the event is applied all the same
        from_thread = submit(store, events[0])
        others = await asyncio.gather(*[submit_async(store, invoice) for _ in range(3)])
        return [r.outcome for r in others] + [from_thread.result(timeout=30).outcome]

    outcomes = asyncio.run(main())
    assert outcomes == ["duplicate"] * 3 + ["applied"]  # customer.created
    with store.read() as s:
        ids = set(s.scalars(sa.select(StripeEventRow.event_id)))
        assert {invoice["id"], events[0]["id"]} <= ids
        assert [r[0] for r in s.execute(sa.select(LedgerRow.amount_minor))] == [1000]
