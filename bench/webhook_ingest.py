"""Benchmark: signed Stripe events posted concurrently to a running ``iza serve``.

Starts ``iza serve`` on a free loopback port in a fresh data home (SQLite unless
``--database-url`` is given), then posts N unique events — ``invoice.paid`` in USD/EUR/JPY and
pairs of cumulative ``charge.refunded`` (partial, then full) — plus 10 % duplicate deliveries,
all shuffled so refunds also arrive out of order. Prints sustained events/s and latency
percentiles, then checks that the ledger equals the expected totals exactly
(0 lost, 0 double-counted).

    .venv/bin/python bench/webhook_ingest.py --events 5000 --concurrency 32
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

from iza.business import sign_payload

SECRET = "whsec_bench_secret"
ENVELOPE = {"object": "event", "api_version": "2025-03-31.basil", "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_events(n: int, seed: int) -> tuple[list[dict], dict[str, dict[str, int]]]:
    rnd = random.Random(seed)
    base = int(time.time()) - 3600
    events: list[dict] = []
    expected: dict[str, dict[str, int]] = defaultdict(lambda: {"payment": 0, "refund": 0})
    i = 0
    while len(events) < n:
        i += 1
        if i % 5 == 0 and len(events) + 2 <= n:  # a charge refunded twice, cumulatively
            amount = rnd.randint(1000, 50000)
            charge = {"id": f"ch_bench_{i}", "object": "charge", "amount": amount,
                      "amount_captured": amount, "currency": "usd", "customer": f"cus_{i % 97}"}
            for step, refunded in ((0, amount // 3), (1, amount)):
                events.append({**ENVELOPE, "id": f"evt_bench_{i}_{step}", "type": "charge.refunded",
                               "created": base + i * 2 + step, "data": {"object": {
                                   **charge, "amount_refunded": refunded,
                                   "refunded": refunded == amount}}})
            expected["usd"]["refund"] -= amount
            continue
        cur = rnd.choice(["usd", "usd", "eur", "jpy"])
        amount = rnd.randint(500, 200000)
        events.append({**ENVELOPE, "id": f"evt_bench_{i}", "type": "invoice.paid", "created": base + i * 2,
                       "data": {"object": {"id": f"in_bench_{i}", "object": "invoice", "status": "paid",
                                           "amount_paid": amount, "currency": cur,
                                           "customer": f"cus_{i % 97}", "parent": None}}})
        expected[cur]["payment"] += amount
    return events, {k: dict(v) for k, v in expected.items()}


async def post_all(url: str, bodies: list[bytes], concurrency: int,
                   client: str = "aiohttp") -> tuple[list[float], dict[str, int]]:
    """Post every body from ``concurrency`` keep-alive connections; latency per request.

    aiohttp is the default load generator: httpx's async client spends ~2.8 ms of CPU per
    request here, more than the server, so on a 2-core machine it, not the server, set the
    ceiling (``--client httpx`` still measures with it)."""
    latencies: list[float] = []
    outcomes: dict[str, int] = defaultdict(int)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)

    def record(status: int, outcome: str | None, t0: float) -> None:
        latencies.append(time.perf_counter() - t0)
        outcomes[(outcome or f"http_{status}") if status == 200 else f"http_{status}"] += 1

    if client == "aiohttp":
        import aiohttp

        conn = aiohttp.TCPConnector(limit=concurrency, force_close=False)
        async with aiohttp.ClientSession(base_url=url, connector=conn,
                                         timeout=aiohttp.ClientTimeout(total=60)) as session:
            async def aio_worker() -> None:
                while not queue.empty():
                    body = queue.get_nowait()
                    headers = {"content-type": "application/json",
                               "stripe-signature": sign_payload(body, SECRET)}
                    t0 = time.perf_counter()
                    async with session.post("/webhooks/stripe", data=body, headers=headers) as r:
                        data = await r.json()
                    record(r.status, data.get("outcome"), t0)

            await asyncio.gather(*[aio_worker() for _ in range(concurrency)])
        return latencies, dict(outcomes)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as hclient:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                headers = {"content-type": "application/json",
                           "stripe-signature": sign_payload(body, SECRET)}
                t0 = time.perf_counter()
                r = await hclient.post("/webhooks/stripe", content=body, headers=headers)
                record(r.status_code, r.json().get("outcome"), t0)

        await asyncio.gather(*[worker() for _ in range(concurrency)])
    return latencies, dict(outcomes)


def server_cpu_seconds(pid: int) -> float:
    """User+system CPU of the server process (Linux /proc), to tell cost from contention."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def start_profiler(pid: int, out: str) -> subprocess.Popen[bytes]:
    spy = str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy in this venv: pip install py-spy")
    proc = subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--gil", "--rate", "250",
                             "--nonblocking", "--output", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches before the load starts
    return proc


def summarise_profile(path: str, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Top functions by self and by inclusive share of the GIL-holding samples."""
    self_n: dict[str, int] = defaultdict(int)
    incl_n: dict[str, int] = defaultdict(int)
    total = 0
    for line in Path(path).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        total += n
        self_n[frames[-1]] += n
        for f in set(frames):
            incl_n[f] += n

    def share(d: dict[str, int]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

    return {"samples": [("total", float(total))], "self_pct": share(self_n), "inclusive_pct": share(incl_n)}


def ledger_totals(home: Path, database_url: str | None) -> dict[str, dict[str, int]]:
    import sqlalchemy as sa

    from iza.business._models import LedgerRow
    from iza.kernel.config import load
    from iza.kernel.store import Store

    settings = load(home, overrides={"database_url": database_url} if database_url else None)
    store = Store.from_settings(settings)
    with store.read() as s:
        rows = s.execute(sa.select(LedgerRow.currency, LedgerRow.kind, sa.func.sum(LedgerRow.amount_minor))
                         .group_by(LedgerRow.currency, LedgerRow.kind)).all()
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"payment": 0, "refund": 0})
    for cur, kind, total in rows:
        out[cur][kind] = int(total)
    return {k: dict(v) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--duplicates", type=float, default=0.10)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--database-url", default=None, help="default: SQLite in a temp data home")
    ap.add_argument("--pg", action="store_true",
                    help="a fresh schema on PostgreSQL at 127.0.0.1:5432/test (dropped afterwards)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--client", choices=["aiohttp", "httpx"], default="aiohttp",
                    help="load generator (aiohttp costs the client far less CPU per request)")
    ap.add_argument("--log-level", default=None, help="server log level (logs in the temp home)")
    ap.add_argument("--profile", default=None, metavar="FILE",
                    help="sample the server with py-spy (GIL holders only) while posting; "
                    "write the raw stacks to FILE and print the top functions")
    args = ap.parse_args()

    events, expected = build_events(args.events, args.seed)
    rnd = random.Random(args.seed)
    bodies = [json.dumps(e).encode() for e in events]
    bodies += [rnd.choice(bodies) for _ in range(int(len(bodies) * args.duplicates))]
    rnd.shuffle(bodies)

    schema = None
    if args.pg:
        import sqlalchemy as sa

        schema = "iza_wh_" + str(os.getpid())
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        args.database_url = f"postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    home = Path(tempfile.mkdtemp(prefix="iza-bench-"))
    port = free_port()
    env = {**os.environ, "IZA_HOME": str(home), "STRIPE_WEBHOOK_SECRET": SECRET}
    if args.database_url:
        env["IZA_DATABASE_URL"] = args.database_url
    if args.log_level:
        env["IZA_LOG_LEVEL"] = args.log_level
    iza = str(Path(sys.executable).with_name("iza"))
    server = subprocess.Popen([iza, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("iza serve did not start: " + (server.stderr.read() or b"").decode()[-2000:])
        spy = start_profiler(server.pid, args.profile) if args.profile else None
        cpu0 = server_cpu_seconds(server.pid)
        client0 = time.process_time()
        t0 = time.perf_counter()
        latencies, outcomes = asyncio.run(post_all(url, bodies, args.concurrency, args.client))
        elapsed = time.perf_counter() - t0
        server_cpu = server_cpu_seconds(server.pid) - cpu0
        client_cpu = time.process_time() - client0
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        load = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    got = ledger_totals(home, args.database_url)
    ok = got == expected
    if schema:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    print(json.dumps({
        "store": "postgresql" if args.database_url else "sqlite", "client": args.client, "home": str(home),
        "deliveries": len(bodies), "unique_events": len(events), "concurrency": args.concurrency,
        "seconds": round(elapsed, 3), "events_per_s": round(len(bodies) / elapsed, 1),
        "latency_ms": {"p50": round(pct(0.50), 2), "p90": round(pct(0.90), 2),
                       "p99": round(pct(0.99), 2), "max": round(latencies[-1] * 1000, 2)},
        "server_cpu_ms_per_delivery": round(server_cpu / len(bodies) * 1000, 3),
        "client_cpu_ms_per_delivery": round(client_cpu / len(bodies) * 1000, 3),
        "server_cpu_bound_events_per_s": round(len(bodies) / server_cpu, 1) if server_cpu else None,
        "machine_load_avg_1m": round(load, 2), "cpus": os.cpu_count(),
        "outcomes": outcomes, "ledger_matches_expected": ok,
        "expected": expected, "ledger": got}, indent=2))
    if args.profile:
        print(json.dumps(summarise_profile(args.profile), indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
