"""Run n8n's own node test fixtures and compare by the rules of n8n's ``NodeTestHarness``.

The rules (see the fixtures' README): pinData holds the expected output of each pinned node —
its single run, main output 0; ``pairedItem`` and ``binary`` are dropped, key order and
``undefined`` properties are ignored; the run starts at the start node with one empty item,
TZ=UTC, default time zone America/New_York; the execution must end ``success`` (or ``waiting``).
pinData is removed before the run, so every node really executes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iza.workflows._engine import Execution
from iza.workflows._model import parse_workflow
from iza.workflows._sandbox import UNDEFINED

__all__ = ["FixtureResult", "run_fixture"]


@dataclass
class FixtureResult:
    name: str
    ok: bool
    status: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [None if v is UNDEFINED else _clean(v) for v in value]
    return value


def _item(value: Any) -> Any:
    if isinstance(value, dict) and "json" in value:
        return {"json": _clean(value["json"])}
    return {"json": _clean(value)}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or (isinstance(a, int | float) and isinstance(b, int | float))) and a == b


def run_fixture(path: str | Path) -> FixtureResult:
    import time

    p = Path(path)
    data = json.loads(p.read_text(encoding="utf-8"))
    pins: dict[str, Any] = data.pop("pinData", None) or {}
    t0 = time.perf_counter()
    wf = parse_workflow(data, source=p.name)
    execution = Execution(wf, mode="manual", timezone="America/New_York", virtual_time=True)
    execution.start()
    result = execution.run()
    seconds = time.perf_counter() - t0
    problems: list[str] = []
    if result.status not in ("success", "waiting"):
        problems.append(f"status {result.status}: {result.error}")
    for node, expected in pins.items():
        runs = result.run_data.get(node, [])
        actual = [[_item(i) for i in ((r.get("data") or {}).get("main") or [[]])[0] or []] for r in runs]
        want = [[_item(i) for i in expected]]
        if not _equal(actual, want):
            got = json.dumps(actual, default=str)[:600]
            problems.append(f"node {node!r}: expected {json.dumps(want)[:600]} got {got}")
    return FixtureResult(p.name, not problems, result.status, problems, seconds)
