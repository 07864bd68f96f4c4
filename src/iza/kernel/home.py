"""The data home: ``$IZA_HOME`` laid out as in ARCHITECTURE.md.

``ensure_home`` is idempotent and never overwrites a file the user has: it creates missing
folders and writes ``iza.toml`` only when there is none. Every command that needs the home calls
it, so a first run works without ``iza init``.
"""

from __future__ import annotations

import os
import secrets as _secrets
from pathlib import Path

from iza.errors import ConfigError
from iza.kernel.config import SETTINGS, Settings

__all__ = ["LAYOUT", "ensure_home", "secret_key", "toml_template"]

#: Folders of the data home, relative to it.
LAYOUT: tuple[str, ...] = (
    "data",
    "data/memories",
    "data/performance",
    "business_data",
    "workflows",
    "apps",
    "logs",
)


def toml_template() -> str:
    """A commented ``iza.toml`` listing every setting at its default."""
    lines = [
        "# IZA OS settings. Uncomment a line to change it.",
        "# Order: defaults < this file < IZA_* environment < command-line flags.",
        "# Secrets (API keys, webhook secrets) are read from the environment only.",
        "",
    ]
    section = ""
    for s in SETTINGS:
        sec, _, key = s.name.rpartition(".")
        if sec != section:
            lines += ["", f"# [{sec}]"] if sec else []
            section = sec
        default = repr(s.default) if not isinstance(s.default, str) else f'"{s.default}"'
        if isinstance(s.default, bool):
            default = str(s.default).lower()
        lines.append(f"# {key} = {default}    # {s.help}")
    return "\n".join(lines) + "\n"


def ensure_home(settings: Settings) -> list[Path]:
    """Create whatever of the layout is missing; return what was created."""
    home = settings.home
    created: list[Path] = []
    try:
        for rel in ("", *LAYOUT):
            path = home / rel
            if not path.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                created.append(path)
        toml = home / "iza.toml"
        if not toml.exists():
            toml.write_text(toml_template(), encoding="utf-8")
            created.append(toml)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the data home at {home}: {exc.strerror or exc}",
            fix="choose a writable folder with --home DIR or IZA_HOME, or fix its permissions",
        ) from exc
    if not os.access(home, os.W_OK):
        raise ConfigError(
            f"the data home {home} is not writable",
            fix="choose a writable folder with --home DIR or IZA_HOME, or fix its permissions",
        )
    return created


def secret_key(settings: Settings) -> bytes:
    """The key that signs dashboard sessions: ``IZA_SECRET_KEY`` or one kept in the home."""
    configured = settings.secret("IZA_SECRET_KEY")
    if configured:
        return configured.encode()
    path = settings.home / "data" / "secret_key"
    if path.exists():
        return path.read_bytes().strip()
    ensure_home(settings)
    key = _secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
