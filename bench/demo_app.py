"""End-to-end time and success rate of ``iza demo-app`` offline, with a warm wheel cache.

Usage: ``.venv/bin/python bench/demo_app.py [--limit N] [--json]``. Each request of
``iza.apps._examples.EXAMPLE_REQUESTS`` (38 varied requests) runs as a user runs it,
``iza demo-app REQUEST --json`` in a fresh data home, timed from process start to exit: parse,
generate, own venv, offline install, the app's own tests, server start and the HTTP probe.
The wheel cache is filled once before timing (``artifacts/wheels``, or ``--cache DIR``).

Prints one line per request (status, seconds, tests, failing step), then the median, p90 and
max time and the success rate. Target: median ≤ 20 s including verification.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from iza.apps import WheelCache
from iza.apps._examples import EXAMPLE_REQUESTS

ROOT = Path(__file__).resolve().parents[1]


def run_one(iza: str, request: str, cache: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="iza-bench-") as home:
        env = {**os.environ, "IZA_HOME": home, "IZA_APPS_WHEEL_CACHE": str(cache)}
        t0 = time.perf_counter()
        proc = subprocess.run([iza, "demo-app", request, "--json"], env=env, capture_output=True, text=True,
                              timeout=300)
        seconds = time.perf_counter() - t0
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError:
            data = {"status": "error", "failed_step": {"name": "cli", "detail": proc.stderr.strip()[-300:]}}
        shutil.rmtree(home, ignore_errors=True)
    failed = data.get("failed_step") or {}
    return {"request": request, "status": data.get("status"), "exit": proc.returncode,
            "seconds": round(seconds, 2), "blueprint": data.get("blueprint"),
            "entities": [e["name"] for e in (data.get("spec") or {}).get("entities", [])],
            "tests": data.get("tests"), "failed_step": failed.get("name"),
            "detail": (failed.get("detail") or "")[:300],
            "steps": {s["name"]: s["seconds"] for s in data.get("steps", [])}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="run only the first N requests")
    ap.add_argument("--cache", type=Path, default=ROOT / "artifacts" / "wheels")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    iza = str(Path(sys.executable).with_name("iza"))
    print(f"wheel cache {args.cache}: {WheelCache(args.cache).ensure()}", file=sys.stderr)
    requests = list(EXAMPLE_REQUESTS[: args.limit] if args.limit else EXAMPLE_REQUESTS)
    rows = []
    for i, request in enumerate(requests, 1):
        row = run_one(iza, request, args.cache)
        rows.append(row)
        failed = f"  FAILED at {row['failed_step']}: {row['detail']}" if row["status"] != "delivered" else ""
        bp = row["blueprint"] or "-"
        print(f"[{i:2}/{len(requests)}] {row['status']:9} {row['seconds']:6.2f}s  {bp:9} "
              f"{request!r} → {', '.join(row['entities'])}{failed}", file=sys.stderr, flush=True)
    times = sorted(r["seconds"] for r in rows)
    ok = [r for r in rows if r["status"] == "delivered"]
    summary = {
        "requests": len(rows), "delivered": len(ok), "success_rate": round(len(ok) / len(rows), 3),
        "median_s": round(statistics.median(times), 2),
        "p90_s": round(times[int(0.9 * (len(times) - 1))], 2), "max_s": round(times[-1], 2),
        "median_step_s": {step: round(statistics.median(r["steps"].get(step, 0) for r in ok), 2)
                          for step in ("install", "tests", "serve", "probe")} if ok else {},
        "failures": [r for r in rows if r["status"] != "delivered"],
    }
    if args.json:
        print(json.dumps({"summary": summary, "rows": rows}, indent=2))
        return
    print(f"iza demo-app offline, warm wheel cache, {len(rows)} requests")
    print(f"  delivered {len(ok)}/{len(rows)} ({summary['success_rate']:.0%})")
    print(f"  end-to-end  median {summary['median_s']} s  p90 {summary['p90_s']} s  max {summary['max_s']} s"
          f"  (target ≤ 20 s)")
    print(f"  median per step (s): {summary['median_step_s']}")
    for r in summary["failures"]:
        print(f"  FAILED {r['request']!r} at {r['failed_step']}: {r['detail']}")


if __name__ == "__main__":
    main()
