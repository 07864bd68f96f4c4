#!/usr/bin/env python3
"""Scale benchmark of the SQLite memory backend (prints numbers; not a test).

For each size N (default 10k and 100k; add 1000000 with --sizes): a fresh database, N synthetic
records (12–30 words drawn Zipf-like from a 20k-word vocabulary, with session metadata) in one
namespace plus 1% in a second namespace, generated and ingested in batches of 10k (one transaction
each; only `add` is timed)
**without embeddings**; then 200 searches of 2–5 words (first search, which builds the
namespace cache, reported separately); then, as a new process would, the store is reopened and
searched once (the ranking arrays saved by the first run are reused) and one record is deleted
(``delete`` merges the FTS index). With --embed M, M records are also ingested with the
local MiniLM embedder to report the model-bound rate.

    .venv/bin/python bench/memory_scale.py --sizes 10000,100000 [--embed 2000]
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

from iza.memory import MemoryRecord, SearchQuery, SQLiteMemoryStore
from iza.memory._search import _STOP


def vocabulary(rng: random.Random, n: int = 20000) -> list[str]:
    """English-shaped: the head of the Zipf curve is real stop words (as in any English text),
    the tail random words. Without that head every query would match every record."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    head = sorted(_STOP)
    words: set[str] = set()
    while len(words) < n - len(head):
        w = "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))
        if w not in _STOP:
            words.add(w)
    return head + sorted(words)


def sentence(rng: random.Random, vocab: list[str], cum: list[float], lo: int, hi: int) -> str:
    return " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(lo, hi)))


def records(rng, vocab, weights, n: int, ns: str, offset: int = 0) -> list[MemoryRecord]:
    now = time.time()
    return [
        MemoryRecord(
            namespace=ns,
            id=f"r{offset + i}",
            text=sentence(rng, vocab, weights, 12, 30),
            kind="note",
            metadata={"session": (offset + i) // 20},
            event_time=now - rng.random() * 3e7,
        )
        for i in range(n)
    ]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def run_size(n: int, embed: int, rng: random.Random, vocab, weights) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unified_memory.db"
        store = SQLiteMemoryStore(path, embedder=None)
        t0, c0, ingest_s, ingest_cpu = 0.0, 0.0, 0.0, 0.0
        for start in range(0, n, 10000):  # generate and ingest per batch: RSS measures the store
            batch = records(rng, vocab, weights, min(10000, n - start), "main", offset=start)
            t0, c0 = time.perf_counter(), time.process_time()
            store.add(batch)  # one transaction per batch
            ingest_s += time.perf_counter() - t0
            ingest_cpu += time.process_time() - c0
        store.add(records(rng, vocab, weights, max(1, n // 100), "other"))
        queries = [sentence(rng, vocab, weights, 2, 5) for _ in range(201)]
        t0 = time.perf_counter()
        store.search(SearchQuery("main", queries[0], k=10))
        first_ms = (time.perf_counter() - t0) * 1000
        lat = []
        for q in queries[1:]:
            t0 = time.perf_counter()
            store.search(SearchQuery("main", q, k=10))
            lat.append((time.perf_counter() - t0) * 1000)
        store.close()
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
        # A new process's first search (the arrays saved by the first one are reused), then one
        # record deleted (which merges the namespace's FTS index so no posting of it survives).
        store = SQLiteMemoryStore(path, embedder=None)
        t0 = time.perf_counter()
        store.search(SearchQuery("main", queries[1], k=10))
        reopen_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        store.delete("main", "r5")
        delete_ms = (time.perf_counter() - t0) * 1000
        store.close()
        row = {
            "n": n,
            "ingest_rps": n / ingest_s,
            "ingest_rps_cpu": n / ingest_cpu,
            "first_search_ms": first_ms,
            "reopen_search_ms": reopen_ms,
            "delete_ms": delete_ms,
            "p50_ms": statistics.median(lat),
            "p95_ms": pct(lat, 95),
            "db_mb": size / 2**20,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    if embed:
        from iza.memory._minilm import MiniLM

        with tempfile.TemporaryDirectory() as tmp:
            store = SQLiteMemoryStore(Path(tmp) / "e.db", embedder=MiniLM())
            data = records(rng, vocab, weights, embed, "emb")
            t0 = time.perf_counter()
            store.add(data)
            row["ingest_rps_with_embeddings"] = embed / (time.perf_counter() - t0)
            store.close()
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--embed", type=int, default=0, help="also ingest this many records with MiniLM")
    args = ap.parse_args()
    rng = random.Random(7)
    vocab = vocabulary(rng)
    weights = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))  # cumulative
    print(
        f"{'records':>9} {'ingest rec/s':>12} {'(per CPU s)':>11} {'1st search ms':>13} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'db MB':>7} {'peak RSS MB':>11} {'embed rec/s':>11} {'reopen 1st ms':>13} {'delete ms':>9}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        r = run_size(n, args.embed, rng, vocab, weights)
        emb = f"{r['ingest_rps_with_embeddings']:.1f}" if "ingest_rps_with_embeddings" in r else "-"
        print(
            f"{r['n']:>9} {r['ingest_rps']:>12.0f} {r['ingest_rps_cpu']:>11.0f} {r['first_search_ms']:>13.1f} {r['p50_ms']:>7.2f} "
            f"{r['p95_ms']:>7.2f} {r['db_mb']:>7.1f} {r['peak_rss_mb']:>11.0f} {emb:>11} "
            f"{r['reopen_search_ms']:>13.1f} {r['delete_ms']:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    with open("/proc/loadavg") as fh:
        print("load average at start:", fh.read().split()[:3])
    main()
