"""Benchmark: MRR timeline, movements and revenue over 100k subscriptions / 1M ledger rows.

Fills a fresh store (SQLite in a temp dir, or ``--pg`` for a fresh schema on the PostgreSQL
server at 127.0.0.1:5432/test) with a deterministic synthetic history over 24 months — new
subscriptions, expansions, contractions, churn and reactivations in USD/EUR/JPY, and ledger
rows (payments, refunds, fees, LLM costs) — then times:

* ``mrr_timeline``: MRR at each month end plus the month's movements (one pass over history);
* ``subscription_report``: MRR/ARR/movements/churn/NRR/GRR/ARPA/LTV for the last month;
* ``revenue``: gross/refunds/net/margin per currency and service over the whole range, and
  per month (what ``iza revenue timeline`` does).

    .venv/bin/python bench/revenue_analytics.py [--subs 100000 --ledger 1000000] [--pg]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from iza.business._analytics import month_bounds, mrr_timeline, revenue, subscription_report
from iza.business._models import LedgerRow, MrrChangeRow
from iza.business._rollup import rebuild_rollup
from iza.kernel.store import Store

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
SERVICES = ["instant-app", "ai-chatbot", "workflow-automation", "knowledge-base", "monthly-retainer"]
CURRENCIES = [("usd", 1), ("usd", 1), ("eur", 1), ("jpy", 100)]


def rand_time(rnd: random.Random, lo: datetime, hi: datetime) -> datetime:
    return lo + timedelta(seconds=rnd.randint(0, int((hi - lo).total_seconds()) - 1))


def generate_changes(n_subs: int, rnd: random.Random) -> list[dict]:
    rows: list[dict] = []
    for i in range(n_subs):
        cur, scale = rnd.choice(CURRENCIES)
        cust = f"cus_{rnd.randint(0, int(n_subs * 0.8))}"
        svc = rnd.choice(SERVICES)
        at = rand_time(rnd, START, END)
        mrr = rnd.randint(20, 500) * 100 * scale
        base = {"subscription_id": f"sub_{i}", "customer_ref": cust, "currency": cur,
                "service_slug": svc}
        rows.append({**base, "at": at, "mrr_minor": mrr})
        r = rnd.random()
        if r < 0.3:
            at2 = rand_time(rnd, at, END) if at < END - timedelta(days=1) else at
            changed = max(100, mrr + rnd.randint(-100, 200) * 100 * scale)
            rows.append({**base, "at": at2, "mrr_minor": changed})
        elif r < 0.5:
            at2 = rand_time(rnd, at, END) if at < END - timedelta(days=1) else at
            rows.append({**base, "at": at2, "mrr_minor": 0})
    return rows


def generate_ledger(n: int, rnd: random.Random) -> list[dict]:
    kinds = [("payment", 1)] * 80 + [("refund", -1)] * 5 + [("fee", -1)] * 12 + [("llm_cost", -1)] * 3
    rows = []
    for i in range(n):
        kind, sign = rnd.choice(kinds)
        cur, scale = rnd.choice(CURRENCIES)
        rows.append({"kind": kind, "amount_minor": sign * rnd.randint(100, 100000) * scale,
                     "currency": cur, "occurred_at": rand_time(rnd, START, END),
                     "service_slug": rnd.choice(SERVICES), "source": "bench",
                     "source_key": f"bench:{i}", "customer_ref": f"cus_{i % 80000}"})
    return rows


def fill(store: Store, table: sa.Table, rows: list[dict], chunk: int = 50_000) -> None:
    for i in range(0, len(rows), chunk):
        with store.engine.begin() as conn:
            conn.execute(sa.insert(table), rows[i:i + chunk])


CPU: dict[str, float] = {}


def timed(fn, *args):  # type: ignore[no-untyped-def]
    """Wall seconds; process CPU seconds go to CPU[fn name] (the machine may be shared)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    CPU[fn.__name__] = round(time.process_time() - c0, 3)
    return out, round(time.perf_counter() - t0, 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--subs", type=int, default=100_000)
    ap.add_argument("--ledger", type=int, default=1_000_000)
    ap.add_argument("--pg", action="store_true", help="use PostgreSQL at 127.0.0.1:5432/test")
    args = ap.parse_args()
    rnd = random.Random(42)
    schema = None
    if args.pg:
        schema = "iza_bench_" + uuid.uuid4().hex[:8]
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='iza-bench-')}/iza.db"
    store = Store(url)
    store.migrate()
    try:
        changes = generate_changes(args.subs, rnd)
        ledger = generate_ledger(args.ledger, rnd)
        t0 = time.perf_counter()
        fill(store, MrrChangeRow.__table__, changes)
        fill(store, LedgerRow.__table__, ledger)
        rebuild_rollup(store)  # bulk load bypassed insert_entry, which keeps the rollup
        load_s = round(time.perf_counter() - t0, 1)
        if store.dialect == "postgresql":
            with store.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        tz = ZoneInfo("UTC")
        timeline, t_timeline = timed(mrr_timeline, store, START, END, tz)
        last = END - timedelta(days=31)
        _, t_report = timed(subscription_report, store, datetime(last.year, last.month, 1, tzinfo=UTC), END)
        _, t_revenue = timed(revenue, store, START, END)
        bounds = month_bounds(START, END, tz)

        def per_month() -> None:
            for lo, hi in zip(bounds, bounds[1:], strict=False):
                revenue(store, lo, hi)

        _, t_rev_months = timed(per_month)
        print(json.dumps({
            "store": store.dialect, "subscriptions": args.subs, "mrr_change_rows": len(changes),
            "ledger_rows": len(ledger), "load_seconds": load_s, "months": len(timeline),
            "seconds": {"mrr_timeline_and_movements": t_timeline,
                        "subscription_report_last_month": t_report,
                        "revenue_whole_range": t_revenue, "revenue_per_month_x24": t_rev_months,
                        "total": round(t_timeline + t_report + t_revenue + t_rev_months, 3)},
            "cpu_seconds_of_this_process": CPU,
            "note": "PostgreSQL work runs in the server process and is not in cpu_seconds",
            "machine_load_avg_1m": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
            "final_mrr": timeline[-1]["mrr"]}, indent=2))
    finally:
        store.dispose()
        if schema:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
