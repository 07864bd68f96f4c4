"""What storing agents' memory in ``iza.memory`` costs a mission.

Runs the same offline-playbook mission (``instant-app``: 7 work items, 7 results, 1 message) with
each ``agents.memory`` sink, on the data home's SQLite store, and prints the median wall time per
mission; then times ``memory_add`` and the ``memory_search`` tool's query against a mission
namespace that has grown to N records, for both sinks.

Run: ``.venv/bin/python bench/agents_memory.py [--missions 10] [--records 10000]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from iza.agents import MemoryRecord, Workforce, create_mission, mission_namespace, run_mission
from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store


def _workforce(home: Path, sink: str) -> Workforce:
    home.mkdir(parents=True, exist_ok=True)
    (home / "iza.toml").write_text(f'[agents]\nmemory = "{sink}"\n[memory]\nembedder = "none"\n')
    settings = load(home)
    ensure_home(settings)
    store = Store.from_settings(settings)
    store.migrate()
    return Workforce.from_settings(settings, store)


def missions(root: Path, n: int) -> None:
    print(f"{'sink':<8} {'missions':>8} {'median s':>9} {'p90 s':>7}")
    for sink in ("tables", "lexical"):
        wf = _workforce(root / sink, sink)
        times = []
        for i in range(n):
            start = time.perf_counter()
            run_mission(wf, create_mission(wf, f"Build a todo app for bakery {i}"))
            times.append(time.perf_counter() - start)
        times.sort()
        print(f"{sink:<8} {n:>8} {statistics.median(times):>9.3f} {times[int(0.9 * (n - 1))]:>7.3f}")


def search(root: Path, records: int, sink: str) -> None:
    wf = _workforce(root / f"search-{sink}", sink)
    ns = mission_namespace("m-bench")
    words = "invoice login page pricing checkout report email schedule backup deploy".split()
    start = time.perf_counter()
    for i in range(records):
        wf.memory.add(MemoryRecord(ns, f"result {i}: {words[i % 10]} {words[(i * 7) % 10]} item {i}",
                                   "result", "m-bench", "wkr-apps-1", f"m-bench.{i}"))
    add_s = time.perf_counter() - start
    lat = []
    for i in range(200):
        t = time.perf_counter()
        wf.memory.search(ns, f"{words[i % 10]} {words[(i * 3) % 10]}", 5)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(f"{sink:<8} memory_add {records / add_s:>6.0f} records/s (one call each); memory_search over "
          f"{records} records p50 {lat[100]:.2f} ms, p95 {lat[190]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--missions", type=int, default=10)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        missions(Path(tmp), args.missions)
        print()
        for sink in ("tables", "lexical"):
            search(Path(tmp), args.records, sink)


if __name__ == "__main__":
    main()
