"""The kernel's own health and ``iza doctor`` checks: data home, settings, store, services."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.home import LAYOUT
from iza.kernel.registry import Check, Component, Health

if TYPE_CHECKING:
    from iza.kernel.store import Store

__all__ = ["OPTIONAL_PACKAGES", "kernel_component"]

#: import name → (extra, what it enables)
OPTIONAL_PACKAGES: dict[str, tuple[str, str]] = {
    "psycopg": ("postgres", "PostgreSQL store"),
    "openai": ("openai", "OpenAI and OpenAI-compatible providers"),
    "anthropic": ("anthropic", "Anthropic provider"),
    "google.genai": ("google", "Google Gemini provider"),
    "chromadb": ("chroma", "Chroma memory backend"),
    "celery": ("celery", "Celery executor"),
    "stripe": ("stripe", "Stripe payments"),
}

_PROVIDER_SECRETS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def configured_providers(settings: Settings) -> list[str]:
    found = [name for name in _PROVIDER_SECRETS if settings.secret(name)]
    if settings.get_str("llm.openai_compat_base_url"):
        found.append("IZA_OPENAI_COMPAT_BASE_URL")
    return found


def _health(settings: Settings) -> Health:
    from iza.kernel.store import Store

    home = settings.home
    if not home.is_dir():
        return Health.degraded(f"data home {home} does not exist yet; run `iza init`")
    if not os.access(home, os.W_OK):
        return Health.down(f"data home {home} is not writable")
    store = Store.from_settings(settings)
    try:
        state = store.migration_state()
    except IzaError as exc:
        return Health.down(str(exc))
    if state.pending:
        return Health.degraded(
            f"store {store.display_url}: migrations pending ({', '.join(state.heads)}); "
            "run `iza db migrate`"
        )
    return Health.ok(f"store {store.dialect} at {store.display_url}, schema current",
                     counts=_counts(store))


def _counts(store: Store) -> dict[str, int]:
    import sqlalchemy as sa

    from iza.kernel._models import ApiTokenRow, EventRow

    with store.read() as session:
        events = session.scalar(sa.select(sa.func.count()).select_from(EventRow)) or 0
        undelivered = session.scalar(
            sa.select(sa.func.count()).select_from(EventRow)
            .where(EventRow.delivered_at.is_(None))) or 0
        tokens = session.scalar(
            sa.select(sa.func.count()).select_from(ApiTokenRow)
            .where(ApiTokenRow.revoked_at.is_(None))) or 0
    return {"events": events, "undelivered events": undelivered, "api tokens": tokens}


def _reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=1.5):
            return True, f"{host}:{port}"
    except OSError as exc:
        return False, f"{host}:{port} ({exc.strerror or exc})"


def _doctor(settings: Settings) -> list[Check]:
    from iza.kernel.store import Store

    checks: list[Check] = []
    py = ".".join(map(str, sys.version_info[:3]))
    checks.append(Check("python", "ok", f"Python {py}"))
    for warning in settings.warnings:
        checks.append(Check("settings", "warn", warning, "unset it or fix the spelling"))
    home = settings.home
    missing = [rel for rel in LAYOUT if not (home / rel).is_dir()]
    if not home.is_dir() or missing:
        checks.append(Check("data home", "fail", f"{home} is missing {', '.join(missing) or 'entirely'}",
                            "run `iza init`"))
    elif not os.access(home, os.W_OK):
        checks.append(Check("data home", "fail", f"{home} is not writable",
                            "fix its permissions or choose another with --home / IZA_HOME"))
    else:
        checks.append(Check("data home", "ok", str(home)))

    store = Store.from_settings(settings)
    try:
        store.ping()
        checks.append(Check("database", "ok", f"{store.dialect} at {store.display_url} answers"))
        state = store.migration_state()
        if state.pending:
            checks.append(Check("migrations", "fail",
                                f"schema at {', '.join(state.current) or 'nothing'}, "
                                f"code at {', '.join(state.heads)}", "run `iza db migrate`"))
        else:
            checks.append(Check("migrations", "ok", f"at {', '.join(state.heads)}"))
    except IzaError as exc:
        checks.append(Check("database", "fail", str(exc), exc.fix))

    for module, (extra, purpose) in OPTIONAL_PACKAGES.items():
        if _installed(module):
            checks.append(Check(f"package {module}", "ok", f"installed ({purpose})"))
        else:
            needed = (module == "psycopg" and not settings.is_sqlite) or (
                module == "celery" and settings.get_str("executor") == "celery")
            checks.append(Check(f"package {module}", "fail" if needed else "info",
                                f"not installed ({purpose})", f"pip install 'iza-os[{extra}]'"))

    providers = configured_providers(settings)
    if providers:
        checks.append(Check("llm providers", "ok", "configured: " + ", ".join(providers)))
    else:
        checks.append(Check(
            "llm providers", "warn",
            "no LLM provider configured: agents use offline playbooks, labelled as such",
            "export OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY, "
            "or IZA_OPENAI_COMPAT_BASE_URL for a local server",
        ))

    if settings.get_str("executor") == "celery":
        ok, where = _reachable(settings.get_str("celery.broker_url"), 6379)
        checks.append(Check("celery broker", "ok" if ok else "fail", f"broker at {where}",
                            None if ok else "start the broker or set executor = \"inprocess\""))
    if settings.get_str("memory.backend") == "chroma":
        ok, where = _reachable(settings.get_str("memory.chroma_url"), 8000)
        checks.append(Check("chroma", "ok" if ok else "fail", f"Chroma at {where}",
                            None if ok else "start `chroma run` or set memory.backend = \"sqlite\""))
    return checks


def kernel_component() -> Component:
    return Component("kernel", "kernel", _health, _doctor, "Kernel: settings, store, event bus")
