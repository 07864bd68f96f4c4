"""``iza revenue fx``: the explicit FX rate table that ``iza revenue report --currency`` uses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from iza.cli._context import State, emit_json, pass_state

__all__ = ["fx_group"]


def _day(text: str | None) -> date:
    from iza.errors import InputError

    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--date {text!r} is not a date", fix="write dates as YYYY-MM-DD") from None


@click.group("fx")
def fx_group() -> None:
    """Explicit FX rates (no rate is ever fetched or guessed)."""


@fx_group.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate")
@click.option("--date", "day", default=None,
              help="First day the rate applies (YYYY-MM-DD; default: today, UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def fx_set(state: State, base: str, quote: str, rate: str, day: str | None, as_json: bool) -> None:
    """Set 1 BASE = RATE QUOTE from --date on (replaces that day's rate for the pair)."""
    from iza.business._fx import set_rate

    fx = set_rate(state.store(), base, quote, rate, _day(day))
    if as_json:
        emit_json(fx.as_dict())
        return
    state.console().print(f"1 {fx.base.upper()} = {fx.rate} {fx.quote.upper()} from {fx.day.isoformat()}")


@fx_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def fx_list(state: State, as_json: bool) -> None:
    """List every stored rate, by pair and date."""
    from iza.business._fx import list_rates

    rates = list_rates(state.store())
    if as_json:
        emit_json({"rates": [r.as_dict() for r in rates]})
        return
    if not rates:
        state.console().print("no FX rates yet: add one with "
                              "iza revenue fx set EUR USD 1.08 --date YYYY-MM-DD")
        return
    from rich.table import Table

    table = Table("base", "quote", "rate", "from", "source")
    for r in rates:
        table.add_row(r.base.upper(), r.quote.upper(), str(r.rate), r.day.isoformat(), r.source)
    state.console().print(table)


@fx_group.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def fx_import(state: State, file: Path | None, as_json: bool) -> None:
    """Import rates from a CSV file (date,base,quote,rate; default business_data/fx_rates.csv)."""
    from iza.business._fx import import_rates

    path = file or state.settings().home / "business_data" / "fx_rates.csv"
    rates = import_rates(state.store(), path)
    if as_json:
        emit_json({"file": str(path), "imported": len(rates), "rates": [r.as_dict() for r in rates]})
        return
    state.console().print(f"{len(rates)} rate(s) imported from {path}")
