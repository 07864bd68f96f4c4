"""The packaged price table and model catalog, with the user's overrides applied.

Money: costs are computed in integer nano-dollars (1e-9 USD) so that sums over thousands of
calls do not drift and a 50-token call is not rounded to zero; ``cost_usd`` floats are for display.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from iza.errors import ConfigError
from iza.kernel.config import Settings
from iza.llm._messages import Usage

__all__ = ["PriceTable", "load_catalog", "load_prices"]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, Any]:
    """``{"defaults": {provider: model}, "aliases": {alias: {provider: model}}}``."""
    text = resources.files("iza.llm").joinpath("data/models.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _read_prices(text: str, origin: str) -> dict[str, tuple[float, float]]:
    try:
        raw = json.loads(text)
        return {k: (float(v[0]), float(v[1])) for k, v in raw.items() if not k.startswith("_")}
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ConfigError(
            f"price table {origin} is malformed: {exc}",
            fix='write it as {"provider:model": [input_usd_per_million, output_usd_per_million], ...}',
        ) from exc


#: models already warned about, so that the log gets one line per model, not one per call
_UNPRICED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class PriceTable:
    """USD per million tokens, keyed ``provider:model`` (``provider:*`` as a fallback)."""

    prices: dict[str, tuple[float, float]]
    sources: tuple[str, ...]

    def lookup(self, provider: str, model: str) -> tuple[float, float] | None:
        return self.prices.get(f"{provider}:{model}") or self.prices.get(f"{provider}:*")

    def cost_nanos(self, provider: str, model: str, usage: Usage) -> int:
        """Cost of ``usage`` in nano-dollars; an unknown model costs 0 and is logged."""
        price = self.lookup(provider, model)
        if price is None:
            if (provider, model) not in _UNPRICED:
                _UNPRICED.add((provider, model))
                logger.warning("no price for %s:%s; its cost is recorded as 0 (add it to llm_prices.json)",
                               provider, model)
            return 0
        return round((usage.input_tokens * price[0] + usage.output_tokens * price[1]) * 1000)


def load_prices(settings: Settings) -> PriceTable:
    """Packaged prices, then ``$IZA_HOME/llm_prices.json``, then ``llm.prices_file`` (later wins)."""
    text = resources.files("iza.llm").joinpath("data/prices.json").read_text(encoding="utf-8")
    prices = _read_prices(text, "packaged prices.json")
    sources = ["packaged"]
    candidates = [settings.home / "llm_prices.json"]
    if settings.get_str("llm.prices_file"):
        candidates.append(Path(settings.get_str("llm.prices_file")).expanduser())
    for i, path in enumerate(candidates):
        if not path.exists():
            if i > 0:
                raise ConfigError(
                    f"llm.prices_file {path} does not exist",
                    fix="point llm.prices_file at a JSON price table, or unset it",
                )
            continue
        prices.update(_read_prices(path.read_text(encoding="utf-8"), str(path)))
        sources.append(str(path))
    return PriceTable(prices, tuple(sources))
