"""Budgets refuse before sending; the journal replays a run with no network; the cache; usage.

These run on SQLite and PostgreSQL (the ``store`` fixture) against the OpenAI fake upstream."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.llm import (
    LLM,
    BudgetExceeded,
    CallContext,
    FakeProvider,
    Message,
    ProviderNotConfigured,
    Replay,
    ReplayMiss,
    Tool,
    set_budget,
)
from iza.llm._journal import CallRow, usage_report
from iza.llm._writer import flush_journal
from iza.llm.fakeservers import FakeOpenAI, Reply

MODEL = "openai:gpt-4.1"  # $2 / $8 per million tokens


@pytest.fixture
def server():
    with FakeOpenAI(lambda body: Reply("fine", input_tokens=1000, output_tokens=100)) as s:
        yield s


def settings_for(tmp_path, server=None, **env):
    if server is not None:
        env = {"OPENAI_API_KEY": "sk", "OPENAI_BASE_URL": server.sdk_base_url, **env}
    s = load(tmp_path / "home", environ=env)
    ensure_home(s)
    return s


def statuses(store):
    with store.read() as s:
        return [r.status for r in s.scalars(sa.select(CallRow).order_by(CallRow.id))]


@pytest.mark.parametrize("journal_async", ["0", "1"], ids=["sync-journal", "async-journal"])
def test_budget_refuses_before_sending(tmp_path, store, server, journal_async):
    llm = LLM(settings_for(tmp_path, server, IZA_LLM_JOURNAL_ASYNC=journal_async), store=store)
    ctx = CallContext(agent="writer", mission="m1")
    # each call costs 1000*2 + 100*8 = 2800 micro-dollars (2.8e6 nano); the estimate assumes 50 output tokens
    set_budget(store, "mission", "m1", 0.006)
    llm.chat("a", model=MODEL, context=ctx, max_tokens=50)
    llm.chat("b", model=MODEL, context=ctx, max_tokens=50)
    sent = len(server.requests)
    with pytest.raises(BudgetExceeded) as info:
        llm.chat("c", model=MODEL, context=ctx, max_tokens=50)
    assert len(server.requests) == sent  # nothing went out
    err = info.value
    assert (err.scope, err.key) == ("mission", "m1")
    assert err.spent_usd == pytest.approx(0.0056)
    assert "mission 'm1'" in err.message and err.fix
    flush_journal(store)
    assert statuses(store) == ["ok", "ok", "refused"]
    # other missions are not affected
    assert llm.chat("d", model=MODEL, context=CallContext(mission="m2"), max_tokens=50).content == "fine"


def test_budgets_nest_agent_inside_mission_inside_global(tmp_path, store, server):
    llm = LLM(settings_for(tmp_path, server, IZA_LLM_BUDGET_USD="0.00285"), store=store)
    set_budget(store, "mission", "m1", 1.0)
    set_budget(store, "agent", "cheap-agent", 0.00005)  # estimate is 90 micro-dollars
    with pytest.raises(BudgetExceeded) as agent_refusal:
        llm.chat("a", model=MODEL, context=CallContext(agent="cheap-agent", mission="m1"), max_tokens=10)
    assert agent_refusal.value.scope == "agent"
    llm.chat("b", model=MODEL, context=CallContext(agent="other", mission="m1"), max_tokens=10)
    with pytest.raises(BudgetExceeded) as global_refusal:
        llm.chat("c", model=MODEL, context=CallContext(agent="other", mission="m1"), max_tokens=10)
    assert global_refusal.value.scope == "global"
    assert len(server.requests) == 1


def test_usage_is_counted_once_per_call(tmp_path, store, server):
    llm = LLM(settings_for(tmp_path, server), store=store)
    for agent in ("a1", "a2", "a1"):
        llm.chat(agent, model=MODEL, context=CallContext(agent=agent, mission="m"))
    by_agent = {r["agent"]: r for r in usage_report(store, "agent")}
    assert by_agent["a1"]["calls"] == 2 and by_agent["a2"]["calls"] == 1
    assert by_agent["a1"]["cost_usd"] == pytest.approx(2 * 0.0028)
    [model_row] = usage_report(store, "model")
    assert model_row["model"] == MODEL and model_row["input_tokens"] == 3000
    [day] = usage_report(store, "day")
    assert day["calls"] == 3 and day["cost_usd"] == pytest.approx(3 * 0.0028)


def run_mission(llm, ctx):
    """A small agent run: a tool call, its result, a final structured answer."""
    tool = Tool("lookup", "Look up", {"type": "object", "properties": {"q": {"type": "string"}}})
    msgs = [Message.system("agent"), Message.user("find the total")]
    first = llm.chat(msgs, model=MODEL, tools=[tool], context=ctx)
    msgs += [first.message(), Message.tool(first.tool_calls[0].id, "total=12", name="lookup")]
    second = llm.chat(
        msgs,
        model=MODEL,
        tools=[tool],
        context=ctx,
        response_schema={"type": "object", "required": ["total"]},
    )
    vectors = llm.embed(["total=12"], context=ctx).vectors
    return first, second, vectors


def test_replay_answers_a_recorded_run_without_network(tmp_path, store):
    def script(body):
        text = json.dumps(body)
        if "total=12" in text:
            return Reply('{"total": 12}')
        return Reply("", [("lookup", {"q": "total"})])

    ctx = CallContext(agent="a", mission="m-rec")
    with FakeOpenAI(script) as server:
        recorded = run_mission(LLM(settings_for(tmp_path, server), store=store), ctx)
    # no server, and no provider configured at all: only the journal can answer
    offline = settings_for(tmp_path)
    with pytest.raises(ProviderNotConfigured):
        LLM(offline, store=store).chat("find the total", model=MODEL)
    replayer = LLM(offline, store=store, replay=Replay(store, mission="m-rec"))
    replayed = run_mission(replayer, ctx)
    assert [r.content for r in replayed[:2]] == [r.content for r in recorded[:2]]
    assert replayed[2] == recorded[2] and len(replayed[2][0]) == 8
    assert replayed[0].tool_calls == recorded[0].tool_calls
    assert replayed[1].parsed == {"total": 12}
    assert {r.source for r in replayed[:2]} == {"replayed"}
    assert statuses(store)[-3:] == ["replayed", "replayed", "replayed"]
    with pytest.raises(ReplayMiss):
        replayer.chat("a different question", model=MODEL, context=ctx)


def test_cache_is_opt_in_and_exact_match(tmp_path, store, server):
    llm = LLM(settings_for(tmp_path, server), store=store)
    llm.chat("same", model=MODEL)
    llm.chat("same", model=MODEL)
    assert len(server.requests) == 2  # off by default
    hit = llm.chat("same", model=MODEL, cache_ttl_s=60)
    assert (hit.source, hit.content, len(server.requests)) == ("cached", "fine", 2)
    llm.chat("different", model=MODEL, cache_ttl_s=60)
    assert len(server.requests) == 3
    with store.read() as s:
        cached = s.scalars(sa.select(CallRow).where(CallRow.status == "cached")).one()
    assert cached.cost_nanos == 0


@pytest.mark.parametrize("journal_async", ["0", "1"], ids=["sync-journal", "async-journal"])
def test_concurrent_calls_cannot_all_squeeze_under_one_budget(tmp_path, store, journal_async):
    import threading

    release = threading.Event()
    inside: list[int] = []

    def slow(msgs):
        inside.append(1)
        release.wait(10)
        return "ok"

    # injected under a priced vendor name so estimates cost money; no network is involved
    llm = LLM(
        settings_for(tmp_path, IZA_LLM_JOURNAL_ASYNC=journal_async),
        store=store,
        providers=[FakeProvider(slow, name="openai")],
    )
    # one call is estimated at (5 * $2 + 100 * $8) per million = $0.00081; room for three
    set_budget(store, "mission", "busy", 0.0025)
    refused: list[BudgetExceeded] = []
    done: list[str] = []

    def call():
        try:
            done.append(
                llm.chat("q", model=MODEL, max_tokens=100, context=CallContext(mission="busy")).content
            )
        except BudgetExceeded as exc:
            refused.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(1000):  # wait (bounded) until every thread is either refused or inside the provider
        if len(refused) + len(inside) == 8:
            break
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join(10)
    assert (len(done), len(refused)) == (3, 5)
    flush_journal(store)
    assert statuses(store).count("refused") == 5


def test_async_journal_counts_every_call_under_concurrency(tmp_path, store):
    from concurrent.futures import ThreadPoolExecutor

    llm = LLM(
        settings_for(tmp_path, IZA_LLM_JOURNAL_ASYNC="1"),
        store=store,
        providers=[FakeProvider(lambda m: "ok", name="openai")],
    )
    with ThreadPoolExecutor(16) as pool:
        results = list(
            pool.map(
                lambda i: llm.chat(f"q{i}", model=MODEL, context=CallContext(agent=f"a{i % 4}")), range(200)
            )
        )
    by_agent = usage_report(store, "agent")  # reads flush the queue first
    assert sum(r["calls"] for r in by_agent) == 200 and len(by_agent) == 4
    assert sum(r["cost_usd"] for r in by_agent) == pytest.approx(sum(r.cost_usd for r in results))
