"""The authenticated-client factory: which providers are configured, and their SDK clients.

This module knows about credentials and base URLs; ``iza.llm.providers`` knows about wire
formats. Every client is built with the SDK's own retries turned off (``max_retries=0``, Google's
single-attempt retry options) because the router runs the one retry loop for all providers:
stacked retries multiply latency and make 429 handling unpredictable. Clients are cached per
(provider, base URL, key) so that connection pools are shared by every caller in the process.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from iza.errors import MissingDependency
from iza.kernel.config import Settings
from iza.llm._catalog import load_catalog
from iza.llm._errors import ProviderNotConfigured
from iza.llm.providers.base import Provider

__all__ = ["PROVIDERS", "ProviderConfig", "build_provider", "configured_providers"]

#: Provider names in the order the router prefers them when several are configured.
PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "compat")

_SDK = {
    "openai": ("openai", "openai"),
    "compat": ("openai", "openai"),
    "anthropic": ("anthropic", "anthropic"),
    "google": ("google.genai", "google"),
}


@dataclass(frozen=True)
class ProviderConfig:
    """What is needed to reach one provider. ``key`` is never printed."""

    name: str
    base_url: str
    key: str | None
    key_name: str
    default_model: str

    def public(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "base_url": self.base_url or "(vendor default)",
            "key": f"{self.key_name} set" if self.key else f"{self.key_name} not set",
            "default_model": self.default_model,
        }


def configured_providers(settings: Settings) -> dict[str, ProviderConfig]:
    """Providers with credentials (or, for ``compat``, a base URL), in preference order."""
    defaults = load_catalog()["defaults"]
    found: dict[str, ProviderConfig] = {}
    if key := settings.secret("OPENAI_API_KEY"):
        found["openai"] = ProviderConfig(
            "openai", settings.get_str("llm.openai_base_url"), key, "OPENAI_API_KEY", defaults["openai"]
        )
    if key := settings.secret("ANTHROPIC_API_KEY"):
        found["anthropic"] = ProviderConfig(
            "anthropic",
            settings.get_str("llm.anthropic_base_url"),
            key,
            "ANTHROPIC_API_KEY",
            defaults["anthropic"],
        )
    gkey, gname = settings.secret("GEMINI_API_KEY"), "GEMINI_API_KEY"
    if not gkey:
        gkey, gname = settings.secret("GOOGLE_API_KEY"), "GOOGLE_API_KEY"
    if gkey:
        found["google"] = ProviderConfig(
            "google", settings.get_str("llm.google_base_url"), gkey, gname, defaults["google"]
        )
    if url := settings.get_str("llm.openai_compat_base_url"):
        found["compat"] = ProviderConfig(
            "compat",
            url,
            settings.secret("IZA_OPENAI_COMPAT_API_KEY"),
            "IZA_OPENAI_COMPAT_API_KEY",
            settings.get_str("llm.openai_compat_model"),
        )
    return found


_CLIENTS: dict[tuple[str, str, str], Any] = {}
_LOCK = threading.Lock()


def _import(provider: str) -> Any:
    import importlib

    module, extra = _SDK[provider]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(
            module.replace(".", "-") if "." in module else module,
            extra,
            purpose=f"the {provider} LLM provider",
        ) from None


def _client(cfg: ProviderConfig) -> Any:
    key_hash = hashlib.sha256((cfg.key or "").encode()).hexdigest()
    cache_key = (cfg.name, cfg.base_url, key_hash)
    with _LOCK:
        if cache_key in _CLIENTS:
            return _CLIENTS[cache_key]
    sdk = _import(cfg.name)
    if cfg.name in ("openai", "compat"):
        client = sdk.OpenAI(api_key=cfg.key or "not-needed", base_url=cfg.base_url or None, max_retries=0)
    elif cfg.name == "anthropic":
        client = sdk.Anthropic(api_key=cfg.key, base_url=cfg.base_url or None, max_retries=0)
    else:
        options: dict[str, Any] = {"retry_options": {"attempts": 1}}
        if cfg.base_url:
            options["base_url"] = cfg.base_url
        client = sdk.Client(api_key=cfg.key, http_options=options)
    with _LOCK:
        return _CLIENTS.setdefault(cache_key, client)


def build_provider(name: str, settings: Settings) -> Provider:
    """The provider adapter for ``name`` with an authenticated client, or a clear refusal."""
    configs = configured_providers(settings)
    cfg = configs.get(name)
    if cfg is None:
        if name not in PROVIDERS:
            raise ProviderNotConfigured(
                f"unknown LLM provider {name!r}",
                fix=f"use one of {', '.join(PROVIDERS)} as in 'openai:gpt-4.1-mini'",
            )
        raise ProviderNotConfigured(f"LLM provider {name!r} is not configured")
    client = _client(cfg)
    if name in ("openai", "compat"):
        from iza.llm.providers.openai import OpenAIProvider

        return OpenAIProvider(
            client,
            name=name,
            key_name=cfg.key_name,
            max_tokens_name="max_completion_tokens" if name == "openai" else "max_tokens",
        )
    if name == "anthropic":
        from iza.llm.providers.anthropic import AnthropicProvider

        return AnthropicProvider(client)
    from iza.llm.providers.google import GoogleProvider

    return GoogleProvider(client)
