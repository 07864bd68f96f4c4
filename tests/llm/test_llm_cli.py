"""``iza llm …`` as a user runs it: offline honesty, chat through a fake upstream, usage, prices."""

from __future__ import annotations

import json

import pytest

from iza.cli import main
from iza.llm.fakeservers import FakeOpenAI, Reply


def run(capsys, *args):
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def test_offline_status_says_so_and_how_to_configure(capsys):
    code, out, _ = run(capsys, "llm", "status", "--json")
    st = json.loads(out)
    assert code == 0 and st["configured"] is False and st["mode"] == "offline"
    assert "OPENAI_API_KEY" in st["how_to_configure"]
    code, out, _ = run(capsys, "llm", "status")
    assert "offline" in out and "IZA_OPENAI_COMPAT_BASE_URL" in out


def test_offline_chat_is_refused_with_a_fix(capsys):
    code, out, err = run(capsys, "llm", "chat", "hello", "--json")
    assert code == 2
    assert out == ""
    assert "no LLM provider is configured" in err and "fix:" in err


def test_llm_health_component_reports_offline(capsys):
    code, out, _ = run(capsys, "status", "--json")
    llm = next(c for c in json.loads(out)["components"] if c["name"] == "llm")
    assert llm["status"] == "degraded" and "offline" in llm["detail"]


@pytest.fixture
def online(monkeypatch):
    with FakeOpenAI(lambda body: Reply("pong from the fake", input_tokens=100, output_tokens=4)) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.sdk_base_url)
        yield server


def test_chat_json_shape_then_usage(capsys, online):
    code, out, _ = run(capsys, "llm", "chat", "ping", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"content", "provider", "model", "usage", "cost_usd"}
    assert data["content"] == "pong from the fake"
    assert (data["provider"], data["model"]) == ("openai", "gpt-4.1-mini")
    assert data["usage"] == {"input_tokens": 100, "output_tokens": 4}
    assert data["cost_usd"] == pytest.approx((100 * 0.40 + 4 * 1.60) / 1e6)
    # with only one key set, no further configuration was needed; status agrees
    code, out, _ = run(capsys, "llm", "status", "--json")
    assert json.loads(out)["default_model"] == "openai:gpt-4.1-mini"
    code, out, _ = run(capsys, "llm", "chat", "ping again", "--model", "fast")
    assert code == 0 and out.strip() == "pong from the fake"
    code, out, _ = run(capsys, "llm", "usage", "--by", "model", "--json")
    rows = json.loads(out)["rows"]
    one = (100 * 0.40 + 4 * 1.60) * 1000  # nano-dollars of one call
    assert rows == [{"model": "openai:gpt-4.1-mini", "calls": 2, "failed": 0, "input_tokens": 200,
                     "output_tokens": 8, "cost_nanos": 2 * round(one),
                     "cost_usd": pytest.approx(2 * one / 1e9)}]
    code, out, _ = run(capsys, "llm", "usage", "--by", "agent")
    assert code == 0 and "(none)" in out


def test_unknown_model_is_a_usage_error(capsys, online):
    code, _, err = run(capsys, "llm", "chat", "x", "--model", "no-such-model")
    assert code == 2 and "unknown model 'no-such-model'" in err and "fix:" in err


def test_budget_refusal_from_the_cli(capsys, online):
    assert run(capsys, "llm", "budget", "set", "global", "-", "0.0000001")[0] == 0
    code, out, err = run(capsys, "llm", "chat", "ping", "--json")
    assert code == 2 and "budget" in err and "was not sent" in err
    assert online.requests == []
    code, out, _ = run(capsys, "llm", "budget", "list", "--json")
    assert json.loads(out)["budgets"][0]["scope"] == "global"


def test_prices_json_and_user_override(capsys, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text(json.dumps({"openai:gpt-4.1-mini": [9.0, 99.0]}))
    code, out, _ = run(capsys, "llm", "prices", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["prices"]["openai:gpt-4.1-mini"] == {"input_per_million": 9.0, "output_per_million": 99.0}
    assert data["prices"]["anthropic:claude-sonnet-4-5"]["input_per_million"] == 3.0
    assert data["sources"][-1].endswith("llm_prices.json")


def test_malformed_price_override_is_named(capsys, home):
    home.mkdir(parents=True, exist_ok=True)
    (home / "llm_prices.json").write_text("{not json")
    code, _, err = run(capsys, "llm", "prices")
    assert code == 2 and "llm_prices.json" in err and "fix:" in err


def test_providers_json(capsys, online):
    code, out, _ = run(capsys, "llm", "providers", "--json")
    provs = {p["provider"]: p for p in json.loads(out)["providers"]}
    assert provs["openai"]["configured"] and not provs["anthropic"]["configured"]
    assert "sk-test" not in out


def test_health_and_doctor_when_online(capsys, online):
    assert run(capsys, "llm", "chat", "ping", "--json")[0] == 0
    code, out, _ = run(capsys, "status", "--json")
    llm = next(c for c in json.loads(out)["components"] if c["name"] == "llm")
    assert llm["status"] == "ok" and "openai" in llm["detail"]
    assert llm["metrics"]["counts"]["calls_today"] == 1
    code, out, _ = run(capsys, "doctor", "--json")
    text = json.dumps(json.loads(out))
    assert "llm openai" in text and "sk-test" not in text


def test_doctor_names_a_malformed_alias(capsys, monkeypatch):
    monkeypatch.setenv("IZA_LLM_ALIASES", "fast=openai")
    code, out, _ = run(capsys, "doctor", "--json")
    assert "llm.aliases entry 'fast=openai' is malformed" in out


def test_missing_sdk_is_a_clear_error(capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if the extra were not installed
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ak-missing-sdk")
    code, out, _ = run(capsys, "llm", "providers", "--json")
    anthropic = next(p for p in json.loads(out)["providers"] if p["provider"] == "anthropic")
    assert anthropic["configured"] and not anthropic["sdk_installed"]
    code, _, err = run(capsys, "llm", "chat", "hi")
    assert code == 2 and "pip install 'iza-os[anthropic]'" in err
