"""Crash resume on the real iza.llm path: ``iza missions run`` (a real process talking to the fake
OpenAI-compatible server) is killed with SIGKILL while a worker's second turn is in flight;
``iza missions resume`` finishes without asking the provider again for any answered turn, and
the LLM journal holds each paid call exactly once."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from iza.agents import list_missions, mission_view
from iza.kernel.store import Store
from iza.llm._journal import CallRow
from iza.llm.fakeservers import FakeOpenAI, Reply
from llm_wire_script import WireScript, kind_of

#: plan ×3 (malformed twice), then breakdown, Frontend turns 0-1, Backend turn 0 and turn 1 = 8th
BLOCK_AT = 8
CLEAN_RUN_CALLS = 16  # plan 3 + breakdown 2 + work 4×2 + review 2 + synthesis 1


class _Blocking(WireScript):
    def __init__(self) -> None:
        super().__init__(malformed_plan=True)
        self.seen = 0
        self.blocked = threading.Event()
        self.release = threading.Event()
        self.asked: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.seen += 1
            n = self.seen
            user = str(body["messages"][1].get("content") or "").splitlines()[0]
            whole = json.dumps(body["messages"], sort_keys=True)
            self.asked[f"{kind_of(body)}|{user}|{hashlib.sha256(whole.encode()).hexdigest()}"] += 1
        if n == BLOCK_AT and not self.release.is_set():
            self.blocked.set()
            self.release.wait(120)
        return super().__call__(body)


@pytest.fixture
def script() -> _Blocking:
    return _Blocking()


@pytest.fixture
def upstream(script: _Blocking) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(script) as srv:
        yield srv
        script.release.set()


def _iza(home: Path, db_url: str, base: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZA_")}
    env.update(IZA_HOME=str(home), IZA_DATABASE_URL=db_url, IZA_OPENAI_COMPAT_BASE_URL=base,
               IZA_LLM_MAX_RETRIES="0")
    return subprocess.Popen([sys.executable, "-m", "iza", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_kill_9_mid_call_then_resume(home: Path, db_url: str, store: Store, upstream: FakeOpenAI,
                                     script: _Blocking) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text(json.dumps({"compat:*": [1.0, 2.0]}))
    base = upstream.base_url + "/v1"
    proc = _iza(home, db_url, base, "missions", "run", "Build a todo app", "--service", "instant-app")
    try:
        assert script.blocked.wait(120), proc.stderr.read() if proc.stderr else ""
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None and not script.blocked.is_set():
            proc.kill()
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    [mission] = list_missions(store)
    mid = mission["id"]
    before = mission_view(store, mid)
    assert before["state"] == "running" and before["mode"] == "llm"
    done_before = {t["id"]: t for t in before["tasks"] if t["state"] == "done"}
    assert [t["title"] for t in done_before.values() if t["kind"] == "work"] == ["Frontend"]

    script.release.set()
    resume = _iza(home, db_url, base, "missions", "resume", mid, "--json")
    out, err = resume.communicate(timeout=180)
    assert resume.returncode == 0, err
    after = json.loads(out)
    assert after["state"] == "completed" and after["mode"] == "llm"
    tasks = {t["id"]: t for t in after["tasks"]}
    for tid, task in done_before.items():  # completed tasks were not run again
        assert tasks[tid]["attempts"] == task["attempts"]
    # only the call in flight at the kill was asked twice; every answered turn was replayed
    assert script.seen == CLEAN_RUN_CALLS + 1
    # (its re-ask differs from the first only by the re-run tool's observation)
    assert all(n == 1 for n in script.asked.values())
    backend = [k for k in script.asked if k.startswith("work|Work item: Backend|")]
    assert len(backend) == 3  # turn 0 once (replayed on resume), turn 1 twice
    with store.read() as session:
        rows = list(session.scalars(sa.select(CallRow).where(CallRow.mission == mid)))
    # the killed call never reached the journal: one row per answered call, cost counted once
    assert len(rows) == CLEAN_RUN_CALLS and all(r.status == "ok" for r in rows)
    assert after["cost_micros"] == sum(r.cost_nanos for r in rows) // 1000 == CLEAN_RUN_CALLS * 2000
