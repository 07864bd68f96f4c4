"""The revenue report: one function that the CLI, the JSON API and the dashboard share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from iza.business._analytics import mrr_timeline, revenue, subscription_report, zone
from iza.business._costs import cost_sources
from iza.business._llm_costs import JOURNAL_SOURCE
from iza.errors import InputError
from iza.kernel.config import Settings
from iza.kernel.store import Store

__all__ = ["parse_period", "revenue_report", "timeline_report"]


def parse_period(settings: Settings, start: str | None, end: str | None,
                 default_months: int = 0) -> tuple[datetime, datetime]:
    """``--from``/``--to`` dates (YYYY-MM-DD, local midnight in business.timezone); ``--to`` is
    exclusive. Defaults: from the start of the current month (minus ``default_months``) to now."""
    tz = zone(settings.get_str("business.timezone"))

    def day(text: str, flag: str) -> datetime:
        try:
            d = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{flag} {text!r} is not a date", fix="write dates as YYYY-MM-DD") from None
        return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)

    now = datetime.now(UTC)
    if start is None:
        local = now.astimezone(tz)
        y, m = local.year, local.month - default_months
        while m < 1:
            y, m = y - 1, m + 12
        lo = datetime(y, m, 1, tzinfo=tz).astimezone(UTC)
    else:
        lo = day(start, "--from")
    hi = day(end, "--to") if end is not None else now + timedelta(seconds=1)
    if hi <= lo:
        raise InputError("--to must be after --from", fix="swap the dates")
    return lo, hi


def revenue_report(settings: Settings, store: Store, start: datetime, end: datetime,
                   currency: str | None = None) -> dict[str, Any]:
    """The report, per currency; with ``currency``, also its money figures converted into that
    currency with the explicit FX table (``converted``), or an error naming a missing rate."""
    from iza.business._cohorts import trial_conversion

    subs = subscription_report(store, start, end)
    money = revenue(store, start, end)
    sources = sorted(cost_sources())
    report = {
        "period": {"from": start.isoformat(), "to": end.isoformat(),
                   "timezone": settings.get_str("business.timezone")},
        "units": "integer minor units per currency; currencies are never summed together",
        **subs,
        **money,
        "trial_conversion": trial_conversion(store, start, end),
        "llm_costs_source": "ledger llm_cost rows + " + ", ".join([JOURNAL_SOURCE, *sources]),
    }
    if currency is not None:
        from iza.business._fx import convert_report, rate_table

        # the closing rate: the period's last local day (``end`` is exclusive)
        last_day = (end - timedelta(microseconds=1)).astimezone(
            zone(settings.get_str("business.timezone"))).date()
        report["converted"] = convert_report(report, currency, rate_table(store, last_day))
    return report


def timeline_report(settings: Settings, store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    tz = zone(settings.get_str("business.timezone"))
    months = mrr_timeline(store, start, end, tz)
    for m in months:
        y, mo = (int(x) for x in m["month"].split("-"))
        lo = datetime(y, mo, 1, tzinfo=tz).astimezone(UTC)
        hi = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=tz).astimezone(UTC)
        m["revenue"] = revenue(store, lo, hi)["revenue"]
    return months
