"""Settings: loaded once, in a fixed order, into a frozen object that gets passed down.

Order (later wins): defaults → ``$IZA_HOME/iza.toml`` → ``IZA_*`` environment → CLI flags.
The data home itself comes from ``--home``, then ``IZA_HOME``, then ``~/.iza``: it cannot be set in
``iza.toml`` because that file lives inside it.

This is the only module that reads ``os.environ`` (a ruff rule bans it elsewhere). Code that
needs a vendor variable such as ``OPENAI_API_KEY`` asks ``settings.secret("OPENAI_API_KEY")``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iza.errors import ConfigError
from iza.kernel._settings_table import SECRETS, SETTINGS, Secret, Setting

__all__ = ["SECRETS", "SETTINGS", "Secret", "Setting", "Settings", "load", "redact_url", "set_library_env"]

_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
_SECRET_NAMES = frozenset(s.env for s in SECRETS)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
#: ``IZA_*`` variables that are not settings but are read here on purpose.
_OTHER_ENV = {"IZA_HOME"} | {n for n in _SECRET_NAMES if n.startswith("IZA_")}


@dataclass(frozen=True)
class Settings:
    """The resolved settings. ``settings["server.port"]`` reads one; ``source(name)`` says where
    it came from (``default``, the toml path, ``env:NAME`` or ``cli``)."""

    home: Path
    values: Mapping[str, Any]
    sources: Mapping[str, str]
    _secrets: Mapping[str, str] = field(repr=False, default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise ConfigError(f"unknown setting {name!r}") from None

    def get_str(self, name: str) -> str:
        return str(self[name])

    def get_int(self, name: str) -> int:
        return int(self[name])

    def get_bool(self, name: str) -> bool:
        return bool(self[name])

    def source(self, name: str) -> str:
        return self.sources[name]

    def secret(self, env_name: str) -> str | None:
        """The value of a secret environment variable, or ``None`` when unset or empty."""
        if env_name not in _SECRET_NAMES:
            raise ConfigError(f"{env_name} is not a declared secret")
        value = self._secrets.get(env_name, "")
        return value or None

    def secrets_status(self) -> dict[str, bool]:
        """Which secrets are set, without their values."""
        return {s.env: bool(self._secrets.get(s.env)) for s in SECRETS}

    @property
    def toml_path(self) -> Path:
        return self.home / "iza.toml"

    @property
    def database_url(self) -> str:
        url = self.get_str("database_url")
        if not url:
            return f"sqlite:///{self.home / 'data' / 'iza.db'}"
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some settings replaced (as if given on the command line)."""
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in overrides.items():
            values[name] = _coerce(_setting(name), value, "cli")
            sources[name] = "cli"
        return Settings(self.home, values, sources, self._secrets, self.warnings)

    def public_view(self) -> dict[str, Any]:
        """Every setting with its value and source, secrets redacted; for display."""
        out: dict[str, Any] = {"home": str(self.home), "settings": {}, "secrets": {}}
        for s in SETTINGS:
            value = self.values[s.name]
            if s.name == "database_url":
                value = redact_url(self.database_url)
            out["settings"][s.name] = {"value": value, "source": self.sources[s.name]}
        for name, present in self.secrets_status().items():
            out["secrets"][name] = "set (redacted)" if present else "not set"
        return out


def redact_url(url: str) -> str:
    """Hide the password in a URL such as ``postgresql://user:pw@host/db``."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def _setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(
            f"unknown setting {name!r}",
            fix="run `iza config show` for the list of settings",
        ) from None


def _coerce(setting: Setting, raw: Any, origin: str) -> Any:
    value: Any = raw
    try:
        if setting.type is bool:
            if isinstance(raw, str):
                low = raw.strip().lower()
                if low not in _TRUE | _FALSE:
                    raise ValueError(raw)
                value = low in _TRUE
            elif not isinstance(raw, bool):
                raise ValueError(raw)
        elif setting.type is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            value = int(raw)
        elif setting.type is float:
            value = float(raw)
        else:
            if not isinstance(raw, str):
                raise ValueError(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {setting.name!r} from {origin} must be a {setting.type.__name__}, got {raw!r}",
            fix=f"fix the value in {origin}",
        ) from None
    if setting.choices and value not in setting.choices:
        raise ConfigError(
            f"setting {setting.name!r} from {origin} is {value!r}; "
            f"choose one of {', '.join(setting.choices)}",
            fix=f"fix the value in {origin}",
        )
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and name not in _BY_NAME:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def read_toml(path: Path) -> dict[str, Any]:
    """Parse ``iza.toml`` into flat ``section.key`` names; errors name the file and the fix."""
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read settings file {path}: {exc}",
            fix=f"make {path} a readable UTF-8 file (or remove it to use defaults)",
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"settings file {path} is not valid TOML: {exc}",
            fix=f"correct the syntax in {path}; `iza config show` checks it",
        ) from exc
    flat = _flatten(data)
    secrets = sorted(k for k in flat if k.upper() in _SECRET_NAMES)
    if secrets:
        raise ConfigError(
            f"{path} contains secret {secrets[0]!r}; secrets are read from the environment only",
            fix=f"remove it from {path} and export {secrets[0].upper()} instead",
        )
    unknown = sorted(k for k in flat if k not in _BY_NAME)
    if unknown:
        raise ConfigError(
            f"unknown setting {unknown[0]!r} in {path}",
            fix="fix the spelling or remove it; `iza config show` lists every setting",
        )
    return flat


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    raw = env.get("IZA_HOME") or "~/.iza"
    return Path(raw).expanduser().resolve()


def load(
    home: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve the settings. ``environ`` defaults to the process environment (tests pass one)."""
    env = os.environ if environ is None else environ
    home_path = Path(home).expanduser().resolve() if home else default_home(env)
    if home_path.exists() and not home_path.is_dir():
        raise ConfigError(
            f"the data home {home_path} is a file, not a folder",
            fix="choose a folder with --home DIR or IZA_HOME",
        )
    toml_path = home_path / "iza.toml"
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = s.default, "default"
    for name, raw in read_toml(toml_path).items():
        values[name] = _coerce(_BY_NAME[name], raw, str(toml_path))
        sources[name] = str(toml_path)
    for s in SETTINGS:
        for env_name in (s.env_name, *s.env):
            if env.get(env_name, "") != "":
                values[s.name] = _coerce(s, env[env_name], f"environment variable {env_name}")
                sources[s.name] = f"env:{env_name}"
                break
    for name, raw in (overrides or {}).items():
        if raw is None:
            continue
        values[name] = _coerce(_setting(name), raw, "the command line")
        sources[name] = "cli"
    known_env = {s.env_name for s in SETTINGS} | {e for s in SETTINGS for e in s.env} | _OTHER_ENV
    warnings = tuple(
        f"environment variable {name} is not an IZA setting (ignored)"
        for name in sorted(env)
        if name.startswith("IZA_") and name not in known_env and not name.startswith("IZA_TEST")
    )
    secrets = {s.env: env.get(s.env, "") for s in SECRETS}
    return Settings(home_path, values, sources, secrets, warnings)


def set_library_env(name: str, value: str, *, only_if_unset: bool = False) -> None:
    """Set an environment variable a third-party library reads at import time and offers no other
    switch for (mem0's ``MEM0_TELEMETRY``). Kept here so that this module stays the only one that
    touches ``os.environ``; callers say in a comment why the library needs it."""
    if only_if_unset:
        os.environ.setdefault(name, value)
    else:
        os.environ[name] = value
