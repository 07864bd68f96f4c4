"""The data home: layout, idempotence, never overwriting, and unwritable homes."""

from __future__ import annotations

from pathlib import Path

import pytest

from iza.errors import ConfigError
from iza.kernel.config import load
from iza.kernel.home import LAYOUT, ensure_home, secret_key


def test_creates_layout_and_is_idempotent(home: Path) -> None:
    s = load(home, environ={})
    created = ensure_home(s)
    for rel in LAYOUT:
        assert (home / rel).is_dir()
    assert (home / "iza.toml").is_file()
    assert created and ensure_home(s) == []


def test_never_overwrites_user_file(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("[server]\nport = 9001\n")
    s = load(home, environ={})
    ensure_home(s)
    assert (home / "iza.toml").read_text() == "[server]\nport = 9001\n"


def test_template_parses_to_defaults(home: Path) -> None:
    ensure_home(load(home, environ={}))
    s = load(home, environ={})
    assert all(src == "default" for src in s.sources.values())


def test_unwritable_home_is_a_clear_error() -> None:
    # /proc refuses new folders even to root, so this holds however the suite is run.
    with pytest.raises(ConfigError, match="cannot create the data home"):
        ensure_home(load(Path("/proc/iza-home"), environ={}))


def test_home_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(ConfigError) as err:
        ensure_home(load(target, environ={}))
    assert "--home" in (err.value.fix or "")
    assert target.read_text() == "x"


def test_secret_key_is_stable_and_private(home: Path) -> None:
    s = load(home, environ={})
    k1, k2 = secret_key(s), secret_key(s)
    assert k1 == k2 and len(k1) == 64
    assert (home / "data" / "secret_key").stat().st_mode & 0o077 == 0
