"""The deterministic service matcher and the worker-choice rule."""

from __future__ import annotations

import pytest

from iza.agents import WorkerLoad, choose, load_definitions, match_service
from iza.errors import InputError

_, CATALOG = load_definitions(None)


@pytest.mark.parametrize(("request_text", "service"), [
    ("Build a todo app with AI reminders", "instant-app"),
    ("We need a support chatbot for our FAQ", "ai-chatbot"),
    ("Automate our invoice workflow with n8n", "workflow-automation"),
    ("Set up a knowledge base for our documents", "knowledge-base"),
    ("Monthly retainer for maintenance", "monthly-retainer"),
    ("Write three blog articles", "content-writing"),
])
def test_matcher_picks_the_service(request_text: str, service: str) -> None:
    match = match_service(request_text, CATALOG)
    assert match.service.id == service
    assert match.matched and "matched keywords" in match.reason
    assert match_service(request_text, CATALOG) == match


def test_explicit_service_and_no_match() -> None:
    assert match_service("anything", CATALOG, "seo-audit").reason == "chosen explicitly with --service"
    with pytest.raises(InputError, match="no catalog service matches"):
        match_service("qwerty zxcv", CATALOG)


def _w(agent_id: str, **kw: object) -> WorkerLoad:
    return WorkerLoad(agent_id, frozenset({"frontend"}), **kw)  # type: ignore[arg-type]


def test_choose_prefers_free_fast_reliable_workers() -> None:
    busy = _w("a", capacity=1, running=1, queued=1, backlog_units=2)
    free = _w("b", capacity=1)
    assert choose("frontend", [busy, free]).agent_id == "b"  # type: ignore[union-attr]
    slow = _w("a", capacity=2, latency=3.0)
    fast = _w("b", capacity=2, latency=1.0)
    assert choose("frontend", [slow, fast]).agent_id == "b"  # type: ignore[union-attr]
    flaky = _w("a", capacity=2, success_rate=0.4)
    steady = _w("b", capacity=2, success_rate=0.95)
    decision = choose("frontend", [flaky, steady])
    assert decision is not None and decision.agent_id == "b"
    assert "success 95%" in decision.reason and "best of 2" in decision.reason


def test_back_pressure_and_skill_filter() -> None:
    full = _w("a", capacity=1, running=1, queued=2, backlog_units=3)
    assert choose("frontend", [full], max_queue=2) is None
    assert choose("frontend", [full], max_queue=3) is not None
    assert choose("backend", [_w("b", capacity=3)]) is None


def test_ties_break_deterministically() -> None:
    workers = [_w("c", capacity=2), _w("a", capacity=2), _w("b", capacity=2)]
    assert choose("frontend", workers).agent_id == "a"  # type: ignore[union-attr]


def test_slow_free_worker_does_not_take_the_last_task() -> None:
    from iza.agents._balancer import priority

    fast_busy = _w("fast", capacity=1, running=1, backlog_units=1.0, latency=0.4)
    slow_free = _w("slow", capacity=1, latency=2.5)
    # nothing else waiting: the slow worker would finish last, the fast one sooner → wait
    assert choose("frontend", [fast_busy, slow_free], units=3.0, max_queue=0) is None
    # plenty of work still waiting: the slow worker's slot is worth using now
    decision = choose("frontend", [fast_busy, slow_free], units=3.0, max_queue=0, waiting_units=50.0)
    assert decision is not None and decision.agent_id == "slow"
    # service order: larger first, but waiting long enough always wins (no starvation)
    assert priority(5.0, 0.0) > priority(1.0, 0.0)
    assert priority(1.0, 10.0) > priority(5.0, 0.0)
    assert priority(1.0, 0.0, exploring=True) > priority(5.0, 0.0, exploring=True)
