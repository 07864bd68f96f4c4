"""Model-driven missions through the ChatModel port, scripted as a function of the request.

Covers: delegation across all three tiers, a looping worker stopped by each limit, a failing
tool reported back to the worker, the budget running out mid-mission, malformed structured
output (recovered and not), the depth limit, approval of a tool call, and resume replaying the
journal instead of calling the model again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from agents_script import kind_of, scripted, standard_answer

from iza.agents import (
    ChatRequest,
    ChatResponse,
    Tool,
    ToolCall,
    ToolRegistry,
    Workforce,
    builtin_tools,
    create_mission,
    decide_approval,
    mission_view,
    run_mission,
    timeline,
)
from iza.agents._ports import ScriptedModel
from iza.kernel.config import Settings
from iza.kernel.events import recent
from iza.kernel.store import Store

MakeWf = Callable[..., Workforce]


def _work_title(req: ChatRequest) -> str:
    return req.messages[1].content.splitlines()[0]


def test_plan_delegates_across_three_tiers(make_wf: MakeWf, store: Store) -> None:
    model = scripted()
    wf = make_wf(model)
    mid = create_mission(wf, "Build a todo app for my bakery")
    view = run_mission(wf, mid)
    assert view["state"] == "completed" and view["mode"] == "llm"
    by_kind: dict[str, list[dict]] = {}
    for t in view["tasks"]:
        by_kind.setdefault(t["kind"], []).append(t)
    assert [t["agent"] for t in by_kind["mission"]] == ["str-product"]
    assert [t["agent"] for t in by_kind["objective"]] == ["mgr-apps", "mgr-quality"]
    workers = {t["title"]: t["agent"] for t in by_kind["work"]}
    assert set(workers) == {"Frontend", "Backend", "Test plan", "Security pass"}
    assert all(a.startswith("wkr-") for a in workers.values())
    # team first: the security pass goes to the quality manager's security reviewer
    assert workers["Security pass"] == "wkr-quality-2"
    assert {t["depth"] for t in by_kind["work"]} == {2}
    assert view["result"] == {"summary": "app built and checked", "deliverables": ["notes"],
                              "mode": "llm"}
    assert view["cost_micros"] == 10 * len(model.calls) and view["tokens_in"] > 0
    # every call names its mission, task and agent; workers were offered only their tools
    for call in model.calls:
        assert call.metadata["mission"] == mid
        if kind_of(call) == "work":
            names = {t["name"] for t in call.tools}
            assert names <= set(wf.roster.get(call.metadata["agent"]).tools)
    plan_prompt = model.calls[0].messages[1].content
    assert "Usual objective: Scope the app (manager mgr-apps" in plan_prompt  # playbook as a guide
    llm_spans = [s for s in timeline(store, mid) if s["kind"] == "llm"]
    assert len(llm_spans) == len(model.calls)
    assert sum(s["attributes"]["iza.cost_micros"] for s in llm_spans) == view["cost_micros"]


def _looping(args_vary: bool) -> ScriptedModel:
    counter = {"n": 0}

    def loop(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and _work_title(req) == "Work item: Backend":
            counter["n"] += 1
            args = {"query": f"status {counter['n']}" if args_vary else "status"}
            return ChatResponse(tool_calls=(ToolCall(f"c{counter['n']}", "memory_search", args),),
                                cost_micros=1)
        return None

    return scripted(loop)


def test_looping_worker_stopped_by_identical_repeats(make_wf: MakeWf) -> None:
    wf = make_wf(_looping(args_vary=False), max_tool_repeats=2, max_steps=10)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "failed" and view["error"].startswith("max_tool_repeats:")
    backend = next(t for t in view["tasks"] if t["title"] == "Backend")
    assert backend["state"] == "failed" and "identical arguments" in backend["error"]
    assert [t["state"] for t in view["tasks"] if t["kind"] == "synthesis"] == ["skipped"]


def test_looping_worker_stopped_by_max_steps(make_wf: MakeWf) -> None:
    model = _looping(args_vary=True)
    wf = make_wf(model, max_steps=4, max_tool_repeats=2)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "failed" and view["error"].startswith("max_steps:")
    backend_calls = [c for c in model.calls if kind_of(c) == "work"
                     and _work_title(c) == "Work item: Backend"]
    assert len(backend_calls) == 4


def test_failing_tool_is_an_observation(settings: Settings, store: Store) -> None:
    def flaky(ctx: object, args: dict) -> object:
        from iza.agents import ToolError

        raise ToolError("the staging server is down")

    tools = ToolRegistry(builtin_tools())
    tools.register(Tool("deploy", "Deploy the build.", {"type": "object", "properties": {
        "env": {"type": "string", "description": "environment"}}, "required": ["env"]},
        frozenset({"publish"}), flaky), replace=True)
    observations: list[str] = []

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and _work_title(req) == "Work item: Frontend":
            tool_msgs = [m for m in req.messages if m.role == "tool"]
            if not tool_msgs:
                return ChatResponse(tool_calls=(ToolCall("d1", "write_file",
                                                         {"path": "../../etc/x", "content": "x"}),))
            observations.append(tool_msgs[-1].content)
            return ChatResponse(content="could not write outside the workspace; reported it")
        return None

    wf = Workforce.from_settings(settings, store, model=scripted(script), tools=tools)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed"
    assert observations and observations[0].startswith("ERROR: write_file:")
    front = next(t for t in view["tasks"] if t["title"] == "Frontend")
    assert front["outputs"]["answer"].startswith("could not write")
    errors = [s for s in timeline(store, view["id"]) if s["kind"] == "tool" and s["status"] == "error"]
    assert errors and "workspace" in errors[0]["attributes"]["iza.tool.error"]


def test_budget_runs_out_mid_mission(make_wf: MakeWf, store: Store) -> None:
    model = ScriptedModel(lambda req: standard_answer(req, cost=100))
    wf = make_wf(model, mission_budget_micros=450)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "failed" and view["error"].startswith("mission_budget_micros:")
    assert len(model.calls) == 5 and view["cost_micros"] == 500
    done = [t for t in view["tasks"] if t["state"] == "done"]
    assert done and any(t["kind"] == "work" for t in done)  # work finished before the money ran out
    assert "mission.failed" in [e.name for e in recent(store, 5)]


def test_malformed_output_is_sent_back_and_recovers(make_wf: MakeWf) -> None:
    seen: list[str] = []

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "plan" and len(req.messages) == 2:
            return ChatResponse(content="Sure! Here is my plan: build it.")
        if kind_of(req) == "plan" and len(req.messages) == 4:
            seen.append(req.messages[-1].content)
            return ChatResponse(content=json.dumps({"objectives": [
                {"title": "Build", "manager": "mgr-nobody", "instructions": "x"}]}))
        if kind_of(req) == "plan":
            seen.append(req.messages[-1].content)
        return None

    wf = make_wf(scripted(script))
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed"
    assert "not valid JSON" in seen[0] and "unknown manager(s) ['mgr-nobody']" in seen[1]


def test_malformed_output_forever_fails_cleanly(make_wf: MakeWf) -> None:
    model = scripted(lambda req: ChatResponse(content="{\"objectives\": 3}")
                     if kind_of(req) == "plan" else None)
    wf = make_wf(model, max_steps=3)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "failed" and "malformed structured output" in view["error"]
    assert len(model.calls) == 3


def test_depth_limit(make_wf: MakeWf) -> None:
    wf = make_wf(scripted(), max_depth=1)
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "failed" and view["error"].startswith("max_depth:")
    assert max(t["depth"] for t in view["tasks"]) == 1


def test_tool_approval_pauses_llm_mission(settings: Settings, store: Store) -> None:
    sent: list[dict] = []
    tools = ToolRegistry(builtin_tools())
    tools.register(Tool("send_email", "Email the customer.", {"type": "object", "properties": {
        "body": {"type": "string", "description": "text"}}, "required": ["body"]},
        frozenset({"email.send"}), lambda ctx, a: sent.append(a) or {"sent": True},
        approval="sends email to a customer"))

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and _work_title(req) == "Work item: Backend":
            if not any(m.role == "tool" for m in req.messages):
                return ChatResponse(tool_calls=(ToolCall("e1", "send_email", {"body": "hi"}),))
        return None

    # the user's roster lets the backend developer send email (validated against `tools`)
    from iza.agents import load_definitions

    roster, _ = load_definitions(None)
    backend = roster.get("wkr-apps-4").as_dict()
    backend["tools"].append("send_email")
    del backend["source"]
    (settings.home / "agents").mkdir(parents=True, exist_ok=True)
    (settings.home / "agents" / "roster.json").write_text(json.dumps({"agents": [backend]}))
    model = scripted(script)
    wf = Workforce.from_settings(settings, store, model=model, tools=tools)
    assert "send_email" in wf.roster.get("wkr-apps-4").tools
    mid = create_mission(wf, "Build a todo app")
    view = run_mission(wf, mid)
    assert view["state"] == "awaiting_approval" and not sent
    calls_before = len(model.calls)
    decide_approval(store, mid, True)
    view = run_mission(wf, mid)
    assert view["state"] == "completed" and sent == [{"body": "hi"}]
    # the backend worker's first turn came from the journal, not a second paid call
    backend = [c for c in model.calls[calls_before:] if kind_of(c) == "work"
               and _work_title(c) == "Work item: Backend"]
    assert len(backend) == 1 and any(m.role == "tool" for m in backend[0].messages)


class _Crash(BaseException):
    """Stands in for the process dying (not an Exception, so nothing catches it)."""


def test_resume_replays_the_journal(make_wf: MakeWf, store: Store) -> None:
    first = scripted(lambda req: (_ for _ in ()).throw(_Crash())
                     if kind_of(req) == "work" and _work_title(req) == "Work item: Test plan"
                     else None)
    wf = make_wf(first)
    mid = create_mission(wf, "Build a todo app")
    with pytest.raises(_Crash):
        run_mission(wf, mid)
    assert mission_view(store, mid)["state"] == "running"
    asked_before = len(first.calls) - 1  # the crashing call never answered
    cost_before = mission_view(store, mid)["cost_micros"]
    assert cost_before == 10 * asked_before

    second = scripted()
    view = run_mission(make_wf(second), mid)
    assert view["state"] == "completed"
    kinds = [kind_of(c) for c in second.calls]
    # no plan, no build breakdown, no Frontend/Backend work again: only what was left
    assert "plan" not in kinds
    titles = {_work_title(c) for c in second.calls if kind_of(c) == "work"}
    assert titles == {"Work item: Test plan", "Work item: Security pass"}
    assert view["cost_micros"] == cost_before + 10 * len(second.calls)


def test_agents_message_each_other_through_mailboxes(make_wf: MakeWf, store: Store) -> None:
    prompts: list[str] = []

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) != "work":
            return None
        title = _work_title(req)
        if title == "Work item: Frontend" and not any(m.role == "tool" for m in req.messages):
            return ChatResponse(tool_calls=(ToolCall("m1", "send_message", {
                "to": "wkr-apps-4", "body": "list view needs GET /items?done=false"}),))
        if title == "Work item: Backend":
            prompts.append(req.messages[1].content)
        return None

    wf = make_wf(scripted(script))
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed"
    backend = next(t for t in view["tasks"] if t["title"] == "Backend")
    assert backend["agent"] == "wkr-apps-4"
    assert "Message from wkr-apps-" in prompts[0] and "GET /items?done=false" in prompts[0]


def test_failed_mission_resumes_and_asks_afresh(make_wf: MakeWf, store: Store) -> None:
    broken = scripted(lambda req: ChatResponse(content="no json") if kind_of(req) == "plan" else None)
    wf = make_wf(broken, max_steps=2)
    mid = create_mission(wf, "Build a todo app")
    view = run_mission(wf, mid)
    assert view["state"] == "failed"
    root = view["tasks"][0]
    assert root["state"] == "failed" and "malformed" in root["error"]
    fixed = scripted()
    view = run_mission(make_wf(fixed, max_steps=2), mid)
    assert view["state"] == "completed"
    assert kind_of(fixed.calls[0]) == "plan"  # asked again, not replayed from the journal


def test_cancel_from_elsewhere_stops_the_runner(make_wf: MakeWf, store: Store) -> None:
    from iza.agents import cancel_mission

    holder: dict[str, str] = {}

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and _work_title(req) == "Work item: Frontend":
            cancel_mission(store, holder["id"], "customer withdrew")  # as another process would
        return None

    model = scripted(script)
    wf = make_wf(model)
    holder["id"] = mid = create_mission(wf, "Build a todo app")
    view = run_mission(wf, mid)
    assert view["state"] == "cancelled" and view["error"] == "customer withdrew"
    assert not any(kind_of(c) == "work" and _work_title(c) == "Work item: Backend" for c in model.calls)
    assert not any(t["state"] == "done" and t["title"] == "Backend" for t in view["tasks"])
    assert not any(t["state"] in ("running", "pending") for t in view["tasks"])


def test_spending_above_the_threshold_needs_approval(settings: Settings, store: Store) -> None:
    bought: list[int] = []
    tools = ToolRegistry(builtin_tools())
    tools.register(Tool("buy_domain", "Buy a domain.", {"type": "object", "properties": {
        "amount_minor": {"type": "integer", "description": "price in cents"}},
        "required": ["amount_minor"]}, frozenset({"payments"}),
        lambda ctx, a: bought.append(a["amount_minor"]) or {"ok": True}))

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and not any(m.role == "tool" for m in req.messages):
            title = _work_title(req)
            if title in ("Work item: Frontend", "Work item: Backend"):
                price = 1500 if title.endswith("Frontend") else 25_000
                return ChatResponse(tool_calls=(ToolCall("b", "buy_domain", {"amount_minor": price}),))
        return None

    from iza.agents import load_definitions

    roster, _ = load_definitions(None)
    agents = []
    for agent_id in ("wkr-apps-2", "wkr-apps-3", "wkr-apps-4"):
        spec = roster.get(agent_id).as_dict()
        spec["tools"].append("buy_domain")
        del spec["source"]
        agents.append(spec)
    (settings.home / "agents").mkdir(parents=True, exist_ok=True)
    (settings.home / "agents" / "roster.json").write_text(json.dumps({"agents": agents}))
    wf = Workforce.from_settings(settings, store, model=scripted(script), tools=tools)
    assert wf.approval_above_minor == 10_000
    mid = create_mission(wf, "Build a todo app")
    view = run_mission(wf, mid)
    assert view["state"] == "awaiting_approval" and bought == [1500]
    events = [e for e in recent(store, 20) if e.name == "mission.awaiting_approval"]
    assert "spends 25000" in events[0].payload["reason"]
    decide_approval(store, mid, True)
    assert run_mission(wf, mid)["state"] == "completed" and bought == [1500, 25_000]


def test_parallel_items_run_at_the_same_time(settings: Settings, store: Store) -> None:
    import threading

    from iza.agents import Limits, ToolError, load_definitions

    barrier = threading.Barrier(2)

    def meet(ctx: object, args: dict) -> object:
        try:
            barrier.wait(timeout=30)  # only passes if the other item is running too
        except threading.BrokenBarrierError:
            raise ToolError("alone: the other item is not running") from None
        return {"met": True}

    tools = ToolRegistry(builtin_tools())
    tools.register(Tool("meet", "Wait for a colleague.", {"type": "object", "properties": {}},
                        frozenset(), meet))
    roster, _ = load_definitions(None)
    agents = []
    for agent_id in ("wkr-apps-2", "wkr-apps-3", "wkr-apps-4"):
        spec = roster.get(agent_id).as_dict()
        spec["tools"].append("meet")
        del spec["source"]
        agents.append(spec)
    (settings.home / "agents").mkdir(parents=True, exist_ok=True)
    (settings.home / "agents" / "roster.json").write_text(json.dumps({"agents": agents}))
    observations: list[str] = []

    def script(req: ChatRequest) -> ChatResponse | None:
        if kind_of(req) == "work" and _work_title(req) in ("Work item: Frontend", "Work item: Backend"):
            tool_msgs = [m for m in req.messages if m.role == "tool"]
            if not tool_msgs:
                return ChatResponse(tool_calls=(ToolCall("m", "meet", {}),))
            observations.append(tool_msgs[-1].content)
            return ChatResponse(content="done together")
        return None

    wf = Workforce.from_settings(settings, store, model=scripted(script), tools=tools,
                                 limits=Limits(parallel_items=2))
    view = run_mission(wf, create_mission(wf, "Build a todo app"))
    assert view["state"] == "completed"
    assert observations == ['{"met": true}', '{"met": true}']
    items = [t for t in view["tasks"] if t["title"] in ("Frontend", "Backend")]
    assert items[0]["started_at"] < items[1]["finished_at"]
    assert items[1]["started_at"] < items[0]["finished_at"]
