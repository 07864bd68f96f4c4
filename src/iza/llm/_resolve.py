"""From what a caller asks for (``None``, an alias, ``provider:model``) to deployments.

Provider names are parsed in one place, here. An alias resolves to one deployment per
*available* provider (configured ones plus any injected in code, such as the fake), in
preference order; aliases in ``llm.aliases`` replace the built-ins of the same name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from iza.errors import ConfigError, InputError
from iza.kernel.config import Settings
from iza.llm._catalog import load_catalog
from iza.llm._errors import ProviderNotConfigured
from iza.llm._router import Deployment

__all__ = ["aliases", "parse_aliases", "parse_rate_limits", "resolve"]


def parse_aliases(text: str) -> dict[str, list[tuple[str, str]]]:
    """``"fast=openai:gpt-4.1-mini,anthropic:claude-haiku-4-5; smart=…"`` → ordered deployments."""
    out: dict[str, list[tuple[str, str]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, targets = part.partition("=")
        pairs = [t.strip().split(":", 1) for t in targets.split(",") if t.strip()]
        if not sep or not name.strip() or not pairs or any(len(p) != 2 or not all(p) for p in pairs):
            raise ConfigError(
                f"llm.aliases entry {part!r} is malformed",
                fix="write llm.aliases as 'name=provider:model,provider:model;name2=…'",
            )
        out[name.strip()] = [(p[0].strip(), p[1].strip()) for p in pairs]
    return out


def parse_rate_limits(text: str) -> dict[str, tuple[int, int]]:
    """``"openai:gpt-4.1-mini=500/200000;…"`` → ``{deployment: (rpm, tpm)}``."""
    out: dict[str, tuple[int, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        dep, sep, limits = part.partition("=")
        rpm, _, tpm = limits.partition("/")
        try:
            out[dep.strip()] = (int(rpm or 0), int(tpm or 0))
        except ValueError:
            raise ConfigError(
                f"llm.rate_limits entry {part!r} is malformed",
                fix="write llm.rate_limits as 'provider:model=RPM/TPM;…'",
            ) from None
        if not sep or ":" not in dep:
            raise ConfigError(
                f"llm.rate_limits entry {part!r} is malformed",
                fix="write llm.rate_limits as 'provider:model=RPM/TPM;…'",
            )
    return out


def aliases(
    settings: Settings, available: Collection[str], defaults: Mapping[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """Every alias with the deployments it would use now (available providers only)."""
    catalog = load_catalog()["aliases"]
    table: dict[str, list[tuple[str, str]]] = {}
    for name, per_provider in catalog.items():
        table[name] = [(p, per_provider.get(p, defaults[p])) for p in available]
    for name, pairs in parse_aliases(settings.get_str("llm.aliases")).items():
        table[name] = [(p, m) for p, m in pairs if p in available]
    return table


def resolve(settings: Settings, model: str | None, available: Mapping[str, str]) -> list[Deployment]:
    """Deployments for ``model``; ``available`` maps each usable provider to its default model."""
    limits = parse_rate_limits(settings.get_str("llm.rate_limits"))

    def dep(provider: str, name: str) -> Deployment:
        rpm, tpm = limits.get(f"{provider}:{name}", (0, 0))
        return Deployment(provider, name, rpm, tpm)

    if not available:
        raise ProviderNotConfigured()
    wanted = model or settings.get_str("llm.default_model")
    if not wanted:
        provider = next(iter(available))
        return [dep(provider, available[provider])]
    table = aliases(settings, list(available), available)
    if wanted in table:
        if not table[wanted]:
            raise ProviderNotConfigured(f"model alias {wanted!r} has no configured provider")
        return [dep(p, m) for p, m in table[wanted]]
    provider, sep, name = wanted.partition(":")
    if sep:
        if provider not in available:
            raise ProviderNotConfigured(f"LLM provider {provider!r} (asked for {wanted!r}) is not configured")
        return [dep(provider, name or available[provider])]
    if wanted in available:
        return [dep(wanted, available[wanted])]
    raise InputError(
        f"unknown model {wanted!r}",
        fix=f"use an alias ({', '.join(sorted(table))}) or 'provider:model' such as "
        f"'{next(iter(available))}:{available[next(iter(available))]}'",
    )
