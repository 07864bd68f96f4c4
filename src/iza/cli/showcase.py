"""``iza showcase``: run the packaged scenarios with live progress and say where to look."""

from __future__ import annotations

from typing import Any

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["showcase_cmd"]

_MARK = {"ok": "[green]✓[/]", "failed": "[red]✗[/]", "not_wired": "[yellow]–[/]", "not_run": "[dim]·[/]"}


@click.command("showcase")
@click.option("--scenario", "scenario_id", help="Run only this scenario (default: all).")
@click.option(
    "--list", "list_only", is_flag=True, help="List the scenarios and their steps; run nothing."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"scenarios": [...]} as JSON.')
@pass_state
def showcase_cmd(state: State, scenario_id: str | None, list_only: bool, as_json: bool) -> int:
    """Run showcase scenarios end to end (a lead, a demo app, a checkout, a delivery).

    Steps whose subsystem is not wired in yet are shown as not wired, never simulated.
    Exits 1 when a step that ran failed.
    """
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from iza.apps._showcase import StepContext, find_scenario, load_scenarios, run_scenario

    settings = state.ready_settings()
    scenarios = load_scenarios(settings)
    if scenario_id:
        scenarios = [find_scenario(scenarios, scenario_id)]
    if list_only:
        data = [
            {"id": s["id"], "title": s["title"], "steps": [st["kind"] for st in s["steps"]]}
            for s in scenarios
        ]
        if as_json:
            emit_json({"scenarios": data})
        else:
            for s in data:
                state.console().print(
                    f"[bold]{s['id']}[/] {escape(s['title'])}: {', '.join(s['steps'])}"
                )
        return 0
    ctx = StepContext(settings, state.store())
    results: list[dict[str, Any]] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=state.console(stderr=True),
        transient=as_json,
    ) as bar:
        tasks: dict[str, Any] = {}
        for sc in scenarios:

            def progress(title: str, status: str) -> None:
                key = f"{sc['id']}:{title}"  # noqa: B023 - called only while this scenario runs
                if key not in tasks:
                    tasks[key] = bar.add_task(escape(title), total=1)
                if status != "running":
                    done = f"{_MARK.get(status, '')} {escape(title)}"
                    bar.update(tasks[key], completed=1, description=done)

            results.append(run_scenario(sc, ctx, progress))
    ok = all(r["ok"] for r in results)
    if as_json:
        emit_json({"ok": ok, "scenarios": results})
    else:
        console = state.console()
        port = settings.get_int("server.port")
        for r in results:
            console.print(f"[bold]{escape(r['title'])}[/]")
            for st in r["steps"]:
                console.print(
                    f"  {_MARK.get(st['status'], '')} {escape(st['title'])}: {escape(st['detail'])}"
                )
            for look in r["look"]:
                console.print(
                    f"  look: {look['label']} → http://127.0.0.1:{port}{look['path']} (iza serve)"
                )
    return 0 if ok else 1
