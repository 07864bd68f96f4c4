"""``iza demo-app``: turn a request in plain words into a verified, running app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from iza.cli._context import State, emit_json, pass_state

if TYPE_CHECKING:
    from iza.apps._flow import DemoResult

__all__ = ["demo_app_cmd"]

_STEP_TITLES = {
    "spec": "Understand the request",
    "repair": "Build again from the model's corrected spec",
    "generate": "Generate the app from its blueprint",
    "wheels": "Wheel cache",
    "venv": "Create the app's virtual environment",
    "install": "Install pinned requirements offline",
    "tests": "Run the app's own tests",
    "serve": "Start the app on a free 127.0.0.1 port",
    "probe": "Probe create/read/update/delete over HTTP",
}


@click.command("demo-app")
@click.argument("request")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the result as JSON (status, app_dir, spec, …)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the app (default: $IZA_HOME/apps/<slug>); must be empty or new.",
)
@click.option(
    "--blueprint",
    help="Force a blueprint (tasks, notes, crm, inventory, bookings, finance, blog, "
    "chat, tracker) instead of choosing one from the request.",
)
@pass_state
def demo_app_cmd(
    state: State, request: str, as_json: bool, out: Path | None, blueprint: str | None
) -> int:
    """Build, test and verify an app from REQUEST, e.g. iza demo-app "todo app with AI".

    Offline (no LLM provider) a deterministic parser reads the request; the output says so.
    Exits 1 when the generated app fails verification (the failing step is named).
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from iza.apps._flow import llm_wanted, plan_spec, run_demo_app

    if llm_wanted(state.settings()):  # the model's call is journaled in the store
        settings = state.ready_settings()
        store = state.store()
        spec = plan_spec(request, blueprint, settings=settings, store=store)
    else:  # offline: a bad request is reported before the data home is touched
        spec = plan_spec(request, blueprint)
        settings = state.ready_settings()
        store = state.store()
    err = state.console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=as_json,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(step: str, status: str) -> None:
            title = _STEP_TITLES.get(step, step)
            if step not in tasks:
                tasks[step] = bar.add_task(title, total=1)
            if status == "ok":
                bar.update(tasks[step], completed=1, description=f"[green]✓[/] {title}")
            elif status == "failed":
                bar.update(tasks[step], completed=1, description=f"[red]✗[/] {title}")
                bar.stop_task(tasks[step])

        result = run_demo_app(spec, settings, store, out=out, progress=progress)
    if as_json:
        emit_json(result.as_dict())
    else:
        _print(state, result)
    return 0 if result.status == "delivered" else 1


def _print(state: State, result: DemoResult) -> None:
    from rich.markup import escape

    console = state.console()
    data = result.as_dict()
    spec = result.spec
    if spec.mode == "offline":
        console.print("[dim]mode: offline — no LLM was used; the request was read by the offline parser[/]")
    elif spec.mode == "offline-fallback":
        console.print("[yellow]mode: offline-fallback — the LLM's spec was not usable; the offline "
                      "parser read the request (see the note below)[/]")
    else:
        console.print(f"[dim]mode: {escape(spec.mode)} — the spec came from the apps manager agent's "
                      "model[/]")
    console.print(
        f"[bold]{escape(spec.name)}[/] · blueprint [bold]{spec.blueprint}[/] · "
        f"features {', '.join(spec.features)}"
    )
    for e in spec.entities:
        fields = ", ".join(f"{f.name}:{f.type}" + (f"→{f.ref}" if f.ref else "") for f in e.fields)
        console.print(f"  {e.label} (/{e.plural}): {escape(fields)}")
    if result.status == "delivered":
        console.print(
            f"[green]delivered[/] in {data['seconds']} s: {data['tests']['passed']} tests passed, "
            f"every entity probed over HTTP"
        )
        console.print(f"app   {escape(str(result.app_dir))}")
        console.print(f"run   {escape(data['run'])}")
    else:
        failed = data["failed_step"] or {}
        detail = escape(str(failed.get("detail")))
        console.print(f"[red]failed[/] at step [bold]{failed.get('name')}[/]: {detail}")
        console.print(f"files kept for inspection in {escape(str(result.app_dir))}")
    if result.order_id and result.mission_id:
        console.print(f"order {result.order_id} (demo, no charge) · mission {result.mission_id} "
                      f"(trace: iza missions trace {result.mission_id})")
    for line in data["notes"]:
        console.print(f"[dim]note: {escape(line)}[/]")
