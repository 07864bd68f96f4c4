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

    Every step runs with the real subsystems: the lead is stored and qualified, the app is
    generated and verified, a signed checkout.session.completed event goes through the web
    app's POST /webhooks/stripe, the paid order's mission delivers and the ledger shows the
    revenue and margin. Without STRIPE_WEBHOOK_SECRET a local secret is made for the run (and
    said so). A step no subsystem registered is shown as not wired, never simulated.
    Exits 1 when a step that ran failed.
    """
    from rich.markup import escape

    from iza.apps._showcase import StepContext, find_scenario, load_scenarios

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
    notes: list[str] = []
    if not settings.get_bool("agents.deliver_paid_orders"):
        # the paid order's delivery is the point of the showcase: on for this run only
        settings = settings.with_overrides(**{"agents.deliver_paid_orders": True})
        notes.append("agents.deliver_paid_orders was off; the showcase turned it on for this run")
    store = state.store()
    poster = _WebApp()
    ctx = StepContext(settings, store, post_webhook=poster)
    from iza._system import wire_events

    unwire = wire_events(settings, store)  # order.paid → delivering mission, as `iza serve` does
    try:
        results = _run(state, scenarios, ctx, as_json)
    finally:
        unwire()
        poster.close()
    if ctx.shared.get("webhook_secret_origin", "").startswith("a local secret"):
        notes.append("STRIPE_WEBHOOK_SECRET is not set: the checkout event was signed with a local "
                     "secret made for this run, and the web app checked it with the same one")
    ok = all(r["ok"] for r in results)
    if as_json:
        emit_json({"ok": ok, "scenarios": results, "notes": notes})
    else:
        console = state.console()
        port = settings.get_int("server.port")
        for r in results:
            console.print(f"[bold]{escape(r['title'])}[/]")
            for st in r["steps"]:
                console.print(
                    f"  {_MARK.get(st['status'], '')} {escape(st['title'])}: {escape(st['detail'])}"
                )
            seen: set[str] = set()
            for look in r["look"]:
                if look["path"] in seen:
                    continue
                seen.add(look["path"])
                console.print(
                    f"  look: {look['label']} → http://127.0.0.1:{port}{look['path']} (iza serve)"
                )
        for line in notes:
            console.print(f"[dim]note: {escape(line)}[/]")
    return 0 if ok else 1


def _run(state: State, scenarios: list[dict[str, Any]], ctx: Any, as_json: bool) -> list[dict[str, Any]]:
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from iza.apps._showcase import run_scenario

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
    return results


class _WebApp:
    """Posts to the real web app in process (httpx's ASGI transport): the Stripe step's webhook
    goes through ``POST /webhooks/stripe`` with its signature check, exactly as from Stripe.

    The app is built on first use from the settings the step passes (which carry the webhook
    secret the step signs with), and rebuilt if those settings change."""

    def __init__(self) -> None:
        self._app: Any = None
        self._settings: Any = None

    def __call__(self, settings: Any, path: str, body: bytes,
                 headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        import asyncio

        import httpx

        from iza.web.app import create_app

        if self._app is None or self._settings is not settings:
            self.close()
            self._app, self._settings = create_app(settings), settings

        async def post() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://showcase") as client:
                return await client.post(path, content=body, headers=headers)

        response = asyncio.run(post())
        try:
            answer = response.json()
        except ValueError:
            answer = {"body": response.text[:200]}
        return response.status_code, answer if isinstance(answer, dict) else {"body": answer}

    def close(self) -> None:
        if self._app is not None:
            self._app.state.store.dispose()
            self._app = None
