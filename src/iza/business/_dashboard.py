"""Everything the revenue dashboard shows, as one JSON-able dict (page, API and tests share it)."""

from __future__ import annotations

from typing import Any

from iza.business._analytics import zone
from iza.business._cohorts import cohort_retention
from iza.business._leads import funnel
from iza.business._report import parse_period, revenue_report, timeline_report
from iza.kernel.config import Settings
from iza.kernel.store import Store

__all__ = ["dashboard_data"]


def dashboard_data(settings: Settings, store: Store, months: int = 12) -> dict[str, Any]:
    """This month's KPIs and movements, the last ``months`` months of MRR and revenue, revenue
    and margin by service for the same window, and the leads funnel."""
    this_month = parse_period(settings, None, None)
    window = parse_period(settings, None, None, default_months=months - 1)
    report = revenue_report(settings, store, *this_month)
    window_report = revenue_report(settings, store, *window)
    currencies = sorted(set(report["mrr"]) | set(window_report["revenue"]))
    return {
        "period": report["period"],
        "currencies": currencies,
        "kpis": {cur: {
            "mrr": report["mrr"].get(cur, 0), "arr": report["arr"].get(cur, 0),
            "net_revenue": report["revenue"].get(cur, {}).get("net", 0),
            "margin": report["margin"].get(cur, {}).get("margin", 0),
            "nrr": report["retention"].get(cur, {}).get("nrr"),
            "customers": report["customers"].get(cur, {}).get("active_end", 0),
        } for cur in currencies},
        "waterfall": {cur: {"start": report["mrr_start"].get(cur, 0),
                            **{k: v for k, v in report["movements"].get(cur, {}).items() if k != "net"},
                            "end": report["mrr"].get(cur, 0)} for cur in report["mrr"]},
        "timeline": timeline_report(settings, store, *window),
        "by_service": window_report["by_service"],
        "funnel": funnel(store)["all"],
        "cohorts": cohort_retention(store, *window, zone(settings.get_str("business.timezone"))),
        "llm_costs_source": report["llm_costs_source"],
    }
