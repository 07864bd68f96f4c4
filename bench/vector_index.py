#!/usr/bin/env python3
"""Exact NumPy vector search vs sqlite-vec (vec0), same vectors, same machine (prints numbers).

For N random unit vectors (384-d, float32, the MiniLM shape) stored in SQLite: build/load time
and top-10 query latency (p50/p95 over 100 queries) for
  numpy   : blobs in a plain table, loaded once into a matrix, ``matrix @ q`` + argpartition
  vec0    : sqlite-vec virtual table, ``WHERE embedding MATCH ? AND k = 10`` (exact KNN)
and whether both return the same ids.

    .venv/bin/python bench/vector_index.py --sizes 10000,100000

The standard ``sqlite3`` module of this Python build has no ``enable_load_extension`` (a fact
that alone rules vec0 out as the default); the comparison therefore runs through ``apsw``
(``pip install apsw``, bench-only), which can load the extension.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from iza.memory._minilm import one_blas_thread


def pct(v: list[float], p: float) -> float:
    s = sorted(v)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def bench(n: int, dim: int = 384) -> dict:
    import sqlite_vec

    rng = np.random.default_rng(1)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    queries = rng.standard_normal((100, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    out: dict = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        import apsw

        conn = apsw.Connection(str(Path(tmp) / "v.db"))
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        conn.enable_load_extension(False)
        conn.execute("CREATE TABLE vectors (seq INTEGER PRIMARY KEY, vec BLOB)")
        conn.execute(f"CREATE VIRTUAL TABLE vec USING vec0(embedding float[{dim}] distance_metric=cosine)")
        t0 = time.perf_counter()
        with conn:
            conn.executemany(
                "INSERT INTO vectors VALUES (?, ?)", [(i + 1, v.tobytes()) for i, v in enumerate(vecs)]
            )
        out["numpy_insert_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with conn:
            conn.executemany(
                "INSERT INTO vec (rowid, embedding) VALUES (?, ?)",
                [(i + 1, v.tobytes()) for i, v in enumerate(vecs)],
            )
        out["vec0_insert_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = conn.execute("SELECT seq, vec FROM vectors ORDER BY seq").fetchall()
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
        out["numpy_load_s"] = time.perf_counter() - t0
        lat_np, lat_vec, agree = [], [], 0
        for q in queries:
            t0 = time.perf_counter()
            with one_blas_thread():  # as the store runs it
                scores = matrix @ q
            top = np.argpartition(-scores, 10)[:10]
            ids_np = {int(i) + 1 for i in top}
            lat_np.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            ids_vec = {
                r[0]
                for r in conn.execute(
                    "SELECT rowid FROM vec WHERE embedding MATCH ? AND k = 10", (q.tobytes(),)
                )
            }
            lat_vec.append((time.perf_counter() - t0) * 1000)
            agree += ids_np == ids_vec
        out.update(
            numpy_p50=statistics.median(lat_np),
            numpy_p95=pct(lat_np, 95),
            vec0_p50=statistics.median(lat_vec),
            vec0_p95=pct(lat_vec, 95),
            same_top10=agree / 100,
        )
        conn.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    with open("/proc/loadavg") as fh:
        print("load average at start:", fh.read().split()[:3])
    print(
        f"{'vectors':>8} {'numpy p50/p95 ms':>17} {'vec0 p50/p95 ms':>16} {'same top10':>10} "
        f"{'numpy ins+load s':>16} {'vec0 insert s':>13}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        r = bench(n)
        print(
            f"{n:>8} {r['numpy_p50']:>8.2f}/{r['numpy_p95']:<8.2f} {r['vec0_p50']:>7.2f}/{r['vec0_p95']:<8.2f} "
            f"{r['same_top10']:>10.2f} {r['numpy_insert_s'] + r['numpy_load_s']:>16.2f} {r['vec0_insert_s']:>13.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
