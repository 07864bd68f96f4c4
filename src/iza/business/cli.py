"""``iza catalog`` and ``iza stripe``: thin commands over the business services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["catalog_group", "stripe_group"]


def _catalog(state: State):  # type: ignore[no-untyped-def]
    from iza.business._catalog import load_catalog

    return load_catalog(state.settings().home)


@click.group("catalog")
def catalog_group() -> None:
    """The service & pricing catalog (packaged defaults plus your overrides)."""


@catalog_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def catalog_list(state: State, as_json: bool) -> None:
    """List services and their prices."""
    catalog = _catalog(state)
    if as_json:
        emit_json({"sources": list(catalog.sources),
                   "services": [s.as_dict() for s in catalog.services]})
        return
    from rich.table import Table

    table = Table("service", "name", "team", "prices")
    for s in catalog.services:
        table.add_row(s.slug, s.name, s.team, "\n".join(f"{p.key}: {p.label()}" for p in s.prices))
    state.console().print(table)


@catalog_group.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def catalog_show(state: State, slug: str, as_json: bool) -> None:
    """Show one service: description, delivering team and playbook, tiers and prices."""
    service = _catalog(state).get(slug)
    if as_json:
        emit_json(service.as_dict())
        return
    con = state.console()
    con.print(f"[bold]{service.name}[/] ({service.slug}) — {service.category}")
    con.print(service.description)
    con.print(f"team: {service.team}   playbook: {service.playbook}   "
              f"delivery: {service.delivery_days} day(s)   from: {service.origin}")
    for p in service.prices:
        con.print(f"  {p.key:32} {p.tier:10} {p.label()}")
    for f in service.features:
        con.print(f"  • {f}")


@click.group("stripe")
def stripe_group() -> None:
    """Stripe: checkout links, catalog sync, event replay and reconciliation."""


@stripe_group.command("replay")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def stripe_replay(state: State, file: Path, as_json: bool) -> None:
    """Re-process saved Stripe events (a JSON event, a list, or JSON lines) in created order.

    Replaying is idempotent: events already processed are reported as duplicates."""
    from iza._system import wire_events
    from iza.business._webhook import load_events_file, process_event

    events = load_events_file(file)
    store = state.store()
    unwire = wire_events(state.settings(), store, background=False)  # paid orders → missions
    try:
        results = [process_event(store, ev) for ev in events]
    finally:
        unwire()
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    if as_json:
        emit_json({"file": str(file), "events": len(results), "outcomes": counts,
                   "results": [r.as_dict() for r in results]})
        return
    for r in results:
        state.console().print(f"{r.event_id:28} {r.type:40} {r.outcome}")
    state.console().print(f"{len(results)} event(s): " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@stripe_group.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def stripe_sync(state: State, as_json: bool) -> None:
    """Create the catalog's products and prices in Stripe (idempotent, by lookup key)."""
    from iza.business._stripe_api import sync_catalog

    ids = sync_catalog(state.ready_settings(), _catalog(state))
    if as_json:
        emit_json({"prices": ids})
        return
    for key, pid in ids.items():
        state.console().print(f"{key:36} {pid}")


@stripe_group.command("checkout")
@click.argument("service")
@click.option("--email", required=True, help="The buyer's e-mail address.")
@click.option("--price", "price_key", default=None, help="Price key (default: the first price).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def stripe_checkout(state: State, service: str, email: str, price_key: str | None,
                    as_json: bool) -> None:
    """Create an order and a Stripe Checkout Session for SERVICE; print the payment URL."""
    from iza.business._stripe_api import create_checkout

    link = create_checkout(state.ready_settings(), state.store(), _catalog(state), service,
                           email=email, price_key=price_key)
    if as_json:
        emit_json(link.as_dict())
        return
    click.echo(link.url)
    state.console(stderr=True).print(f"order {link.order_id} ({link.service}, {link.price_key}) "
                                     f"waits for payment of session {link.session_id}")


def _parse_day(value: str | None, default: datetime) -> datetime:
    if value is None:
        return default
    from iza.errors import InputError

    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{value!r} is not a date", fix="write dates as YYYY-MM-DD") from None


@stripe_group.command("reconcile")
@click.option("--from", "start", default=None, help="Start date (YYYY-MM-DD, default: 30 days ago).")
@click.option("--to", "end", default=None, help="End date, exclusive (default: now).")
@click.option("--apply-fees", is_flag=True, help="Book Stripe fees missing from the ledger first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def stripe_reconcile(state: State, start: str | None, end: str | None, apply_fees: bool,
                     as_json: bool) -> None:
    """Compare the ledger with Stripe's balance transactions; exit 1 when they drift."""
    from iza.business._money import format_minor
    from iza.business._stripe_api import reconcile

    now = datetime.now(UTC)
    drift = reconcile(state.ready_settings(), state.store(), _parse_day(start, now - timedelta(days=30)),
                      _parse_day(end, now), apply_fees=apply_fees)
    report = drift.as_dict()
    if as_json:
        emit_json(report)
    else:
        con = state.console()
        con.print(f"{drift.transactions} balance transaction(s); {drift.fees_applied} fee(s) booked")
        for d in drift.differences():
            con.print(f"[red]drift[/] {d['currency'].upper()} {d['category']}: ledger "
                      f"{format_minor(d['ledger_minor'], d['currency'])} vs Stripe "
                      f"{format_minor(d['stripe_minor'], d['currency'])}")
        if report["in_balance"]:
            con.print("[green]ledger and Stripe agree[/]")
    if not report["in_balance"]:
        raise SystemExit(1)
