"""CLI start-up time: ``iza --help`` (and ``iza status``) against ``python -c pass``.

Usage: ``.venv/bin/python bench/cli_startup.py [--runs 20]``. Prints the median and p90 wall time
of each command over ``--runs`` runs (after one warm-up) and the ratio to a bare interpreter.
Target: ``iza --help`` under 250 ms absolute on the reference machine (2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _time(cmd: list[str], runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(cmd, env=env, capture_output=True, check=True)  # warm the file cache
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    iza = str(Path(sys.executable).with_name("iza"))
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "IZA_HOME": home}
        subprocess.run([iza, "init"], env=env, capture_output=True, check=True)
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "iza --help": [iza, "--help"],
            "iza status --json": [iza, "status", "--json"],
        }
        results = {name: _time(cmd, args.runs, env) for name, cmd in cases.items()}
    base = statistics.median(results["python -c pass"])
    rows = []
    for name, samples in results.items():
        med = statistics.median(samples)
        p90 = sorted(samples)[int(0.9 * (len(samples) - 1))]
        rows.append({"command": name, "median_ms": round(med, 1), "p90_ms": round(p90, 1),
                     "ratio_to_python": round(med / base, 2)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'command':<22}{'median ms':>11}{'p90 ms':>9}{'× python':>10}")
    for r in rows:
        print(f"{r['command']:<22}{r['median_ms']:>11}{r['p90_ms']:>9}{r['ratio_to_python']:>10}")
    help_ms = rows[1]["median_ms"]
    print(f"target iza --help < 250 ms: {'met' if help_ms < 250 else 'NOT met'} ({help_ms} ms)")


if __name__ == "__main__":
    main()
