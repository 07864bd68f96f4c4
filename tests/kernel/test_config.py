"""Settings: the load order, coercion, secrets and the errors bad settings produce."""

from __future__ import annotations

from pathlib import Path

import pytest

from iza.errors import ConfigError
from iza.kernel.config import SETTINGS, load, redact_url


def test_defaults_when_nothing_is_set(home: Path) -> None:
    s = load(home, environ={})
    assert s.home == home.resolve()
    assert s["server.port"] == 8765
    assert s.source("server.port") == "default"
    assert s.database_url == f"sqlite:///{home.resolve() / 'data' / 'iza.db'}"


def test_order_defaults_toml_env_cli(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text('[server]\nport = 9000\nhost = "127.0.0.2"\nsession_hours = 3\n')
    s = load(home, environ={"IZA_SERVER_PORT": "9100", "IZA_SERVER_HOST": "127.0.0.3"},
             overrides={"server.host": "127.0.0.4"})
    assert s["server.session_hours"] == 3 and s.source("server.session_hours").endswith("iza.toml")
    assert s["server.port"] == 9100 and s.source("server.port") == "env:IZA_SERVER_PORT"
    assert s["server.host"] == "127.0.0.4" and s.source("server.host") == "cli"


def test_home_from_environment(tmp_path: Path) -> None:
    s = load(environ={"IZA_HOME": str(tmp_path / "elsewhere")})
    assert s.home == (tmp_path / "elsewhere").resolve()


def test_vendor_environment_names_are_read(home: Path) -> None:
    s = load(home, environ={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert s["llm.openai_base_url"] == "http://127.0.0.1:9/v1"


def test_unknown_toml_key_is_a_clear_error(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError) as err:
        load(home, environ={})
    assert "server.prot" in err.value.message and str(home / "iza.toml") in err.value.message
    assert err.value.fix and "iza config show" in err.value.fix


def test_malformed_toml_names_the_file(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text("[server\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(home, environ={})


def test_unreadable_toml_is_a_clear_error(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load(home, environ={})


def test_wrong_type_and_choice(home: Path) -> None:
    with pytest.raises(ConfigError, match="must be a int"):
        load(home, environ={"IZA_SERVER_PORT": "eighty"})
    with pytest.raises(ConfigError, match="choose one of"):
        load(home, environ={"IZA_EXECUTOR": "threads"})


def test_secrets_only_from_environment_and_redacted(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "iza.toml").write_text('openai_api_key = "sk-in-file"\n')
    with pytest.raises(ConfigError, match="secrets are read from the environment only"):
        load(home, environ={})
    (home / "iza.toml").write_text("")
    s = load(home, environ={"OPENAI_API_KEY": "sk-very-secret"})
    assert s.secret("OPENAI_API_KEY") == "sk-very-secret"
    view = s.public_view()
    assert "sk-very-secret" not in repr(view) and "sk-very-secret" not in repr(s)
    assert view["secrets"]["OPENAI_API_KEY"] == "set (redacted)"


def test_database_password_is_redacted() -> None:
    assert redact_url("postgresql://bob:hunter2@db:5432/x") == "postgresql://bob:***@db:5432/x"
    assert redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


def test_unknown_iza_environment_variable_is_a_warning(home: Path) -> None:
    s = load(home, environ={"IZA_SERVR_PORT": "1"})
    assert any("IZA_SERVR_PORT" in w for w in s.warnings)


def test_setting_names_are_unique_and_documented() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    assert all(s.help for s in SETTINGS)
