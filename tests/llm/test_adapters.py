"""The shared adapter suite: every provider family, through its real SDK, against its fake
upstream on loopback, including the fault cases. Assertions cover the router's behaviour, the
cost computed from reported usage and the journal rows."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from iza.llm import (
    LLM,
    CallContext,
    Message,
    ProviderError,
    ProviderNotConfigured,
    ProviderUnavailable,
    StreamTruncated,
    StructuredOutputError,
    Tool,
)
from iza.llm._journal import CallRow
from iza.llm.fakeservers import Fault, Reply

LOOKUP = Tool(
    "lookup",
    "Look a word up",
    {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
)


def rows(store):
    with store.read() as s:
        return list(s.scalars(sa.select(CallRow).order_by(CallRow.id)))


def make(upstream, store, sleeps, **extra):
    return LLM(upstream.settings(**extra), store=store, sleep=sleeps, clock=sleeps.clock, seed=1)


def test_plain_chat_cost_and_journal(upstream, llm_store, sleeps):
    upstream.server.script = lambda body: Reply("hello back", input_tokens=1200, output_tokens=300)
    llm = make(upstream, llm_store, sleeps)
    r = llm.chat(
        [Message.system("be brief"), Message.user("hello")],
        model=upstream.model,
        context=CallContext(agent="a1", mission="m1", order="o1", workflow_run="w1"),
    )
    assert r.content == "hello back"
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.estimated) == (1200, 300, False)
    provider, model = upstream.model.split(":")
    assert (r.provider, r.model) == (provider, model)
    price = llm.prices.lookup(provider, model)
    assert price is not None
    assert r.cost_usd == pytest.approx((1200 * price[0] + 300 * price[1]) / 1e6)
    [row] = rows(llm_store)
    assert (row.status, row.provider, row.model, row.input_tokens, row.output_tokens) == (
        "ok",
        provider,
        model,
        1200,
        300,
    )
    assert row.cost_nanos == round((1200 * price[0] + 300 * price[1]) * 1000)
    assert (row.agent, row.mission, row.order_ref, row.workflow_run) == ("a1", "m1", "o1", "w1")
    assert row.request_hash == r.request_hash and len(row.request_hash) == 64
    assert row.attempts == 1
    # the system prompt travelled in the vendor's own place, not as a user turn
    body = upstream.server.requests[-1].body
    text = json.dumps(body)
    assert "be brief" in text
    if upstream.family == "anthropic":
        assert body["system"] == "be brief"
    if upstream.family == "google":
        assert all(c["role"] != "system" for c in body["contents"])


def test_tool_call_round_trip(upstream, llm_store, sleeps):
    def script(body):
        if "looked-up" in json.dumps(body):
            return Reply("the word means hello")
        return Reply("", [("lookup", {"word": "hola"})])

    upstream.server.script = script
    llm = make(upstream, llm_store, sleeps)
    msgs = [Message.user("what is hola?")]
    first = llm.chat(msgs, model=upstream.model, tools=[LOOKUP])
    assert [(c.name, c.arguments) for c in first.tool_calls] == [("lookup", {"word": "hola"})]
    assert first.finish_reason == "tool_calls"
    call = first.tool_calls[0]
    msgs += [first.message(), Message.tool(call.id, "looked-up: hello", name="lookup")]
    second = llm.chat(msgs, model=upstream.model, tools=[LOOKUP])
    assert (second.content, second.finish_reason) == ("the word means hello", "stop")
    assert not second.tool_calls
    wire = json.dumps(upstream.server.requests[-1].body)
    assert "lookup" in wire and "looked-up: hello" in wire


def test_streaming_deltas_and_usage(upstream, llm_store, sleeps):
    upstream.server.script = lambda body: Reply("one two three four", input_tokens=50, output_tokens=4)
    llm = make(upstream, llm_store, sleeps)
    events = list(llm.stream("count", model=upstream.model))
    deltas = [e.delta for e in events if e.delta]
    final = events[-1].result
    assert final is not None and "".join(deltas) == "one two three four" == final.content
    assert len(deltas) == 4
    assert (final.usage.input_tokens, final.usage.output_tokens) == (50, 4)
    assert rows(llm_store)[-1].status == "ok"


def test_structured_output_with_one_repair(upstream, llm_store, sleeps):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    answers = iter(["not json at all", '{"n": 7}'])
    upstream.server.script = lambda body: Reply(next(answers))
    llm = make(upstream, llm_store, sleeps)
    r = llm.chat("give n", model=upstream.model, response_schema=schema)
    assert r.parsed == {"n": 7}
    assert [row.status for row in rows(llm_store)] == ["ok", "ok"]
    assert "did not match" in json.dumps(upstream.server.requests[-1].body)


def test_structured_output_fails_after_one_repair(upstream, llm_store, sleeps):
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    upstream.server.script = lambda body: Reply('{"n": "seven"}')
    llm = make(upstream, llm_store, sleeps)
    with pytest.raises(StructuredOutputError, match=r"\$\.n: expected integer"):
        llm.chat("give n", model=upstream.model, response_schema=schema)
    assert len(upstream.server.requests) == 2


def test_429_honours_retry_after(upstream, llm_store, sleeps):
    upstream.server.faults.append(Fault.http(429, retry_after=2))
    llm = make(upstream, llm_store, sleeps)
    r = llm.chat("hi", model=upstream.model)
    assert r.content == "echo: hi"
    assert len(upstream.server.requests) == 2
    assert sleeps.calls and max(sleeps.calls) >= 2.0
    assert rows(llm_store)[-1].attempts == 2


@pytest.mark.parametrize(
    "fault",
    [Fault.http(500), Fault.http(503), Fault.timeout(1.5), Fault.malformed()],
    ids=["500", "503", "timeout", "malformed"],
)
def test_retryable_faults_are_retried(upstream, llm_store, sleeps, fault):
    upstream.server.faults.append(fault)
    llm = make(upstream, llm_store, sleeps)
    r = llm.chat("hi", model=upstream.model)
    assert r.content == "echo: hi"
    assert len(upstream.server.requests) == 2
    assert rows(llm_store)[-1].attempts == 2


def test_bad_request_is_not_retried(upstream, llm_store, sleeps):
    upstream.server.faults.append(Fault.http(400))
    llm = make(upstream, llm_store, sleeps)
    with pytest.raises(ProviderError) as info:
        llm.chat("hi", model=upstream.model)
    assert info.value.status == 400 and not info.value.retryable
    assert len(upstream.server.requests) == 1
    row = rows(llm_store)[-1]
    assert row.status == "error" and "400" in (row.error or "")


def test_retries_are_bounded(upstream, llm_store, sleeps):
    upstream.server.faults.extend([Fault.http(503)] * 10)
    llm = make(upstream, llm_store, sleeps, IZA_LLM_MAX_RETRIES="2")
    with pytest.raises(ProviderUnavailable):
        llm.chat("hi", model=upstream.model)
    assert len(upstream.server.requests) == 3
    assert rows(llm_store)[-1].attempts == 3


def test_truncated_stream_is_an_error_not_an_answer(upstream, llm_store, sleeps):
    upstream.server.script = lambda body: Reply("alpha beta gamma")
    upstream.server.faults.append(Fault.truncate())
    llm = make(upstream, llm_store, sleeps)
    with pytest.raises(StreamTruncated):
        list(llm.stream("go", model=upstream.model))
    assert rows(llm_store)[-1].status == "error"


def test_wrong_usage_is_estimated_and_flagged(upstream, llm_store, sleeps):
    upstream.server.faults.append(Fault.bad_usage())
    upstream.server.script = lambda body: Reply("some answer words here")
    llm = make(upstream, llm_store, sleeps)
    r = llm.chat("a question of some length", model=upstream.model)
    assert r.usage.estimated and r.usage.input_tokens > 0 and r.usage.output_tokens > 0
    row = rows(llm_store)[-1]
    assert row.usage_estimated and row.input_tokens == r.usage.input_tokens


def test_embeddings(upstream, llm_store, sleeps):
    llm = make(upstream, llm_store, sleeps)
    if upstream.family == "anthropic":
        with pytest.raises(ProviderNotConfigured, match="embeddings"):
            llm.embed(["a"])
        return
    r = llm.embed(["hello", "a longer text"], context=CallContext(agent="indexer"))
    assert len(r.vectors) == 2
    assert r.vectors[0][0] == 5.0 and r.vectors[1][0] == 13.0  # the fake encodes each text's length
    assert r.provider == upstream.family
    row = rows(llm_store)[-1]
    assert (row.status, row.agent, row.input_tokens) == ("ok", "indexer", r.usage.input_tokens)
    assert row.response["vectors"][1][0] == 13.0


def test_embedding_retries_stay_on_one_model(upstream, llm_store, sleeps):
    if upstream.family == "anthropic":
        return
    upstream.server.faults.append(Fault.http(503))
    r = make(upstream, llm_store, sleeps).embed(["x"])
    assert len(r.vectors) == 1 and len(upstream.server.requests) == 2
    assert len({s.path for s in upstream.server.requests}) == 1


def test_stream_cut_before_any_text_is_retried(upstream, llm_store, sleeps):
    upstream.server.script = lambda body: Reply("", [("lookup", {"word": "x"})])
    upstream.server.faults.append(Fault.truncate())
    llm = make(upstream, llm_store, sleeps)
    events = list(llm.stream("go", model=upstream.model, tools=[LOOKUP]))
    final = events[-1].result
    assert final is not None and [c.name for c in final.tool_calls] == ["lookup"]
    assert len(upstream.server.requests) == 2
    assert rows(llm_store)[-1].attempts == 2


def test_per_call_timeout_overrides_the_setting(upstream, llm_store, sleeps):
    upstream.server.faults.append(Fault.timeout(0.4))
    llm = make(upstream, llm_store, sleeps, IZA_LLM_TIMEOUT_S="5")
    r = llm.chat("hi", model=upstream.model, timeout=0.1)
    assert r.content == "echo: hi" and rows(llm_store)[-1].attempts == 2
