"""What every command shares: the settings (loaded once), output helpers and the store."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console

    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = ["State", "emit_json", "pass_state"]


@dataclass
class State:
    home: str | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def settings(self, **overrides: Any) -> Settings:
        """Settings from defaults, iza.toml, environment, then ``overrides`` (CLI flags)."""
        from iza.kernel.config import load

        if self._settings is None:
            self._settings = load(self.home)
        given = {k: v for k, v in overrides.items() if v is not None}
        return self._settings.with_overrides(**given) if given else self._settings

    def ready_settings(self, **overrides: Any) -> Settings:
        """Settings with the data home created (every command that needs the home uses this)."""
        from iza.kernel.home import ensure_home

        settings = self.settings(**overrides)
        ensure_home(settings)
        if not self.debug:
            _log_to_file(settings)
        return settings

    def store(self, migrate: bool = True) -> Store:
        """The store, its schema brought up to date on first use."""
        from iza.kernel.store import Store

        store = Store.from_settings(self.ready_settings())
        if migrate:
            store.ensure_schema()
        return store

    def console(self, stderr: bool = False) -> Console:
        from rich.console import Console

        return Console(stderr=stderr, highlight=False, soft_wrap=True)


pass_state = click.make_pass_decorator(State, ensure=True)


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def _log_to_file(settings: Settings) -> None:
    import logging

    logger = logging.getLogger("iza")
    if any(isinstance(h, logging.FileHandler) for h in logger.handlers):
        return
    handler = logging.FileHandler(settings.home / "logs" / "iza.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(settings.get_str("log_level"))
