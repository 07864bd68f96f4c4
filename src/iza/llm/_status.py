"""What the LLM layer can do right now: providers, SDKs, the default model and aliases.

Used by ``iza llm status|providers`` and the health component. It never calls a provider:
status must be instant and must work offline.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from iza.kernel.config import Settings
from iza.llm._catalog import load_catalog
from iza.llm._clients import _SDK, PROVIDERS, configured_providers
from iza.llm._errors import _CONFIGURE
from iza.llm._resolve import aliases

__all__ = ["llm_status"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def llm_status(settings: Settings) -> dict[str, Any]:
    """``{"configured", "mode", "providers", "default_model", "aliases", "how_to_configure", …}``."""
    configs = configured_providers(settings)
    defaults = {n: c.default_model for n, c in configs.items()}
    providers = []
    for name in PROVIDERS:
        module, extra = _SDK[name]
        cfg = configs.get(name)
        entry: dict[str, Any] = {
            "provider": name,
            "configured": cfg is not None,
            "sdk": module,
            "sdk_installed": _installed(module),
            "extra": extra,
        }
        if cfg is not None:
            entry.update(cfg.public())
        providers.append(entry)
    default = settings.get_str("llm.default_model")
    if not default and configs:
        first = next(iter(configs))
        default = f"{first}:{defaults[first]}"
    table = (
        aliases(settings, list(configs), defaults)
        if configs
        else {name: [] for name in load_catalog()["aliases"]}
    )
    missing_sdk = [p["provider"] for p in providers if p["configured"] and not p["sdk_installed"]]
    return {
        "configured": bool(configs),
        "mode": "online" if configs else "offline",
        "providers": providers,
        "default_model": default or None,
        "aliases": {k: [f"{p}:{m}" for p, m in v] for k, v in sorted(table.items())},
        "strategy": settings.get_str("llm.strategy"),
        "missing_sdk": missing_sdk,
        "how_to_configure": None if configs else _CONFIGURE,
    }
