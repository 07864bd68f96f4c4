"""The model-driven steps of a mission: plan, break down, work with tools, review, synthesise.

Every model call goes through :func:`ask`, which (1) answers from the journal when this task's
turn was already asked before a crash, (2) refuses to spend past the mission budget or the
agent's per-task budget, and (3) records cost, tokens and a span. The request's metadata names
mission, task, agent, order and the mission budget, so ``iza.llm`` journals and budgets the call;
when the model keeps a journal (``iza.llm``), the mission's cost is read back from it.
Structured answers are parsed and checked here; a malformed answer is sent back to the model
as an observation and asked again, up to ``max_steps`` turns, then the task fails with
:class:`ModelOutputError`.
Tool errors go back to the worker as observations; a worker that loops is stopped by
``max_steps`` or by ``max_tool_repeats`` (identical tool and arguments).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from iza.agents._errors import LimitExceeded, ModelOutputError
from iza.agents._missions import add_task
from iza.agents._models import JournalRow, MissionRow, TaskRow
from iza.agents._ports import ChatMessage, ChatRequest, ChatResponse
from iza.kernel.store import utcnow

if TYPE_CHECKING:
    from iza.agents._runner import Run

__all__ = ["PLAN_SCHEMA", "ask", "breakdown", "plan", "review", "synthesis", "work"]

logger = logging.getLogger(__name__)

_STR = {"type": "string"}
PLAN_SCHEMA = {"type": "object", "required": ["objectives"], "properties": {"objectives": {
    "type": "array", "items": {"type": "object", "required": ["title", "manager", "instructions"],
                               "properties": {"title": _STR, "manager": _STR, "instructions": _STR}}}}}
BREAKDOWN_SCHEMA = {"type": "object", "required": ["items"], "properties": {"items": {
    "type": "array", "items": {"type": "object", "required": ["title", "skill", "instructions"],
                               "properties": {"title": _STR, "skill": _STR, "instructions": _STR}}}}}
REVIEW_SCHEMA = {"type": "object", "required": ["approved", "notes"],
                 "properties": {"approved": {"type": "boolean"}, "notes": _STR}}
SYNTHESIS_SCHEMA = {"type": "object", "required": ["summary", "deliverables"],
                    "properties": {"summary": _STR, "deliverables": {"type": "array", "items": _STR}}}


def ask(run: Run, task: TaskRow, turn: int, messages: list[ChatMessage], *,
        schema: dict[str, Any] | None = None, tools: list[dict[str, Any]] | None = None) -> ChatResponse:
    """One journaled, budgeted model call for ``task``'s ``turn``."""
    key = f"{task.id}:{turn}"
    with run.wf.store.read() as session:
        cached = session.get(JournalRow, key)
        mission = session.get(MissionRow, run.mission_id)
        current = session.get(TaskRow, task.id)
    agent = run.wf.roster.get(task.agent_id or "")
    if cached is not None:
        resp = ChatResponse.from_dict(cached.response)
        now = utcnow()
        run.span("llm", f"chat {agent.model} (replayed)", task, agent.id, now, now, "ok",
                 {"iza.llm.replayed": True})
        return resp
    assert mission is not None and current is not None
    if mission.cost_micros >= run.limits.mission_budget_micros:
        raise LimitExceeded("mission_budget_micros", f"mission budget of "
                            f"{run.limits.mission_budget_micros} µUSD is spent "
                            f"({mission.cost_micros} µUSD) before {task.title!r}")
    if current.cost_micros >= agent.task_budget_micros:
        raise LimitExceeded("task_budget_micros", f"agent {agent.id} spent its per-task budget of "
                            f"{agent.task_budget_micros} µUSD on {task.title!r}",
                            fix=f"raise task_budget_micros of {agent.id} in the roster")
    meta = {"mission": run.mission_id, "task": task.id, "agent": agent.id,
            "mission_budget_micros": str(run.limits.mission_budget_micros)}
    if mission.order_id:
        meta["order"] = mission.order_id
    request = ChatRequest(agent.model, tuple(messages), tuple(tools or ()), schema, meta)
    start = utcnow()
    resp = run.wf.model.chat(request) if run.wf.model is not None else ChatResponse()
    spent = _journal_cost(run, mission)
    logger.info("model %s for %s (%s): %d+%d tokens, %d µUSD, %d tool call(s)", agent.model,
                task.id, agent.id, resp.tokens_in, resp.tokens_out, resp.cost_micros,
                len(resp.tool_calls))
    with run.wf.store.transaction() as session:
        session.add(JournalRow(key=key, mission_id=run.mission_id, response=resp.as_dict(),
                               created_at=utcnow()))
        for table, ident in ((TaskRow, task.id), (MissionRow, run.mission_id)):
            values: dict[str, Any] = {"cost_micros": table.cost_micros + resp.cost_micros,
                                      "tokens_in": table.tokens_in + resp.tokens_in,
                                      "tokens_out": table.tokens_out + resp.tokens_out}
            if table is MissionRow and spent is not None:
                values["cost_micros"] = spent
            session.execute(sa.update(table).where(table.id == ident).values(**values))
    run.span("llm", f"chat {resp.model or agent.model}", task, agent.id, start, utcnow(), "ok",
             {"gen_ai.request.model": agent.model, "gen_ai.usage.input_tokens": resp.tokens_in,
              "gen_ai.usage.output_tokens": resp.tokens_out, "iza.cost_micros": resp.cost_micros})
    return resp


def _journal_cost(run: Run, mission: MissionRow) -> int | None:
    """The mission's cost from the model's own journal, when the model keeps one (``iza.llm``):
    it also counts repair attempts the workforce never sees. ``None`` keeps the running sum."""
    source = getattr(run.wf.model, "mission_cost_micros", None)
    return int(source(run.mission_id, mission.created_at)) if callable(source) else None


def _structured(run: Run, task: TaskRow, messages: list[ChatMessage], schema: dict[str, Any],
                check: Callable[[Any], str | None]) -> dict[str, Any]:
    for turn in range(run.limits.max_steps):
        resp = ask(run, task, turn, messages, schema=schema)
        try:
            data = json.loads(resp.content)
            problem = check(data)
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON ({exc.msg})"
        if problem is None:
            return dict(data)
        messages = [*messages, ChatMessage("assistant", resp.content),
                    ChatMessage("user", _prompts()["malformed"].format(
                        problem=problem, schema=json.dumps(schema)))]
    run.fail(task, "malformed structured output")
    raise ModelOutputError(f"the model gave malformed structured output for {task.title!r} "
                           f"{run.limits.max_steps} times in a row",
                           fix="check the model supports structured output, or use a stronger one")


@cache
def _prompts() -> dict[str, Any]:
    """Prompt texts live in ``data/prompts.json`` (kept out of code, loaded once)."""
    data: dict[str, Any] = json.loads(
        resources.files("iza.agents").joinpath("data/prompts.json").read_text("utf-8"))
    return data


def _prompt(step: str, run: Run, agent_id: str, **values: str) -> list[ChatMessage]:
    """The system and user messages of ``step`` for ``agent_id``."""
    agent = run.wf.roster.get(agent_id)
    texts = _prompts()[step]
    duty = texts["duty"].format(**values)
    system = _prompts()["system"].format(name=agent.name, role=agent.role, tier=agent.tier,
                                         skills=", ".join(agent.skills), duty=duty)
    return [ChatMessage("system", system), ChatMessage("user", texts["user"].format(**values))]


def _list_of(data: Any, key: str, fields: tuple[str, ...]) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get(key), list) or not data[key]:
        return f"expected an object with a non-empty list {key!r}"
    for i, item in enumerate(data[key]):
        if not isinstance(item, dict):
            return f"{key}[{i}] is not an object"
        for f in fields:
            if not isinstance(item.get(f), str) or not item[f]:
                return f"{key}[{i}].{f} must be a non-empty string"
    return None


def plan(run: Run, root: TaskRow) -> None:
    managers = [m.id for m in run.wf.roster.tier("manager")]

    def check(data: Any) -> str | None:
        problem = _list_of(data, "objectives", ("title", "manager", "instructions"))
        if problem is None:
            bad = [o["manager"] for o in data["objectives"] if o["manager"] not in managers]
            if bad:
                return f"unknown manager(s) {bad}; managers: {', '.join(managers)}"
        return problem

    guide = "".join(f"\nUsual objective: {o.title} (manager {o.manager}; steps: "
                    + "; ".join(s.title for s in o.steps) + ")" for o in run.service.playbook)
    msgs = _prompt("plan", run, root.agent_id or "", service=run.service.name,
                   managers=", ".join(run.service.managers), request=run.request, guide=guide)
    data = _structured(run, root, msgs, PLAN_SCHEMA, check)
    with run.wf.store.transaction() as session:
        parent = session.get(TaskRow, root.id)
        assert parent is not None
        for o in data["objectives"]:
            add_task(session, run.mission_id, parent=parent, kind="objective", tier="manager",
                     title=o["title"], agent_id=o["manager"], limits=run.limits,
                     inputs={"instructions": o["instructions"]})
        add_task(session, run.mission_id, parent=parent, kind="synthesis", tier="strategist",
                 title=f"Deliver: {run.service.name}", agent_id=root.agent_id, limits=run.limits)
        parent.outputs = {"plan": data["objectives"]}


def breakdown(run: Run, objective: TaskRow) -> None:
    skills = sorted({s for w in run.wf.roster.tier("worker") for s in w.skills})

    def check(data: Any) -> str | None:
        problem = _list_of(data, "items", ("title", "skill", "instructions"))
        if problem is None:
            bad = [i["skill"] for i in data["items"] if i["skill"] not in skills]
            if bad:
                return f"no worker has skill(s) {bad}; skills available: {', '.join(skills)}"
        return problem

    msgs = _prompt("breakdown", run, objective.agent_id or "", objective=objective.title,
                   instructions=str(objective.inputs.get("instructions", "")), request=run.request)
    data = _structured(run, objective, msgs, BREAKDOWN_SCHEMA, check)
    with run.wf.store.transaction() as session:
        parent = session.get(TaskRow, objective.id)
        assert parent is not None
        for item in data["items"]:
            add_task(session, run.mission_id, parent=parent, kind="work", tier="worker",
                     title=item["title"], skill=item["skill"], limits=run.limits,
                     inputs={"instructions": item["instructions"]})
        add_task(session, run.mission_id, parent=parent, kind="review", tier="manager",
                 title=f"Review: {objective.title}", agent_id=objective.agent_id, limits=run.limits)
        parent.outputs = {"items": data["items"]}


def work(run: Run, task: TaskRow) -> dict[str, Any]:
    task = run.start(task)
    agent = run.wf.roster.get(task.agent_id or "")
    mail = run.wf.memory.inbox(agent.id, run.mission_id)
    inbox = "".join(f"\nMessage from {m.sender}: {m.body}" for m in mail)
    messages = _prompt("work", run, agent.id, title=task.title, request=run.request, inbox=inbox,
                       instructions=str(task.inputs.get("instructions", "")))
    repeats: Counter[str] = Counter()
    for turn in range(run.limits.max_steps):
        run.check()
        resp = ask(run, task, turn, messages, tools=run.wf.tools.specs(agent.tools))
        if not resp.tool_calls:
            run.remember(task, resp.content, {"title": task.title})
            return run.finish(task, {"answer": resp.content, "summary": resp.content[:200]})
        messages.append(ChatMessage("assistant", resp.content, resp.tool_calls))
        for call in resp.tool_calls:
            sig = call.name + json.dumps(call.arguments, sort_keys=True, default=str)
            repeats[sig] += 1
            if repeats[sig] > run.limits.max_tool_repeats:
                run.fail(task, f"max_tool_repeats: {call.name} called {repeats[sig]} times with "
                         "identical arguments")
                raise LimitExceeded("max_tool_repeats", f"worker {agent.id} called {call.name} "
                                    f"{repeats[sig]} times with identical arguments on {task.title!r}")
            reason = run.approval_needed(call.name, call.arguments)
            if reason and not (task.approval or "").startswith("approved"):
                run.pause_for_approval(task, reason)
            result = run.call_tool(task, call.name, call.arguments)
            messages.append(ChatMessage("tool", result.observation(), tool_call_id=call.id,
                                        name=call.name))
    run.fail(task, f"max_steps: stopped after {run.limits.max_steps} turns")
    raise LimitExceeded("max_steps", f"worker {agent.id} took {run.limits.max_steps} turns on "
                        f"{task.title!r} without finishing")


def review(run: Run, task: TaskRow) -> dict[str, Any]:
    objective = run.reload(task.parent_id or "")
    results = [f"- {c.title}: {(c.outputs or {}).get('summary', c.state)}"
               for c in run.children(objective) if c.kind == "work"]

    def check(data: Any) -> str | None:
        if not isinstance(data, dict) or not isinstance(data.get("approved"), bool) \
                or not isinstance(data.get("notes"), str):
            return "expected {\"approved\": true|false, \"notes\": \"...\"}"
        return None

    msgs = _prompt("review", run, task.agent_id or "", objective=objective.title,
                   results="\n".join(results))
    data = _structured(run, task, msgs, REVIEW_SCHEMA, check)
    return run.finish(task, {"approved": data["approved"], "notes": data["notes"],
                             "summary": data["notes"][:200]})


def synthesis(run: Run, task: TaskRow) -> dict[str, Any]:
    root = run.reload(task.parent_id or "")
    lines = [f"- {c.title}: {(c.outputs or {}).get('summary', c.state)}"
             for c in run.children(root) if c.kind == "objective"]

    def check(data: Any) -> str | None:
        if not isinstance(data, dict) or not isinstance(data.get("summary"), str) \
                or not isinstance(data.get("deliverables"), list):
            return "expected {\"summary\": \"...\", \"deliverables\": [\"...\"]}"
        return None

    msgs = _prompt("synthesis", run, task.agent_id or "", request=run.request,
                   results="\n".join(lines))
    data = _structured(run, task, msgs, SYNTHESIS_SCHEMA, check)
    return run.finish(task, {"summary": data["summary"], "deliverables": data["deliverables"],
                             "mode": "llm"})
