#!/usr/bin/env python3
"""LoCoMo dev retrieval, in process: recall@10 and search latency without process start-up.

Uses the shared benchmark's own record/query construction (``../shared/bench/locomo_retrieval.py``)
and scoring, but calls ``SQLiteMemoryStore.search`` directly, one query at a time, query
embedding included — the "search p50 in process" number. ``--grid`` re-scores a small grid of
fusion weights on the same ingested store and prints per-conversation recall, which is how the
defaults in ``iza.memory._search`` were chosen (a broad plateau, every conversation improving,
rather than the single best cell).

    .venv/bin/python bench/locomo_inprocess.py [--grid]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
sys.path.insert(0, str(SHARED / "bench"))

import locomo_retrieval as L  # noqa: E402

from iza.memory import DEFAULT_WEIGHTS, FusionWeights, SearchQuery, SQLiteMemoryStore  # noqa: E402
from iza.memory._minilm import MiniLM  # noqa: E402
from iza.memory._records import parse_jsonl  # noqa: E402


def load() -> list[tuple[str, list[dict], list[dict]]]:
    data = json.loads((SHARED / "corpus" / "locomo" / "locomo_dev.json").read_text())
    out = []
    for sample in data:
        recs = L.conversation_records(sample)
        qs, _ = L.conversation_queries(sample, {r["id"] for r in recs})
        out.append((sample["sample_id"], recs, qs))
    return out


def evaluate(store: SQLiteMemoryStore, convs, weights: FusionWeights, timed: bool = False):
    store.weights = weights
    per_conv, lat, cpu = {}, [], []
    for sid, _, qs in convs:
        total = 0.0
        for q in qs:
            t0, c0 = time.perf_counter(), time.process_time()
            hits = store.search(SearchQuery(sid, q["question"], k=10))
            lat.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            got = {h.record.id for h in hits}
            total += len(got & set(q["evidence"])) / len(q["evidence"])
        per_conv[sid] = total / len(qs)
    n = sum(len(qs) for _, _, qs in convs)
    overall = sum(per_conv[sid] * len(qs) for sid, _, qs in convs) / n
    evaluate.cpu = cpu  # type: ignore[attr-defined]
    return overall, per_conv, lat


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", action="store_true")
    args = ap.parse_args()
    with open("/proc/loadavg") as fh:
        print("load average at start:", fh.read().split()[:3])
    convs = load()
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteMemoryStore(Path(tmp) / "m.db", embedder=MiniLM())
        t0 = time.perf_counter()
        for sid, recs, _ in convs:
            store.add(list(parse_jsonl([json.dumps(r) for r in recs], sid)))
        n_recs = sum(len(r) for _, r, _ in convs)
        print(f"ingest: {n_recs} records in {time.perf_counter() - t0:.1f} s (embedding included)")
        for sid, _, qs in convs:  # warm the per-namespace cache, as a running service would be
            store.search(SearchQuery(sid, qs[0]["question"]))
        overall, per_conv, lat = evaluate(store, convs, DEFAULT_WEIGHTS)
        print(
            f"defaults: recall@10={overall:.3f} per conversation "
            + " ".join(f"{k}={v:.3f}" for k, v in per_conv.items())
        )
        print(
            f"search in process (query embedding included): p50={statistics.median(lat):.2f} ms "
            f"p95={sorted(lat)[int(0.95 * (len(lat) - 1))]:.2f} ms n={len(lat)}; "
            f"CPU time per search p50={statistics.median(evaluate.cpu):.2f} ms"
        )  # type: ignore[attr-defined]
        store.embedder = None
        overall_lex, _, lat_lex = evaluate(store, convs, DEFAULT_WEIGHTS)
        print(
            f"lexical only (no vectors): recall@10={overall_lex:.3f} p50={statistics.median(lat_lex):.2f} ms "
            f"(CPU p50 {statistics.median(evaluate.cpu):.2f} ms)"
        )  # type: ignore[attr-defined]
        store.embedder = MiniLM()
        if args.grid:
            rows = []
            for dense, neighbour, context in itertools.product(
                (0.5, 1.0, 1.5), (0.0, 0.15, 0.3), (0.0, 0.3, 0.6)
            ):
                w = dataclasses.replace(DEFAULT_WEIGHTS, dense=dense, neighbour=neighbour, context=context)
                o, pc, _ = evaluate(store, convs, w)
                rows.append((o, dense, neighbour, context, pc))
            for o, d, nb, c, pc in sorted(rows, reverse=True):
                print(
                    f"dense={d} neighbour={nb} context={c}: {o:.3f} | "
                    + " ".join(f"{v:.3f}" for v in pc.values())
                )


if __name__ == "__main__":
    main()
