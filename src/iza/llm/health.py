"""The ``llm`` component: health for ``iza status`` and checks for ``iza doctor``.

Neither calls a provider: a health check that spends money or hangs on a network is worse
than none. Health reads the configuration and today's journal totals.
"""

from __future__ import annotations

from datetime import UTC, datetime

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.registry import Check, Component, Health

__all__ = ["llm_component"]


def _today(settings: Settings) -> dict[str, float]:
    from iza.kernel.store import Store
    from iza.llm._journal import usage_report

    store = Store.from_settings(settings)
    if store.migration_state().pending:
        return {}
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = usage_report(store, "model", since=start)
    return {"calls_today": sum(r["calls"] for r in rows),
            "cost_today_usd": round(sum(r["cost_usd"] for r in rows), 6)}


def _health(settings: Settings) -> Health:
    from iza.llm._status import llm_status

    st = llm_status(settings)
    if not st["configured"]:
        return Health.degraded("offline: no LLM provider configured (agents use playbooks); "
                               + st["how_to_configure"])
    if st["missing_sdk"]:
        return Health.degraded(f"provider(s) {', '.join(st['missing_sdk'])} configured but the SDK is not "
                               "installed; see `iza doctor`")
    names = ", ".join(p["provider"] for p in st["providers"] if p["configured"])
    try:
        counts = _today(settings) if settings.home.is_dir() else {}
    except IzaError:
        counts = {}
    return Health.ok(f"providers: {names}; default model {st['default_model']}", counts=counts)


def _doctor(settings: Settings) -> list[Check]:
    from iza.llm._catalog import load_prices
    from iza.llm._resolve import parse_aliases, parse_rate_limits
    from iza.llm._status import llm_status

    checks: list[Check] = []
    st = llm_status(settings)
    if not st["configured"]:
        checks.append(Check("llm providers", "warn", "no LLM provider configured: LLM calls are refused",
                            st["how_to_configure"]))
    for p in st["providers"]:
        if p["configured"] and not p["sdk_installed"]:
            checks.append(Check(f"llm {p['provider']}", "fail", f"{p['sdk']} is not installed",
                                f"pip install 'iza-os[{p['extra']}]'"))
        elif p["configured"]:
            checks.append(Check(f"llm {p['provider']}", "ok", f"configured, default {p['default_model']}"))
    for name, fn in (("llm.aliases", parse_aliases), ("llm.rate_limits", parse_rate_limits)):
        try:
            fn(settings.get_str(name))
        except IzaError as exc:
            checks.append(Check(name, "fail", exc.message, exc.fix))
    try:
        load_prices(settings)
    except IzaError as exc:
        checks.append(Check("llm prices", "fail", exc.message, exc.fix))
    return checks


def llm_component() -> Component:
    return Component("llm", "llm", _health, _doctor, title="LLM orchestrator")
