"""Shared fixtures: an isolated environment for every test, settings, and stores on SQLite and
PostgreSQL (a fresh schema per test on the server at 127.0.0.1:5432, database ``test``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from iza.kernel.config import SECRETS, Settings, load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store

PG_BASE = os.environ.get("IZA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's IZA_* variables or API keys; IZA_HOME is a temp folder."""
    for name in list(os.environ):
        if name.startswith("IZA_") and not name.startswith("IZA_TEST"):
            monkeypatch.delenv(name)
    for secret in SECRETS:
        monkeypatch.delenv(secret.env, raising=False)
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IZA_HOME", str(tmp_path / "home"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path) -> Settings:
    s = load(home)
    ensure_home(s)
    return s


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_BASE else "?"
    return f"{PG_BASE}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    import sqlalchemy as sa

    schema = "iza_t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(PG_BASE.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield _pg_schema_url(schema)
    finally:
        Store(_pg_schema_url(schema)).dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Parametrizes a test over SQLite (temp file) and PostgreSQL (fresh schema)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'iza.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store, on SQLite and on PostgreSQL."""
    s = Store(db_url)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(settings: Settings) -> Iterator[Store]:
    """The data home's own SQLite store, migrated (for tests that need only SQLite)."""
    s = Store.from_settings(settings)
    s.migrate()
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
