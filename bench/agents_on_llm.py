"""Missions on the real iza.llm path: what the integration costs.

Runs scripted LLM missions (plan → 2 objectives → 4 work items → reviews → synthesis, 14 model
calls) against iza.llm's local fake OpenAI-compatible server, on SQLite in a temp data home, and
prints per mission: wall time, model calls, time per call, and the time spent reading the
mission's cost back from the run journal (``mission_cost_micros``) with an empty journal and
after ``--journal-rows`` unrelated journal rows (that read groups the whole journal by mission).

Run: ``.venv/bin/python bench/agents_on_llm.py [--missions 5] [--journal-rows 20000]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from iza.agents import Workforce, create_mission, run_mission  # noqa: E402
from iza.agents._llm_model import LLMChatModel  # noqa: E402
from iza.kernel.config import load  # noqa: E402
from iza.kernel.home import ensure_home  # noqa: E402
from iza.kernel.store import Store  # noqa: E402
from iza.llm.fakeservers import FakeOpenAI  # noqa: E402
from llm_wire_script import WireScript  # noqa: E402


def _fill_journal(store: Store, rows: int) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from iza.kernel.store import utcnow
    from iza.llm._journal import CallRow

    now = utcnow() - timedelta(days=1)
    batch = [{"created_at": now, "request_hash": f"{i:064d}", "alias": "bench", "status": "ok",
              "mission": f"m-bench-{i % 500}", "cost_nanos": 1000} for i in range(rows)]
    with store.transaction() as session:
        session.execute(sa.insert(CallRow), batch)


def _cost_read_ms(model: LLMChatModel, mission: str, since: Any, repeat: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        model.mission_cost_micros(mission, since)
    return (time.perf_counter() - start) * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--missions", type=int, default=5)
    parser.add_argument("--journal-rows", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(WireScript()) as server:
        import os

        os.environ["IZA_OPENAI_COMPAT_BASE_URL"] = server.base_url + "/v1"
        home = Path(tmp) / "home"
        settings = load(home)
        ensure_home(settings)
        (home / "llm_prices.json").write_text(json.dumps({"compat:*": [1.0, 2.0]}))
        store = Store.from_settings(settings)
        store.migrate()
        wf = Workforce.from_settings(settings, store)
        assert isinstance(wf.model, LLMChatModel)
        walls, per_call, mission = [], [], ""
        for _ in range(args.missions):
            before = len(server.requests)
            mission = create_mission(wf, "Build a todo app", "instant-app")
            start = time.perf_counter()
            view = run_mission(wf, mission)
            wall = time.perf_counter() - start
            assert view["state"] == "completed", view["error"]
            calls = len(server.requests) - before
            walls.append(wall)
            per_call.append(wall / calls * 1000)
        print(f"missions: {args.missions}, model calls each: {calls}")
        print(f"mission wall time: median {statistics.median(walls) * 1000:.1f} ms, "
              f"max {max(walls) * 1000:.1f} ms")
        print(f"per model call (whole mission / calls): median {statistics.median(per_call):.2f} ms")
        created = view["created_at"]
        print(f"mission cost read from the journal ({len(server.requests)} rows): "
              f"{_cost_read_ms(wf.model, mission, created):.2f} ms")
        _fill_journal(store, args.journal_rows)
        print(f"mission cost read after {args.journal_rows} older rows of 500 other missions: "
              f"{_cost_read_ms(wf.model, mission, created):.2f} ms (since mission creation), "
              f"{_cost_read_ms(wf.model, mission, None):.2f} ms (whole journal)")
        store.dispose()


if __name__ == "__main__":
    main()
