"""Explicit FX rates: the only way figures in two currencies are ever added together.

Rates are data the owner enters (``iza revenue fx set EUR USD 1.08 --date 2026-03-31``, or a
CSV file imported with ``iza revenue fx import``), stored in ``biz_fx_rates`` as exact decimal
text with the day from which they apply. Nothing is fetched and nothing is guessed: converting a
report into one currency needs, for every other currency in it, a rate for that pair (or its
inverse) dated on or before the report's last day, and a missing one is an error that names
the pair and the command that adds it.

Conversion rule (also in docs/business.md): each per-currency figure is converted at the
latest rate on or before the period's last local day (the closing rate), with
``amount × rate × 10^(exponent(target) − exponent(source))`` rounded once, half to even, to the
target's minor unit; converted figures are then added. A rate entered for ``EUR→USD`` also
converts ``USD→EUR`` as ``1 / rate``; no rate is derived through a third currency.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from iza.business._models import FxRateRow
from iza.business._money import exponent, normalise_currency
from iza.errors import InputError
from iza.kernel.store import Store, utcnow

__all__ = [
    "FxRate",
    "FxTable",
    "MissingFxRate",
    "convert_minor",
    "convert_report",
    "import_rates",
    "list_rates",
    "parse_rate",
    "rate_table",
    "set_rate",
]

#: Money fields of the revenue report keyed by currency, with how their values are shaped.
_FLAT = ("mrr", "mrr_start", "arr", "arpa")
_NESTED = ("movements", "revenue", "margin")


class MissingFxRate(InputError):
    """A conversion needs a rate the FX table does not have."""


@dataclass(frozen=True)
class FxRate:
    """``1 base = rate quote`` from ``day`` on (until a later rate for the pair)."""

    base: str
    quote: str
    rate: Decimal
    day: date
    source: str = "cli"

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "quote": self.quote, "rate": str(self.rate),
                "date": self.day.isoformat(), "source": self.source}


def parse_rate(text: str) -> Decimal:
    """A positive, finite decimal; kept exactly as written (no float on the way)."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InputError(f"FX rate {text!r} is not a number",
                         fix="write the rate as a plain decimal such as 1.08") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"FX rate {text!r} must be a positive number",
                         fix="write how many units of the quote currency one unit of the base buys")
    if len(str(value)) > 40:
        raise InputError(f"FX rate {text!r} is too long", fix="use at most 30 significant digits")
    return value


def _pair(base: str, quote: str) -> tuple[str, str]:
    b, q = normalise_currency(base), normalise_currency(quote)
    if b == q:
        raise InputError(f"an FX rate needs two different currencies, got {b.upper()} twice",
                         fix="name the base and the quote currency, e.g. EUR USD")
    return b, q


def set_rate(store: Store, base: str, quote: str, rate: str, day: date,
             source: str = "cli") -> FxRate:
    """Store (or replace) the rate for ``base→quote`` from ``day``."""
    b, q = _pair(base, quote)
    value = parse_rate(rate)
    with store.transaction() as session:
        row = session.get(FxRateRow, (b, q, day))
        if row is None:
            row = FxRateRow(base=b, quote=q, day=day)
            session.add(row)
        row.rate, row.source, row.updated_at = str(value), source[:200], utcnow()
    return FxRate(b, q, value, day, source[:200])


def list_rates(store: Store) -> list[FxRate]:
    with store.read() as session:
        rows = session.scalars(sa.select(FxRateRow).order_by(
            FxRateRow.base, FxRateRow.quote, FxRateRow.day)).all()
        return [FxRate(r.base, r.quote, Decimal(r.rate), r.day, r.source) for r in rows]


def import_rates(store: Store, path: Path) -> list[FxRate]:
    """Rates from a CSV file with columns ``date,base,quote,rate``; every row is checked before
    any is stored, and an error names the file, line and column."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", fix="check the path") from None
    reader = csv.DictReader(text.splitlines())
    missing = {"date", "base", "quote", "rate"} - set(reader.fieldnames or [])
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(sorted(missing))}",
                         fix="the header must be date,base,quote,rate")
    parsed: list[tuple[str, str, str, date]] = []
    for line, row in enumerate(reader, start=2):
        col = "date"
        try:
            day = date.fromisoformat((row.get("date") or "").strip())
            col = "base/quote"
            b, q = _pair(row.get("base") or "", row.get("quote") or "")
            col = "rate"
            parse_rate(row.get("rate") or "")
        except (ValueError, InputError) as exc:
            reason = exc.message if isinstance(exc, InputError) else "not a date (YYYY-MM-DD)"
            raise InputError(f"{path}, line {line}, column {col}: {reason}",
                             fix="correct the row and import again; nothing was stored") from None
        parsed.append((b, q, (row.get("rate") or "").strip(), day))
    return [set_rate(store, b, q, r, d, source=f"file:{path.name}") for b, q, r, d in parsed]


class FxTable:
    """The rates in force on one day: the latest per pair dated on or before it."""

    def __init__(self, as_of: date, rates: dict[tuple[str, str], FxRate]) -> None:
        self.as_of = as_of
        self.rates = rates

    def rate(self, source: str, target: str) -> tuple[Decimal, FxRate | None]:
        """The factor from ``source`` to ``target`` and the stored rate it comes from."""
        if source == target:
            return Decimal(1), None
        direct = self.rates.get((source, target))
        if direct is not None:
            return direct.rate, direct
        inverse = self.rates.get((target, source))
        if inverse is not None:
            return Decimal(1) / inverse.rate, inverse
        raise MissingFxRate(
            f"no FX rate {source.upper()}→{target.upper()} (or {target.upper()}→{source.upper()}) "
            f"dated on or before {self.as_of.isoformat()}",
            fix=f"add one: iza revenue fx set {source.upper()} {target.upper()} RATE "
                f"--date {self.as_of.isoformat()}")

    def check(self, currencies: set[str], target: str) -> None:
        """Raise one error naming every missing pair, not only the first."""
        missing = [c for c in sorted(currencies) if c != target
                   and (c, target) not in self.rates and (target, c) not in self.rates]
        if len(missing) == 1:
            self.rate(missing[0], target)  # raises with the command that adds it
        if missing:
            pairs = ", ".join(f"{c.upper()}→{target.upper()}" for c in missing)
            raise MissingFxRate(
                f"no FX rates for {pairs} dated on or before {self.as_of.isoformat()}",
                fix="add them with `iza revenue fx set BASE QUOTE RATE --date "
                    f"{self.as_of.isoformat()}`")


def rate_table(store: Store, as_of: date) -> FxTable:
    latest: dict[tuple[str, str], FxRate] = {}
    with store.read() as session:
        rows = session.scalars(sa.select(FxRateRow).where(FxRateRow.day <= as_of)
                               .order_by(FxRateRow.day)).all()
        for r in rows:  # ordered by day, so the last one per pair wins
            latest[(r.base, r.quote)] = FxRate(r.base, r.quote, Decimal(r.rate), r.day, r.source)
    return FxTable(as_of, latest)


def convert_minor(amount_minor: int, source: str, target: str, table: FxTable) -> int:
    """Minor units of ``source`` → minor units of ``target``, rounded once, half to even."""
    factor, _ = table.rate(source, target)
    scaled = Decimal(amount_minor) * factor * Decimal(10) ** (exponent(target) - exponent(source))
    return int(scaled.to_integral_value(ROUND_HALF_EVEN))


def _currencies(report: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in (*_FLAT, *_NESTED):
        found.update((report.get(key) or {}).keys())
    for per_cur in (report.get("by_service") or {}).values():
        found.update(per_cur.keys())
    return found


def _sum_nested(per_cur: dict[str, dict[str, Any]], target: str, table: FxTable) -> dict[str, int]:
    out: dict[str, int] = {}
    for cur, figures in per_cur.items():
        for k, v in figures.items():
            if isinstance(v, int) and not isinstance(v, bool):
                out[k] = out.get(k, 0) + convert_minor(v, cur, target, table)
    return out


def convert_report(report: dict[str, Any], currency: str, table: FxTable) -> dict[str, Any]:
    """The report's money figures converted into ``currency`` and added (the ``converted`` key).

    Ratios (churn, retention) and counts are not money and stay per currency."""
    target = normalise_currency(currency)
    currencies = _currencies(report)
    table.check(currencies, target)
    used = []
    for cur in sorted(currencies - {target}):
        factor, stored = table.rate(cur, target)
        assert stored is not None
        used.append({"from": cur, "to": target, "factor": str(factor), "rate": stored.as_dict()})
    out: dict[str, Any] = {"currency": target, "as_of": table.as_of.isoformat(), "rates": used,
                           "rule": "closing rate (latest on or before as_of); each currency's "
                                   "figure rounded half to even, then added"}
    for key in _FLAT:
        values = report.get(key) or {}
        out[key] = sum(convert_minor(int(v), cur, target, table) for cur, v in values.items()
                       if isinstance(v, int))
    for key in _NESTED:
        out[key] = _sum_nested(report.get(key) or {}, target, table)
    out["by_service"] = {slug: _sum_nested(per_cur, target, table)
                         for slug, per_cur in sorted((report.get("by_service") or {}).items())}
    return out
