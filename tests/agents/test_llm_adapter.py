"""Missions through the real ``iza.llm`` path: `iza missions run --json` with
``IZA_OPENAI_COMPAT_BASE_URL`` pointing at a local fake OpenAI-compatible server.

The OpenAI SDK talks HTTP to the fake; the router, budgets and run journal are iza.llm's own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from iza.agents import Workforce, create_mission, run_mission
from iza.agents._llm_model import LLMChatModel
from iza.cli import main
from iza.kernel.config import load
from iza.kernel.store import Store
from iza.llm._journal import CallRow
from iza.llm.fakeservers import FakeOpenAI
from llm_wire_script import WireScript


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([*args])
        raise SystemExit(0)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


@pytest.fixture
def script() -> WireScript:
    return WireScript(malformed_plan=True)


@pytest.fixture
def server(script: WireScript, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """The fake upstream, configured as iza.llm's OpenAI-compatible provider, priced so costs show."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text(json.dumps({"compat:*": [1.0, 2.0]}))
    with FakeOpenAI(script) as srv:
        monkeypatch.setenv("IZA_OPENAI_COMPAT_BASE_URL", srv.base_url + "/v1")
        monkeypatch.setenv("IZA_LLM_MAX_RETRIES", "0")
        yield srv


def _calls(home: Path) -> list[CallRow]:
    store = Store.from_settings(load(home))
    try:
        with store.read() as session:
            return list(session.scalars(sa.select(CallRow).order_by(CallRow.id)))
    finally:
        store.dispose()


def test_mission_runs_through_iza_llm(capsys: pytest.CaptureFixture[str], server: FakeOpenAI,
                                      script: WireScript, home: Path) -> None:
    code, out, _ = _run(capsys, "missions", "run", "Build a todo app", "--service", "instant-app",
                        "--json")
    view = json.loads(out)
    assert code == 0, view.get("error")
    assert view["state"] == "completed" and view["mode"] == "llm"
    mid = view["id"]
    rows = _calls(home)
    # every call the fake server saw is one journal row of this mission, with who asked
    assert len(rows) == len(server.requests) and {r.mission for r in rows} == {mid}
    assert all(r.status == "ok" and r.provider == "compat" for r in rows)
    by_agent = Counter(r.agent for r in rows)
    tiers = {t["agent"]: t["tier"] for t in view["tasks"] if t["agent"]}
    assert {tiers[a] for a in by_agent} == {"strategist", "manager", "worker"}
    assert by_agent["mgr-apps"] >= 2 and by_agent["mgr-quality"] >= 2
    # the plan was malformed twice: iza.llm repaired once, the workforce's own check once more
    assert script.kinds["plan"] == 3
    # mission cost is the journal's (1000 in × $1/M + 500 out × $2/M = $0.002 a call)
    assert sum(r.cost_nanos for r in rows) == len(rows) * 2_000_000
    assert view["cost_micros"] == len(rows) * 2000
    # the workforce offered tools as functions and the SDK sent them on the wire
    work = [s.body for s in server.requests if s.body.get("tools")]
    assert work and any(t["function"]["name"] == "memory_add" for t in work[0]["tools"])
    code, out, _ = _run(capsys, "llm", "usage", "--by", "mission", "--json")
    assert code == 0 and mid in out


def test_budget_runs_out_mid_mission(capsys: pytest.CaptureFixture[str], server: FakeOpenAI,
                                     home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # each call costs $0.002; iza.llm also holds an estimate before sending, so a 0.02 $ budget
    # lets some calls through and refuses one before the mission is done
    monkeypatch.setenv("IZA_AGENTS_MISSION_BUDGET_MICROS", "20000")
    code, out, _ = _run(capsys, "missions", "run", "Build a todo app", "--service", "instant-app",
                        "--json")
    view = json.loads(out)
    assert code == 1 and view["state"] == "failed"
    assert view["error"].startswith("mission_budget_micros: LLM budget of mission")
    rows = _calls(home)
    refused = [r for r in rows if r.status == "refused"]
    ok = [r for r in rows if r.status == "ok"]
    assert len(refused) == 1 and refused[0].mission == view["id"] and ok
    assert len(server.requests) == len(ok)  # the refused call never reached the provider
    assert sum(r.cost_nanos for r in rows) <= 20_000 * 1000


def test_offline_stays_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "missions", "run", "Build a todo app", "--service", "instant-app",
                        "--json")
    assert code == 0 and json.loads(out)["mode"] == "offline-playbook"


def test_order_is_in_the_call_context(store: Store, home: Path, server: FakeOpenAI) -> None:
    """Direct use on both databases: a mission linked to an order tags every call with it, so
    iza.llm's usage by order has the mission's whole cost."""
    settings = load(home)
    wf = Workforce.from_settings(settings, store)
    assert isinstance(wf.model, LLMChatModel) and wf.mode == "llm"
    mid = create_mission(wf, "Build a todo app", "instant-app", order_id="ord-42")
    view = run_mission(wf, mid)
    assert view["state"] == "completed" and view["order_id"] == "ord-42"
    with store.read() as session:
        orders = set(session.scalars(sa.select(CallRow.order_ref).where(CallRow.mission == mid)))
    assert orders == {"ord-42"}
    seen = len(server.requests)
    from iza.llm import usage

    by_order = {r["order"]: r for r in usage(store, by="order")}
    assert by_order["ord-42"]["calls"] == seen
    assert by_order["ord-42"]["cost_nanos"] == seen * 2_000_000
