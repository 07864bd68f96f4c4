"""Router behaviour across deployments: fallback, breaker, strategies and rate limits.

Two vendors' fake upstreams (real SDKs) for fallback and the breaker; scripted FakeProviders
where the test needs to hold a call in flight or control latency."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.llm import LLM, FakeProvider, ProviderUnavailable
from iza.llm._journal import CallRow
from iza.llm._limits import state_for
from iza.llm.fakeservers import FakeAnthropic, FakeOpenAI, Fault


@pytest.fixture
def duo(tmp_path):
    a, b = FakeOpenAI().start(), FakeAnthropic().start()
    env = {"OPENAI_API_KEY": "sk", "OPENAI_BASE_URL": a.sdk_base_url, "ANTHROPIC_API_KEY": "ak",
           "ANTHROPIC_BASE_URL": b.sdk_base_url, "IZA_LLM_TIMEOUT_S": "0.5",
           "IZA_LLM_ALIASES": "duo=openai:gpt-4.1-mini,anthropic:claude-haiku-4-5"}
    settings = load(tmp_path / "home", environ=env)
    ensure_home(settings)
    yield settings, a, b
    a.stop()
    b.stop()


def test_fallback_to_next_vendor_without_sleeping(duo, llm_store, sleeps):
    settings, a, b = duo
    a.faults.extend([Fault.http(503)] * 5)
    llm = LLM(settings, store=llm_store, sleep=sleeps, clock=sleeps.clock)
    r = llm.chat("hi", model="duo")
    assert (r.provider, r.content) == ("anthropic", "echo: hi")
    assert len(a.requests) == 1 and len(b.requests) == 1
    assert sleeps.calls == []
    with llm_store.read() as s:
        row = s.scalars(sa.select(CallRow)).one()
    assert (row.alias, row.provider, row.attempts) == ("duo", "anthropic", 2)


def test_auth_failure_falls_through_to_next_vendor(duo, llm_store, sleeps):
    settings, a, b = duo
    a.faults.append(Fault.http(401))
    r = LLM(settings, store=llm_store, sleep=sleeps, clock=sleeps.clock).chat("hi", model="duo")
    assert r.provider == "anthropic"


def test_breaker_opens_after_repeated_failures_and_closes_after_cooldown(duo, llm_store, sleeps):
    settings, a, b = duo
    a.faults.extend([Fault.http(500)] * 3)
    llm = LLM(settings, store=llm_store, sleep=sleeps, clock=sleeps.clock)
    for _ in range(3):
        assert llm.chat("hi", model="duo").provider == "anthropic"
    assert len(a.requests) == 3
    # breaker open: the failing deployment is skipped entirely
    assert llm.chat("hi", model="duo").provider == "anthropic"
    assert len(a.requests) == 3
    sleeps.offset += float(settings["llm.cooldown_s"]) + 1
    assert llm.chat("hi", model="duo").provider == "openai"
    assert len(a.requests) == 4


def fake_settings(tmp_path, **env):
    s = load(tmp_path / "home", environ=env)
    ensure_home(s)
    return s


def test_least_busy_avoids_the_deployment_with_a_call_in_flight(tmp_path):
    release = threading.Event()
    started = threading.Event()

    def slow(msgs):
        started.set()
        release.wait(5)
        return "slow"

    a, b = FakeProvider(slow, name="a"), FakeProvider(lambda m: "quick", name="b")
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="pair=a:x,b:y", IZA_LLM_STRATEGY="least-busy")
    llm = LLM(settings, providers=[a, b], journal=False)
    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(llm.chat("1", model="pair").content))
    t.start()
    assert started.wait(5)
    assert llm.chat("2", model="pair").content == "quick"
    release.set()
    t.join(5)
    assert out == ["slow"]


def test_fallback_strategy_keeps_order_even_when_busy(tmp_path):
    a, b = FakeProvider(lambda m: "a", name="a"), FakeProvider(lambda m: "b", name="b")
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="pair=a:x,b:y")
    llm = LLM(settings, providers=[a, b], journal=False)
    assert [llm.chat(str(i), model="pair").content for i in range(3)] == ["a", "a", "a"]


def test_lowest_cost_prefers_the_cheaper_model(tmp_path):
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="mix=openai:gpt-4.1,openai:gpt-4.1-nano",
                             IZA_LLM_STRATEGY="lowest-cost", OPENAI_API_KEY="sk")
    fake = FakeProvider(lambda m: "ok", name="openai")  # injected under the vendor's name: no network
    llm = LLM(settings, providers=[fake], journal=False)
    r = llm.chat("x", model="mix")
    assert r.model == "gpt-4.1-nano"
    assert fake.calls[0][0] == "gpt-4.1-nano"


def test_lowest_latency_learns_from_measured_calls(tmp_path):
    def slow(msgs):
        time.sleep(0.05)
        return "slow"

    a, b = FakeProvider(slow, name="a"), FakeProvider(lambda m: "fast", name="b")
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="pair=a:x,b:y", IZA_LLM_STRATEGY="lowest-latency")
    llm = LLM(settings, providers=[a, b], journal=False)
    picks = [llm.chat(str(i), model="pair").content for i in range(4)]
    assert picks == ["slow", "fast", "fast", "fast"]


def test_rate_limit_sends_overflow_to_the_next_deployment(tmp_path, sleeps):
    a, b = FakeProvider(lambda m: "a", name="a"), FakeProvider(lambda m: "b", name="b")
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="pair=a:x,b:y", IZA_LLM_RATE_LIMITS="a:x=2/0")
    llm = LLM(settings, providers=[a, b], journal=False, sleep=sleeps, clock=sleeps.clock)
    assert [llm.chat(str(i), model="pair").content for i in range(3)] == ["a", "a", "b"]
    sleeps.offset += 61
    assert llm.chat("again", model="pair").content == "a"


def test_rate_limit_is_shared_by_every_llm_in_the_process(tmp_path, sleeps):
    a = FakeProvider(lambda m: "a", name="a")
    settings = fake_settings(tmp_path, IZA_LLM_RATE_LIMITS="a:x=2/0")
    one = LLM(settings, providers=[a], journal=False, sleep=sleeps, clock=sleeps.clock)
    two = LLM(settings, providers=[a], journal=False, sleep=sleeps, clock=sleeps.clock)
    one.chat("1", model="a:x")
    two.chat("2", model="a:x")
    with pytest.raises(ProviderUnavailable, match="rate limited"):
        one.chat("3", model="a:x")


def test_token_limit_counts_estimated_tokens(tmp_path, sleeps):
    a, b = FakeProvider(lambda m: "a", name="a"), FakeProvider(lambda m: "b", name="b")
    settings = fake_settings(tmp_path, IZA_LLM_ALIASES="pair=a:x,b:y", IZA_LLM_RATE_LIMITS="a:x=0/1000")
    llm = LLM(settings, providers=[a, b], journal=False, sleep=sleeps, clock=sleeps.clock)
    assert llm.chat("short", model="pair", max_tokens=600).content == "a"
    assert llm.chat("short", model="pair", max_tokens=600).content == "b"


def test_429s_without_retry_after_lower_the_adaptive_limit(tmp_path, sleeps):
    with FakeOpenAI() as server:
        settings = fake_settings(tmp_path, OPENAI_API_KEY="sk", OPENAI_BASE_URL=server.sdk_base_url,
                                 IZA_LLM_MAX_RETRIES="0")
        llm = LLM(settings, journal=False, sleep=sleeps, clock=sleeps.clock)
        for i in range(6):
            llm.chat(str(i), model="openai:gpt-4.1-mini")
        server.faults.append(Fault.http(429))
        with pytest.raises(Exception, match="429"):
            llm.chat("x", model="openai:gpt-4.1-mini")
        limiter = state_for("openai:gpt-4.1-mini").limiter
        assert limiter.effective_rpm() == 4  # 70% of the 7 requests that drew the 429
        # and the limit now holds: calls beyond it in this minute are refused, not sent
        sent = len(server.requests)
        with pytest.raises(ProviderUnavailable):
            llm.chat("y", model="openai:gpt-4.1-mini")
        assert len(server.requests) == sent
