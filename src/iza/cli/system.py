"""Kernel commands: init, status, doctor, config, db, events, tokens."""

from __future__ import annotations

import time

import click

from iza.cli._context import State, emit_json, pass_state

_STATUS_STYLE = {"ok": "green", "degraded": "yellow", "down": "red", "disabled": "dim"}
_LEVEL_STYLE = {"ok": "green", "info": "dim", "warn": "yellow", "fail": "red"}


@click.command("init")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_state
def init_cmd(state: State, as_json: bool) -> None:
    """Create the data home and the database (idempotent; never overwrites your files)."""
    from iza.kernel.events import SystemInitialized, publish
    from iza.kernel.home import ensure_home
    from iza.kernel.store import Store

    settings = state.settings()
    created = ensure_home(settings)
    store = Store.from_settings(settings)
    before = store.migration_state()
    after = store.migrate()
    if before.pending:
        publish(store, SystemInitialized(home=str(settings.home)))
    if as_json:
        emit_json({"home": str(settings.home), "created": [str(p) for p in created],
                   "database": store.display_url, "migrations": list(after.current)})
        return
    console = state.console()
    console.print(f"data home [bold]{settings.home}[/]"
                  + (f" ({len(created)} paths created)" if created else " (already set up)"))
    console.print(f"database  {store.display_url} at {', '.join(after.current)}")
    console.print("next: [bold]iza status[/], [bold]iza doctor[/], [bold]iza serve[/]")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print {\"components\": [...]} as JSON.")
@pass_state
def status_cmd(state: State, as_json: bool) -> None:
    """Show the health of every component, in boot order."""
    from iza._system import build_registry

    reports = build_registry().status(state.settings())
    if as_json:
        emit_json({"components": [r.as_dict() for r in reports]})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="IZA OS components", title_justify="left")
    for col in ("component", "stage", "status", "detail"):
        table.add_column(col)
    for r in reports:
        st = r.health.status.value
        table.add_row(r.name, r.stage, f"[{_STATUS_STYLE[st]}]{st}[/]", escape(r.health.detail))
    state.console().print(table)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@pass_state
def doctor_cmd(state: State, as_json: bool) -> None:
    """Check the data home, database, packages, providers and services; print each fix.

    Exits 1 when something is broken; warnings (such as no LLM provider) do not fail it.
    """
    from iza._system import build_registry
    from iza.errors import ConfigError
    from iza.kernel.registry import Check

    try:
        checks = build_registry().doctor(state.settings())
    except ConfigError as exc:
        checks = [Check("settings", "fail", exc.message, exc.fix)]
    failed = [c for c in checks if c.level == "fail"]
    from rich.markup import escape

    if as_json:
        emit_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        console = state.console()
        for c in checks:
            style = _LEVEL_STYLE.get(c.level, "")
            console.print(f"[{style}]{c.level:>4}[/]  {escape(c.name)}: {escape(c.message)}")
            if c.fix and c.level in ("warn", "fail", "info"):
                console.print(f"        [dim]fix:[/] {escape(c.fix)}")
        console.print(f"{len(failed)} problem(s)" if failed else "no problems found")
    if failed:
        raise SystemExit(1)


@click.group("config")
def config_group() -> None:
    """Show the resolved settings."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def config_show(state: State, as_json: bool) -> None:
    """Every setting with its value and where it came from; secrets redacted."""
    view = state.settings().public_view()
    if as_json:
        emit_json(view)
        return
    from rich.markup import escape
    from rich.table import Table

    from iza.kernel.config import SETTINGS

    helps = {s.name: s.help for s in SETTINGS}
    table = Table(title=f"settings (home {view['home']})", title_justify="left")
    for col in ("setting", "value", "source", "help"):
        table.add_column(col)
    for name, item in view["settings"].items():
        table.add_row(name, escape(repr(item["value"])), escape(item["source"]),
                      escape(helps[name]))
    console = state.console()
    console.print(table)
    for name, shown in view["secrets"].items():
        console.print(f"secret {name}: {shown}")


@click.group("db")
def db_group() -> None:
    """Migrate the database and show its state."""


@db_group.command("migrate")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def db_migrate(state: State, as_json: bool) -> None:
    """Apply every pending migration (idempotent)."""
    store = state.store(migrate=False)
    before = store.migration_state()
    after = store.migrate()
    applied = sorted(set(after.current) - set(before.current))
    if as_json:
        emit_json({"database": store.display_url, "before": list(before.current),
                   "after": list(after.current), "up_to_date": after.up_to_date})
        return
    click.echo(f"{store.display_url}: " + (f"migrated to {', '.join(applied)}" if applied
                                           else f"already at {', '.join(after.current)}"))


@db_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def db_status(state: State, as_json: bool) -> None:
    """Show the database URL (password hidden), current and latest revisions."""
    from iza.kernel.store import Store

    store = Store.from_settings(state.ready_settings())
    ms = store.migration_state()
    data = {"database": store.display_url, "dialect": store.dialect,
            "current": list(ms.current), "heads": list(ms.heads), "up_to_date": ms.up_to_date}
    if as_json:
        emit_json(data)
        return
    click.echo(f"database  {data['database']}")
    click.echo(f"current   {', '.join(ms.current) or '(empty)'}")
    click.echo(f"latest    {', '.join(ms.heads)}")
    click.echo("up to date" if ms.up_to_date else "migrations pending: run `iza db migrate`")


@click.group("events")
def events_group() -> None:
    """Show domain events from the outbox."""


@events_group.command("tail")
@click.option("-n", "--limit", default=20, show_default=True, help="How many recent events.")
@click.option("--name", "names", multiple=True, help="Only these names (order.paid, order.*).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events (Ctrl-C stops).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_state
def events_tail(state: State, limit: int, names: tuple[str, ...], follow: bool,
                as_json: bool) -> None:
    """Print the most recent events, oldest first; --follow keeps watching."""
    import json

    from iza.kernel.events import EventRecord, recent

    store = state.store()

    def show(rec: EventRecord) -> None:
        if as_json:
            click.echo(json.dumps(rec.as_dict(), default=str))
        else:
            mark = "" if rec.delivered_at or not rec.last_error else f"  [failed: {rec.last_error}]"
            click.echo(f"#{rec.id:<6} {rec.created_at:%Y-%m-%d %H:%M:%S}  {rec.name:<28} "
                       f"{json.dumps(rec.payload, default=str)}{mark}")

    batch = list(reversed(recent(store, limit, names=names)))
    for rec in batch:
        show(rec)
    last = batch[-1].id if batch else 0
    while follow:
        time.sleep(0.5)
        for rec in recent(store, 500, after_id=last, names=names):
            show(rec)
            last = rec.id


@click.group("tokens")
def tokens_group() -> None:
    """Create, list and revoke API tokens."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def tokens_create(state: State, name: str, as_json: bool) -> None:
    """Create a token called NAME. The token is shown once; only its hash is stored."""
    from iza.kernel.tokens import create_token

    info, token = create_token(state.store(), name)
    if as_json:
        emit_json({**info.as_dict(), "token": token})
        return
    click.echo(token)
    click.echo(f"token {name!r} created; it is shown only this once. Use it as "
               "'Authorization: Bearer <token>' or to sign in to the dashboard.", err=True)


@tokens_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def tokens_list(state: State, as_json: bool) -> None:
    """List tokens (names and prefixes only)."""
    from iza.kernel.tokens import list_tokens

    infos = list_tokens(state.store())
    if as_json:
        emit_json([i.as_dict() for i in infos])
        return
    for i in infos:
        used = i.last_used_at.isoformat(timespec="seconds") if i.last_used_at else "never"
        click.echo(f"{i.name:<24} {i.prefix}…  created {i.created_at:%Y-%m-%d}  last used {used}"
                   + ("  REVOKED" if i.revoked_at else ""))
    if not infos:
        click.echo("no tokens; create one with `iza tokens create NAME`")


@tokens_group.command("revoke")
@click.argument("name")
@pass_state
def tokens_revoke(state: State, name: str) -> None:
    """Revoke the token called NAME; requests using it are refused from now on."""
    from iza.kernel.tokens import revoke_token

    revoke_token(state.store(), name)
    click.echo(f"token {name!r} revoked")
