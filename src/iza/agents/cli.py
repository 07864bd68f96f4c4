"""``iza agents`` (roster and service directory) and ``iza missions`` (run, inspect, control).

Thin over :mod:`iza.agents`: parse flags, build the workforce, call one function, print. Every
report has ``--json``; every human-readable mission view states its mode, so an offline
playbook run is never mistaken for model work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from iza.cli._context import State, emit_json, pass_state

if TYPE_CHECKING:
    from iza.agents._workforce import Workforce

__all__ = ["agents_group", "missions_group"]

_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
_STATE_STYLE = {"done": "green", "completed": "green", "running": "cyan", "pending": "dim",
                "failed": "red", "awaiting_approval": "yellow", "cancelled": "dim",
                "rejected": "red", "skipped": "dim"}


def _workforce(state: State) -> Workforce:
    from iza.agents._workforce import Workforce

    return Workforce.from_settings(state.ready_settings(), state.store())


def _mode_line(mode: str) -> str:
    if mode == "offline-playbook":
        return "mode: offline-playbook (no LLM provider was used; steps come from the catalog playbook)"
    return f"mode: {mode}"


# ---- agents ---------------------------------------------------------------------------------
@click.group("agents")
def agents_group() -> None:
    """The roster (strategists, managers, workers) and the service directory."""


@agents_group.command("list")
@click.option("--tier", type=click.Choice(["strategist", "manager", "worker"]), help="Only this tier.")
@_JSON
@pass_state
def agents_list(state: State, tier: str | None, as_json: bool) -> None:
    """List agents with tier, role, skills and capacity."""
    from iza.agents._workforce import load_definitions

    roster, _ = load_definitions(state.settings().home)
    agents = [a for a in roster.agents if tier is None or a.tier == tier]
    if as_json:
        emit_json({"agents": [a.as_dict() for a in agents]})
        return
    from rich.table import Table

    table = Table(title=f"{len(agents)} agents", title_justify="left")
    for col in ("id", "tier", "name", "skills", "model", "cap"):
        table.add_column(col)
    for a in agents:
        table.add_row(a.id, a.tier, a.name, ", ".join(a.skills), a.model, str(a.capacity))
    state.console().print(table)


@agents_group.command("show")
@click.argument("agent_id")
@_JSON
@pass_state
def agents_show(state: State, agent_id: str, as_json: bool) -> None:
    """Show one agent: role, skills, allowed tools, model, capacity, budget."""
    from iza.agents._workforce import load_definitions

    roster, _ = load_definitions(state.settings().home)
    agent = roster.get(agent_id)
    data = agent.as_dict()
    data["reports"] = [a.id for a in roster.agents if a.reports_to == agent.id]
    if as_json:
        emit_json(data)
        return
    console = state.console()
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        console.print(f"[bold]{key:>18}[/] {shown}")


@agents_group.command("services")
@_JSON
@pass_state
def agents_services(state: State, as_json: bool) -> None:
    """List the service directory: team, price and whether it needs a model."""
    from iza.agents._workforce import load_definitions

    _, catalog = load_definitions(state.settings().home)
    if as_json:
        emit_json({"services": [s.as_dict() for s in catalog.services]})
        return
    from rich.table import Table

    table = Table(title="services", title_justify="left")
    for col in ("id", "name", "strategist", "managers", "price", "offline"):
        table.add_column(col)
    for s in catalog.services:
        steps = sum(len(o.steps) for o in s.playbook)
        offline = "needs a model" if s.requires_model else f"playbook, {steps} steps"
        table.add_row(s.id, s.name, s.strategist, ", ".join(s.managers),
                      f"{s.price_minor / 100:.2f} {s.currency}", offline)
    state.console().print(table)


# ---- missions -------------------------------------------------------------------------------
@click.group("missions")
def missions_group() -> None:
    """Run customer requests as missions; inspect, trace, approve, cancel and resume them."""


def _print_mission(state: State, view: dict[str, Any]) -> None:
    from rich.markup import escape

    console = state.console()
    style = _STATE_STYLE.get(view["state"], "white")
    console.print(f"mission [bold]{view['id']}[/]  [{style}]{view['state']}[/]  service {view['service']}")
    console.print(_mode_line(view["mode"]))
    console.print(f"request: {escape(view['request'])}")
    console.print(f"matched: {escape(view['match_reason'])}")
    console.print(f"cost: {view['cost_micros']} µUSD, tokens {view['tokens_in']}/{view['tokens_out']}")
    if view.get("error"):
        console.print(f"[red]error:[/] {escape(view['error'])}")
    for t in view.get("tasks", []):
        tstyle = _STATE_STYLE.get(t["state"], "white")
        who = t["agent"] or "-"
        console.print(f"{'  ' * t['depth']}[{tstyle}]{t['state']:<17}[/] {t['kind']:<9} "
                      f"{escape(t['title'])} [dim]({who}, attempts {t['attempts']})[/]")
    result = view.get("result") or {}
    if result.get("deliverables"):
        console.print(f"deliverables in {view['workspace']}: {', '.join(result['deliverables'])}")


def _run(state: State, wf: Workforce, mission_id: str) -> dict[str, Any]:
    from iza.agents._runner import run_mission

    with state.console(stderr=True).status(f"running mission {mission_id} ({wf.mode})…"):
        return run_mission(wf, mission_id)


def _finish(state: State, view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(view)
    else:
        _print_mission(state, view)
    if view["state"] == "failed":
        raise SystemExit(1)


@missions_group.command("run")
@click.argument("request")
@click.option("--service", "service_id", help="Catalog service id (default: matched from the request).")
@click.option("--order", "order_id", help="The business order this mission delivers (LLM cost is "
              "attributed to it).")
@_JSON
@pass_state
def missions_run(state: State, request: str, service_id: str | None, order_id: str | None,
                 as_json: bool) -> None:
    """Turn REQUEST into a mission and run it (offline playbook when no model is configured)."""
    from iza.agents._missions import create_mission

    wf = _workforce(state)
    mission_id = create_mission(wf, request, service_id, order_id=order_id)
    _finish(state, _execute(state, wf, mission_id), as_json)


def _execute(state: State, wf: Workforce, mission_id: str) -> dict[str, Any]:
    """Run in process, or on a Celery worker when ``executor = "celery"``."""
    if state.settings().get_str("executor") == "celery":
        return _run_on_celery(state, wf, mission_id)
    return _run(state, wf, mission_id)


def _run_on_celery(state: State, wf: Workforce, mission_id: str) -> dict[str, Any]:
    from iza.agents._celery import submit
    from iza.agents._missions import mission_view

    settings = state.settings()
    result = submit(settings, mission_id)
    with state.console(stderr=True).status(f"mission {mission_id} queued on Celery "
                                            f"({settings.get_str('agents.celery_queue')})…"):
        outcome = result.get(timeout=wf.limits.wall_clock_seconds + 60)
    view = mission_view(wf.store, mission_id)
    view["executor"] = {"kind": "celery", "worker_pid": outcome["worker_pid"],
                        "queue": settings.get_str("agents.celery_queue")}
    return view


@missions_group.command("list")
@click.option("--state", "mission_state", help="Only missions in this state.")
@click.option("--limit", default=50, show_default=True, help="How many, newest first.")
@_JSON
@pass_state
def missions_list(state: State, mission_state: str | None, limit: int, as_json: bool) -> None:
    """List missions, newest first, with their mode."""
    from iza.agents._missions import list_missions

    rows = list_missions(state.store(), state=mission_state, limit=limit)
    if as_json:
        emit_json({"missions": rows})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(rows)} missions", title_justify="left")
    for col in ("id", "state", "mode", "service", "cost µUSD", "request"):
        table.add_column(col, no_wrap=col in ("id", "mode"))
    for m in rows:
        table.add_row(m["id"], m["state"], m["mode"], m["service"], str(m["cost_micros"]),
                      escape(m["request"][:60]))
    state.console().print(table)


@missions_group.command("show")
@click.argument("mission_id")
@_JSON
@pass_state
def missions_show(state: State, mission_id: str, as_json: bool) -> None:
    """Show a mission: mode, task tree with states and attempts, assignments, result."""
    from iza.agents._missions import mission_view

    view = mission_view(state.store(), mission_id)
    if as_json:
        emit_json(view)
        return
    _print_mission(state, view)
    console = state.console()
    for a in view["assignments"]:
        console.print(f"[dim]assigned {a['task']} → {a['agent']}: {a['reason']}[/]")


@missions_group.command("cancel")
@click.argument("mission_id")
@_JSON
@pass_state
def missions_cancel(state: State, mission_id: str, as_json: bool) -> None:
    """Cancel a mission; a runner working on it stops before its next task."""
    from iza.agents._missions import cancel_mission, mission_view

    store = state.store()
    cancel_mission(store, mission_id)
    view = mission_view(store, mission_id)
    if as_json:
        emit_json(view)
    else:
        state.console().print(f"mission {mission_id} cancelled ({_mode_line(view['mode'])})")


@missions_group.command("resume")
@click.argument("mission_id")
@_JSON
@pass_state
def missions_resume(state: State, mission_id: str, as_json: bool) -> None:
    """Continue a crashed, failed or approved mission; finished tasks are not repeated."""
    wf = _workforce(state)
    _finish(state, _execute(state, wf, mission_id), as_json)


@missions_group.command("approve")
@click.argument("mission_id")
@click.option("--note", default="", help="Why, for the record.")
@click.option("--no-run", is_flag=True, help="Only record the approval; resume later.")
@_JSON
@pass_state
def missions_approve(state: State, mission_id: str, note: str, no_run: bool, as_json: bool) -> None:
    """Approve the step a mission waits on, then continue it."""
    from iza.agents._missions import decide_approval, mission_view

    wf = _workforce(state)
    decide_approval(wf.store, mission_id, True, note)
    view = mission_view(wf.store, mission_id) if no_run else _execute(state, wf, mission_id)
    _finish(state, view, as_json)


@missions_group.command("reject")
@click.argument("mission_id")
@click.option("--note", default="", help="Why, for the record.")
@_JSON
@pass_state
def missions_reject(state: State, mission_id: str, note: str, as_json: bool) -> None:
    """Reject the step a mission waits on; the mission ends as rejected."""
    from iza.agents._missions import decide_approval, mission_view

    store = state.store()
    decide_approval(store, mission_id, False, note)
    view = mission_view(store, mission_id)
    if as_json:
        emit_json(view)
    else:
        state.console().print(f"mission {mission_id} rejected ({_mode_line(view['mode'])})")


@missions_group.command("trace")
@click.argument("mission_id")
@click.option("--otel", "otel_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the trace as OpenTelemetry (OTLP/JSON) to this file ('-' for stdout).")
@_JSON
@pass_state
def missions_trace(state: State, mission_id: str, otel_path: str | None, as_json: bool) -> None:
    """Show the mission's timeline: agent turns, tool calls, model calls, tokens, cost."""
    import json

    from iza.agents._trace import otel_export, timeline

    store = state.store()
    if otel_path:
        data = otel_export(store, mission_id)
        if otel_path == "-":
            emit_json(data)
        else:
            with open(otel_path, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
            if not as_json:
                state.console(stderr=True).print(f"wrote {otel_path}")
        return
    spans = timeline(store, mission_id)
    if as_json:
        emit_json({"mission": mission_id, "spans": spans})
        return
    from rich.markup import escape

    from iza.agents._missions import get_mission

    console = state.console()
    mission = get_mission(store, mission_id)
    console.print(f"mission [bold]{mission_id}[/] {mission.state} — {_mode_line(mission.mode)}")
    for s in spans:
        style = "red" if s["status"] == "error" else "white"
        console.print(f"{s['start'].strftime('%H:%M:%S.%f')[:-3]} [{style}]{s['kind']:<6}[/] "
                      f"{s['duration_ms']:>9.1f} ms  {escape(s['name'])} [dim]{s['agent'] or ''}[/]")
