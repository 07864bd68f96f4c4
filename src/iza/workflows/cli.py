"""``iza workflows …``: import, validate, run and inspect n8n-compatible workflows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["workflows_group"]


def _files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(sorted(x for x in path.rglob("*.json") if x.is_file()))
        else:
            out.append(path)
    return out


def _service(state: State) -> Any:
    from iza._system import wire_workflow_nodes
    from iza.workflows.service import WorkflowService

    wire_workflow_nodes()  # business nodes and the agent-mission runner
    return WorkflowService(state.store(), state.ready_settings())


@click.group("workflows")
def workflows_group() -> None:
    """Import, validate, run and inspect workflows (n8n JSON compatible)."""


@workflows_group.command("validate")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file, as a list.")
def validate_cmd(paths: tuple[str, ...], as_json: bool) -> None:
    """Check workflow files: structure, and which node types IZA cannot run."""
    from iza._system import wire_workflow_nodes
    from iza.workflows._validate import looks_like_workflow, validate_file

    wire_workflow_nodes()

    files: list[Path] = []
    skipped: list[Path] = []
    for p in paths:
        if Path(p).is_dir():
            # Folder mode: JSON that is not a workflow (an index, a config) is skipped with a note;
            # a file named explicitly is always validated, so a non-workflow there is an error.
            for f in _files((p,)):
                (files if looks_like_workflow(f) else skipped).append(f)
        else:
            files.append(Path(p))
    if skipped:
        names = ", ".join(str(f) for f in skipped)
        click.echo(f"note: skipped {len(skipped)} JSON file(s) that are not workflows (no 'nodes'): {names}",
                   err=True)
    results = [validate_file(f) for f in files]
    if as_json:
        emit_json(results)
    else:
        for r in results:
            mark = "ok " if r["ok"] else "NO "
            extra = ""
            if r["unsupported"]:
                extra += " unsupported: " + ", ".join(r["unsupported"])
            if r["errors"]:
                extra += " errors: " + "; ".join(r["errors"])
            click.echo(f"{mark} {r['file']} ({r['nodes']} nodes){extra}")
        ok = sum(r["ok"] for r in results)
        click.echo(f"{ok}/{len(results)} fully supported", err=True)
    if any(r["errors"] for r in results):
        raise SystemExit(2)


@workflows_group.command("import")
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def import_cmd(state: State, paths: tuple[str, ...], as_json: bool) -> None:
    """Import workflow files or folders of them (unknown node types import fine)."""
    from rich.progress import Progress

    from iza.errors import IzaError

    svc = _service(state)
    files = _files(paths)
    done: list[dict[str, Any]] = []
    with Progress(console=state.console(stderr=True), transient=True) as progress:
        task = progress.add_task("importing", total=len(files))
        for f in files:
            try:
                wf_id = svc.import_workflow(f.read_text(encoding="utf-8"), source=str(f))
                done.append({"file": str(f), "id": wf_id, "ok": True})
            except (IzaError, OSError, UnicodeDecodeError) as exc:
                done.append({"file": str(f), "ok": False, "error": str(exc)})
            progress.advance(task)
    if as_json:
        emit_json(done)
    else:
        for d in done:
            click.echo(f"{d['id']}  {d['file']}" if d["ok"] else f"failed  {d['file']}: {d['error']}")
    if any(not d["ok"] for d in done):
        raise SystemExit(2)


@workflows_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_cmd(state: State, as_json: bool) -> None:
    """List stored workflows."""
    rows = _service(state).list_workflows()
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['id']}  {'active  ' if r['active'] else 'inactive'}  {r['nodes']:>3} nodes  {r['name']}"
        )


@workflows_group.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def show_cmd(state: State, ref: str, as_json: bool) -> None:
    """Show one workflow: its nodes and connections."""
    row = _service(state).get(ref)
    if as_json:
        emit_json({"id": row.id, "name": row.name, "active": row.active, "definition": row.definition})
        return
    click.echo(f"{row.name} ({row.id}) {'active' if row.active else 'inactive'}")
    for n in row.definition.get("nodes", []):
        click.echo(f"  - {n.get('name')}  [{n.get('type')} v{n.get('typeVersion', 1)}]")


@workflows_group.command("export")
@click.argument("ref")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
@pass_state
def export_cmd(state: State, ref: str, output: str | None) -> None:
    """Export a workflow as n8n JSON (every imported field is kept)."""
    row = _service(state).get(ref)
    text = json.dumps(row.definition, indent=2, ensure_ascii=False)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@workflows_group.command("activate")
@click.argument("ref")
@pass_state
def activate_cmd(state: State, ref: str) -> None:
    """Mark a workflow active (its triggers run under `iza serve`)."""
    _service(state).set_active(ref, True)
    click.echo(f"activated {ref}")


@workflows_group.command("deactivate")
@click.argument("ref")
@pass_state
def deactivate_cmd(state: State, ref: str) -> None:
    """Mark a workflow inactive."""
    _service(state).set_active(ref, False)
    click.echo(f"deactivated {ref}")


@workflows_group.command("run")
@click.argument("target")
@click.option("--input", "input_json", help="JSON object or list of objects fed to the start node.")
@click.option("--json", "as_json", is_flag=True, help="Print n8n's `execute --rawOutput` shape.")
@click.option("--queue", is_flag=True, help="Queue the run for a Celery worker instead of running it "
              "here (also the default with workflows.executor = celery).")
@click.option("--wait", "wait_s", type=float, default=None,
              help="With --queue: wait up to this many seconds for the worker and print the result.")
@pass_state
def run_cmd(state: State, target: str, input_json: str | None, as_json: bool, queue: bool,
            wait_s: float | None) -> None:
    """Run a workflow file or a stored workflow (id or name), persisting every node run."""
    from iza.workflows._errors import WorkflowInputError
    from iza.workflows._model import load_workflow_file

    items = None
    if input_json:
        try:
            data = json.loads(input_json)
        except ValueError as exc:
            raise WorkflowInputError(
                f"--input is not valid JSON: {exc}",
                fix='Pass a JSON object, e.g. --input \'{"name": "Ada"}\'.',
            ) from exc
        data = data if isinstance(data, list) else [data]
        items = [d if isinstance(d, dict) and "json" in d else {"json": d} for d in data]
    svc = _service(state)
    target_wf = load_workflow_file(target) if Path(target).is_file() else target
    if queue or state.ready_settings().get_str("workflows.executor") == "celery":
        _queue(state, svc, target_wf, items, as_json, wait_s)
        return
    exec_id, result = svc.run(target_wf, items=items)
    out = result.raw_output()
    out["executionId"] = exec_id
    if as_json:
        emit_json(json.loads(json.dumps(out, default=str)))
    else:
        click.echo(f"execution {exec_id}: {result.status} (last node: {result.last_node})")
        if result.error:
            click.echo(f"error: {result.error.get('message')} [node {result.error.get('node')}]", err=True)
            if result.error.get("description"):
                click.echo(f"  {result.error['description']}", err=True)
    if result.status == "error":
        raise SystemExit(1)


def _queue(state: State, svc: Any, target: Any, items: Any, as_json: bool, wait_s: float | None) -> None:
    from iza.workflows._celery import submit

    settings = state.ready_settings()
    exec_id = svc.enqueue(target, items=items, mode="manual")
    pending = submit(settings, exec_id)
    info: dict[str, Any] = {"executionId": exec_id, "status": "queued",
                            "queue": settings.get_str("workflows.celery_queue")}
    if wait_s is not None:
        done = pending.get(timeout=wait_s)
        info.update(status=done["status"], workerPid=done["worker_pid"])
    if as_json:
        emit_json(info)
    else:
        click.echo(f"execution {exec_id}: {info['status']} (queue {info['queue']})")
    if info["status"] == "error":
        raise SystemExit(1)


@workflows_group.command("resume")
@click.argument("execution_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def resume_cmd(state: State, execution_id: int, as_json: bool) -> None:
    """Resume an interrupted or waiting execution from its last completed node."""
    result = _service(state).resume(execution_id)
    if as_json:
        emit_json(json.loads(json.dumps(result.raw_output(), default=str)))
    else:
        click.echo(f"execution {execution_id}: {result.status}")
    if result.status == "error":
        raise SystemExit(1)


@workflows_group.command("executions")
@click.option("--workflow", help="Only this workflow (id or name).")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def executions_cmd(state: State, workflow: str | None, limit: int, as_json: bool) -> None:
    """Execution history with status and timings."""
    rows = _service(state).executions(workflow, limit)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        secs = f"{r['seconds']:.3f}s" if r["seconds"] is not None else "-"
        click.echo(
            f"{r['id']:>6}  {r['status']:<8} {secs:>9}  {r['workflow']}"
            + (f"  ({r['error']})" if r["error"] else "")
        )
