"""Run n8n's 88 node-test fixtures through IZA's engine and compare by n8n's harness rules.

Usage: TZ=UTC .venv/bin/python bench/n8n_conformance.py [--verbose] [--json]
Prints the pass count, the failing fixtures and the time per fixture workflow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from iza.workflows.conformance import run_fixture

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "n8n" / "nodes-base-fixtures"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=str(FIXTURES))
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    files = sorted(p for p in Path(args.fixtures).glob("*.json") if p.name != "index.json")
    t0 = time.perf_counter()
    results = []
    for f in files:
        r = run_fixture(f)
        results.append(r)
        if args.verbose and not r.ok:
            print(f"FAIL {r.name}", file=sys.stderr)
            for p in r.problems[:3]:
                print("    " + p[:500], file=sys.stderr)
    total = time.perf_counter() - t0
    passed = sum(r.ok for r in results)
    per = [r.seconds for r in results]
    summary = {
        "passed": passed, "total": len(results),
        "failing": [r.name for r in results if not r.ok],
        "suite_seconds": round(total, 3),
        "mean_seconds_per_workflow": round(statistics.mean(per), 4),
        "median_seconds_per_workflow": round(statistics.median(per), 4),
        "n8n_seconds_per_workflow": "0.15-0.2 (n8n 1.123, once booted)",
        "speedup_vs_n8n_0.15s": round(0.15 / statistics.mean(per), 1),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"conformance: {passed}/{len(results)} fixtures pass")
        print(f"suite: {total:.2f} s total, {summary['mean_seconds_per_workflow']*1000:.1f} ms mean / "
              f"{summary['median_seconds_per_workflow']*1000:.1f} ms median per workflow "
              f"(n8n: 150-200 ms) -> {summary['speedup_vs_n8n_0.15s']}x faster than 0.15 s")
        for name in summary["failing"]:
            print(f"  failing: {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
