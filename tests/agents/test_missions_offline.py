"""Offline-playbook missions end to end on SQLite and PostgreSQL: no model anywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iza.agents import (
    MissionStateError,
    ModelRequired,
    Workforce,
    cancel_mission,
    create_mission,
    decide_approval,
    list_missions,
    mission_namespace,
    mission_view,
    otel_export,
    run_mission,
    timeline,
)
from iza.kernel.events import recent
from iza.kernel.store import Store

MakeWf = Callable[..., Workforce]


def test_instant_app_runs_from_the_playbook(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    mid = create_mission(wf, "Build a todo app for my bakery")
    view = run_mission(wf, mid)
    assert view["state"] == "completed" and view["mode"] == "offline-playbook"
    assert view["service"] == "instant-app" and "app" in view["match_reason"]
    assert view["cost_micros"] == 0 and view["tokens_in"] == 0
    tiers = {t["tier"] for t in view["tasks"]}
    assert tiers == {"strategist", "manager", "worker"}
    assert all(t["state"] == "done" and t["attempts"] == 1 for t in view["tasks"])
    work = [t for t in view["tasks"] if t["kind"] == "work"]
    assert len(work) == 7 and all(t["agent"] for t in work)
    # every work item records who got it and why
    assigned = {a["task"]: a for a in view["assignments"]}
    assert set(assigned) == {t["id"] for t in work}
    assert all("expected finish" in a["reason"] for a in assigned.values())
    # deliverables exist in the mission workspace, filled from the request
    spec = Path(view["workspace"]) / "SPEC.md"
    assert "Build a todo app for my bakery" in spec.read_text()
    assert view["result"]["mode"] == "offline-playbook"
    assert "SPEC.md" in view["result"]["deliverables"]
    # results are stored with provenance in the mission's namespace
    hits = wf.memory.search(mission_namespace(mid), "write the app specification done")
    assert hits and hits[0].mission_id == mid and hits[0].task_id and hits[0].agent_id
    assert wf.memory.inbox("mgr-sales", mid)
    names = [e.name for e in recent(store, 20)]
    assert "mission.created" in names and "mission.completed" in names
    assert list_missions(store)[0]["mode"] == "offline-playbook"


def test_service_that_needs_a_model_is_refused(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    with pytest.raises(ModelRequired, match="needs a language model") as info:
        create_mission(wf, "Write a blog article about sourdough")
    assert "instant-app" in (info.value.fix or "")
    assert list_missions(store) == []


def test_explicit_service_overrides_the_matcher(make_wf: MakeWf) -> None:
    wf = make_wf()
    mid = create_mission(wf, "Build a todo app", "seo-audit")
    view = run_mission(wf, mid)
    assert view["service"] == "seo-audit" and view["state"] == "completed"
    assert view["match_reason"] == "chosen explicitly with --service"


def test_approval_pauses_then_approve_finishes(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    mid = create_mission(wf, "monthly retainer for our shop")
    view = run_mission(wf, mid)
    assert view["state"] == "awaiting_approval"
    waiting = [t for t in view["tasks"] if t["state"] == "awaiting_approval"]
    assert [t["title"] for t in waiting] == ["Send the client update"]
    assert not wf.memory.inbox("client", mid)  # nothing sent before approval
    with pytest.raises(MissionStateError, match="waiting for approval"):
        run_mission(wf, mid)
    done_before = {t["id"] for t in view["tasks"] if t["state"] == "done"}
    decide_approval(store, mid, True, "ok by Sam")
    view = run_mission(wf, mid)
    assert view["state"] == "completed"
    assert all(t["attempts"] == 1 for t in view["tasks"] if t["id"] in done_before)
    assert [m.body for m in wf.memory.inbox("client", mid)]
    sent = next(t for t in view["tasks"] if t["title"] == "Send the client update")
    assert sent["approval"] == "approved: ok by Sam"
    assert "mission.awaiting_approval" in [e.name for e in recent(store, 30)]


def test_reject_ends_the_mission(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    mid = create_mission(wf, "monthly retainer for our shop")
    run_mission(wf, mid)
    decide_approval(store, mid, False, "not this month")
    view = mission_view(store, mid)
    assert view["state"] == "rejected" and "not this month" in view["error"]
    assert not wf.memory.inbox("client", mid)
    with pytest.raises(MissionStateError):
        run_mission(wf, mid)


def test_cancel(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    mid = create_mission(wf, "set up a knowledge base for our docs")
    cancel_mission(store, mid)
    assert mission_view(store, mid)["state"] == "cancelled"
    with pytest.raises(MissionStateError):
        run_mission(wf, mid)
    with pytest.raises(MissionStateError):
        cancel_mission(store, mid)


def test_failing_playbook_tool_fails_the_mission_with_the_reason(
    make_wf: MakeWf, store: Store, settings: Any
) -> None:
    # A user playbook step that fetches from a host not on the allowlist.
    import json

    (settings.home / "agents").mkdir(parents=True, exist_ok=True)
    (settings.home / "agents" / "service_catalog.json").write_text(json.dumps({"services": [{
        "id": "site-check", "name": "Site check", "description": "Fetch the site.",
        "keywords": ["site check"], "strategist": "str-delivery", "managers": ["mgr-ops"],
        "price_minor": 0, "currency": "USD", "playbook": [{"objective": "Fetch", "manager": "mgr-ops",
            "steps": [{"id": "get", "title": "Fetch home page", "skill": "monitoring", "tool": "http_get",
                       "args": {"url": "http://example.invalid/"}}]}]}]}))
    wf = make_wf(max_attempts=2)
    mid = create_mission(wf, "site check please")
    view = run_mission(wf, mid)
    assert view["state"] == "failed"
    assert "not on the HTTP allowlist" in view["error"]
    task = next(t for t in view["tasks"] if t["kind"] == "work")
    assert task["state"] == "failed" and task["attempts"] == 2
    assert [t["state"] for t in view["tasks"] if t["kind"] == "synthesis"] == ["skipped"]
    assert "mission.failed" in [e.name for e in recent(store, 10)]


def test_wall_clock_limit(settings: Any, store: Store) -> None:
    from datetime import timedelta

    from iza.agents import Limits
    from iza.kernel.store import utcnow

    later = Workforce.from_settings(settings, store, limits=Limits(wall_clock_seconds=60),
                                    clock=lambda: utcnow() + timedelta(seconds=61))
    mid = create_mission(later, "Build a todo app")
    view = run_mission(later, mid)
    assert view["state"] == "failed" and view["error"].startswith("wall_clock_seconds:")


def test_trace_timeline_and_otel(make_wf: MakeWf, store: Store) -> None:
    wf = make_wf()
    mid = create_mission(wf, "Build a todo app")
    run_mission(wf, mid)
    spans = timeline(store, mid)
    kinds = {s["kind"] for s in spans}
    assert kinds == {"agent", "tool"}
    assert all(s["duration_ms"] >= 0 for s in spans)
    otel = otel_export(store, mid)
    out = otel["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(out) == len(spans) + 1
    ids = {s["spanId"] for s in out}
    assert len({s["traceId"] for s in out}) == 1 and len(out[0]["traceId"]) == 32
    assert all(s["parentSpanId"] in ids for s in out[1:])  # a connected tree
    assert all(int(s["endTimeUnixNano"]) >= int(s["startTimeUnixNano"]) for s in out)
    assert otel_export(store, mid) == otel


def test_load_spreads_across_missions_and_paused_missions_hold_no_capacity(
    make_wf: MakeWf, store: Store
) -> None:
    # Bypasses run_mission on purpose: a mission frozen right after its first delegation is
    # the state a concurrent runner would be in, which a sequential test cannot reach otherwise.
    import sqlalchemy as sa

    from iza.agents._assign import load_snapshot
    from iza.agents._missions import get_mission
    from iza.agents._models import MissionRow
    from iza.agents._runner import Run

    wf = make_wf(max_queue=0)
    busy = create_mission(wf, "Build a todo app")
    with store.transaction() as session:
        session.execute(sa.update(MissionRow).where(MissionRow.id == busy).values(state="running"))
    run = Run(wf, get_mission(store, busy))
    objective = next(t for t in run.children(run.reload(f"{busy}.0")) if t.kind == "objective")
    run.delegate(objective)
    requirements = wf.roster.with_skill("requirements", "memory_add")
    assert sum(w.queued for w in load_snapshot(store, requirements)) == 2
    # a second mission sees that load and delegates around it
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed"
    first = {a["task"].split(".", 1)[1]: a["agent"] for a in mission_view(store, busy)["assignments"]}
    second = {a["task"].split(".", 1)[1]: a["agent"] for a in view["assignments"]}
    assert (second["2"], second["3"]) != (first["2"], first["3"])
    # once the first mission pauses, its queued items no longer hold capacity
    with store.transaction() as session:
        session.execute(sa.update(MissionRow).where(MissionRow.id == busy)
                        .values(state="awaiting_approval"))
    assert sum(w.queued for w in load_snapshot(store, requirements)) == 0


def test_new_workers_are_tried_not_starved(make_wf: MakeWf, store: Store) -> None:
    from iza.agents._assign import load_snapshot

    wf = make_wf()
    assert run_mission(wf, create_mission(wf, "Build a todo app"))["state"] == "completed"
    writers = wf.roster.with_skill("testing", "write_file")
    loads = load_snapshot(store, writers)
    used = {a["agent"] for m in list_missions(store) for a in mission_view(store, m["id"])["assignments"]}
    tried = [w for w in loads if w.agent_id in used]
    untried = [w for w in loads if w.agent_id not in used]
    assert tried and untried
    # no history: assumed as fast as the peers that have one, not the 1 s/unit prior
    peer_mean = sum(w.latency for w in tried) / len(tried)
    assert all(abs(w.latency - peer_mean) < 1e-9 for w in untried)
    assert peer_mean < 1.0
