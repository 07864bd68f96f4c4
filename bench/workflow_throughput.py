"""Executions per second of a 10-node core workflow, in process (engine only, and with every node
run persisted to SQLite).

Usage: TZ=UTC .venv/bin/python bench/workflow_throughput.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from iza.workflows import Execution, parse_workflow


def _n(name: str, type_: str, params: dict[str, Any] | None = None, v: float = 1, x: int = 0) -> dict[str, Any]:
    return {"name": name, "type": f"n8n-nodes-base.{type_}", "typeVersion": v, "parameters": params or {},
            "position": [x, 0]}


def _c(*pairs: tuple[str, str, int, int]) -> dict[str, Any]:
    conns: dict[str, Any] = {}
    for src, dst, out, inp in pairs:
        outs = conns.setdefault(src, {"main": []})["main"]
        while len(outs) <= out:
            outs.append([])
        outs[out].append({"node": dst, "type": "main", "index": inp})
    return conns


WORKFLOW = {
    "name": "core-10",
    "settings": {"executionOrder": "v1"},
    "nodes": [
        _n("Start", "manualTrigger"),
        _n("Data", "code", {"jsCode": "return Array.from({length: 10}, (_, i) => ({id: i, name: 'n' + i}))"}, 2),
        _n("Tag", "set", {"assignments": {"assignments": [
            {"name": "label", "type": "string", "value": "=item {{ $json.name.toUpperCase() }}"},
            {"name": "double", "type": "number", "value": "={{ $json.id * 2 }}"}]}, "includeOtherFields": True},
           3.4),
        _n("Even?", "if", {"conditions": {"options": {"caseSensitive": True, "typeValidation": "strict"},
                                          "combinator": "and", "conditions": [{
                                              "leftValue": "={{ $json.id % 2 }}", "rightValue": 0,
                                              "operator": {"type": "number", "operation": "equals"}}]}}, 2),
        _n("Even", "set", {"assignments": {"assignments": [{"name": "kind", "type": "string", "value": "even"}]},
                           "includeOtherFields": True}, 3.4),
        _n("Odd", "set", {"assignments": {"assignments": [{"name": "kind", "type": "string", "value": "odd"}]},
                          "includeOtherFields": True}, 3.4),
        _n("Merge", "merge", {}, 2),
        _n("Sort", "sort", {"sortFieldsUi": {"sortField": [{"fieldName": "id", "order": "descending"}]}}),
        _n("Limit", "limit", {"maxItems": 5}),
        _n("Done", "noOp"),
    ],
    "connections": _c(("Start", "Data", 0, 0), ("Data", "Tag", 0, 0), ("Tag", "Even?", 0, 0),
                      ("Even?", "Even", 0, 0), ("Even?", "Odd", 1, 0), ("Even", "Merge", 0, 0),
                      ("Odd", "Merge", 0, 1), ("Merge", "Sort", 0, 0), ("Sort", "Limit", 0, 0),
                      ("Limit", "Done", 0, 0)),
}


def engine_only(seconds: float) -> tuple[int, float]:
    wf = parse_workflow(WORKFLOW)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        ex = Execution(wf)
        ex.start()
        res = ex.run()
        assert res.status == "success" and len(res.run_data["Done"][0]["data"]["main"][0]) == 5, res.error
        n += 1
    return n, time.perf_counter() - t0


def persisted(seconds: float) -> tuple[int, float]:
    from iza.kernel.store import Store
    from iza.workflows.service import WorkflowService

    with tempfile.TemporaryDirectory() as d:
        store = Store(f"sqlite:///{Path(d) / 'bench.db'}")
        store.migrate()
        svc = WorkflowService(store)
        wf = parse_workflow(WORKFLOW)
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            _id, res = svc.run(wf)
            assert res.status == "success"
            n += 1
        elapsed = time.perf_counter() - t0
        store.dispose()
    return n, elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    engine_only(0.5)  # warm the V8 isolate
    n, el = engine_only(args.seconds)
    print(f"engine only : {n / el:8.1f} executions/s  ({el / n * 1000:.2f} ms per 10-node execution)")
    n, el = persisted(args.seconds)
    print(f"persisted   : {n / el:8.1f} executions/s  ({el / n * 1000:.2f} ms, every node run written to SQLite)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
