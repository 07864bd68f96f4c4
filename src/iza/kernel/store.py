"""The store: one SQLAlchemy engine per database URL, sessions, and migrations.

SQLite (the default, ``$IZA_HOME/data/iza.db``) runs in WAL mode with foreign keys on. SQLite
allows one writer at a time, so ``Store.transaction()`` funnels writes through one lock per
database within the process and starts them with ``BEGIN IMMEDIATE``: concurrent writers queue
instead of failing with "database is locked" half-way through a transaction. PostgreSQL needs
neither and gets plain transactions.

Every subsystem declares its tables on :data:`Base` and ships Alembic revisions in
``src/iza/<subsystem>/migrations/`` on its own branch off the kernel's base revision
(``branch_labels=("<subsystem>",)``, ``down_revision="k0001"``). There is one history (one
``alembic_version`` table); ``migrate()`` upgrades every head.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from iza.errors import MissingDependency, StoreError
from iza.kernel.config import Settings, redact_url

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["Base", "MigrationState", "Store", "UTCDateTime", "utcnow"]

_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every subsystem's tables (one metadata, one history)."""

    metadata = sa.MetaData(naming_convention=_NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored in UTC, always returned timezone-aware.

    SQLite has no time zone type, so values are stored naive-in-UTC there; PostgreSQL gets
    ``timestamptz``. Naive datetimes are refused: they are a bug waiting for a DST change.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class MigrationState:
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def pending(self) -> bool:
        return not self.up_to_date


_ENGINES: dict[str, sa.Engine] = {}
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_ENGINES_LOCK = threading.Lock()


def _normalise_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is turned off so that BEGIN (IMMEDIATE) is ours.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _on_sqlite_connect)

        @event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            immediate = conn.get_execution_options().get("iza_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingDependency("psycopg", "postgres", purpose="a PostgreSQL store") from None
    return sa.create_engine(url, pool_pre_ping=True)


class Store:
    """Access to the relational store named by the settings.

    >>> store = Store.from_settings(settings)
    >>> with store.transaction() as session:
    ...     session.add(row)
    """

    def __init__(self, url: str) -> None:
        self.url = _normalise_url(url)
        with _ENGINES_LOCK:
            if self.url not in _ENGINES:
                _ENGINES[self.url] = _create_engine(self.url)
                _WRITE_LOCKS[self.url] = threading.RLock()
        self.engine = _ENGINES[self.url]
        self._lock = _WRITE_LOCKS[self.url]
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(iza_write=True), expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(settings.database_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return redact_url(self.url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._translate(), self._lock if self.dialect == "sqlite" else _nullcontext():
            with self._writer() as session, session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads; it never takes the writer lock."""
        with self._translate(), self._sessions() as session:
            yield session

    @contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except sa_exc.OperationalError as exc:
            raise StoreError(
                f"the database at {self.display_url} failed: {exc.orig}",
                fix="check that the database server is running and IZA_DATABASE_URL is right; "
                "`iza doctor` checks it",
            ) from exc
        except sa_exc.ProgrammingError as exc:
            raise StoreError(
                f"the database at {self.display_url} refused a query: {exc.orig}",
                fix="run `iza db migrate` to bring the schema up to date",
            ) from exc

    def ping(self) -> None:
        """Raise :class:`StoreError` unless the database answers."""
        with self._translate(), self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close every pooled connection of this URL (tests and shutdown)."""
        with _ENGINES_LOCK:
            engine = _ENGINES.pop(self.url, None)
            _WRITE_LOCKS.pop(self.url, None)
        if engine is not None:
            engine.dispose()

    # ---- migrations ---------------------------------------------------------------------
    def alembic_config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        pkg = Path(__file__).resolve().parent.parent
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        locations = sorted(str(p) for p in pkg.glob("*/migrations/versions") if p.is_dir())
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("version_locations", _pathsep().join(locations))
        cfg.attributes["store"] = self
        return cfg

    def migration_state(self) -> MigrationState:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self.alembic_config())
        with self._translate(), self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
        return MigrationState(tuple(sorted(current)), tuple(sorted(script.get_heads())))

    def migrate(self) -> MigrationState:
        """Apply every pending revision on every branch; idempotent."""
        from alembic import command

        with self._translate(), self._lock:
            command.upgrade(self.alembic_config(), "heads")
        return self.migration_state()

    def ensure_schema(self) -> None:
        """Migrate if anything is pending (commands call this before they touch tables)."""
        if self.migration_state().pending:
            self.migrate()


def _pathsep() -> str:
    import os

    return os.pathsep


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield
