"""The store on SQLite and PostgreSQL: migrations, transactions, UTC times, errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from iza.errors import MissingDependency, StoreError
from iza.kernel._models import ApiTokenRow, EventRow
from iza.kernel.store import Store


def test_migrate_is_idempotent_and_reports_state(db_url: str) -> None:
    store = Store(db_url)
    assert store.migration_state().pending
    first = store.migrate()
    second = store.migrate()
    assert first.up_to_date and second == first and first.current == first.heads
    assert first.current
    with store.read() as session:
        tables = set(sa.inspect(session.connection()).get_table_names())
    assert {"events", "api_tokens", "alembic_version"} <= tables
    store.dispose()


def test_transaction_commits_and_rolls_back(store: Store) -> None:
    with store.transaction() as session:
        session.add(EventRow(name="a.b", payload={"n": 1}, attempts=0))
    with pytest.raises(RuntimeError), store.transaction() as session:
        session.add(EventRow(name="a.c", payload={"n": 2}, attempts=0))
        session.flush()
        raise RuntimeError("boom")
    with store.read() as session:
        names = session.scalars(sa.select(EventRow.name)).all()
    assert names == ["a.b"]


def test_times_are_utc_aware_round_trip(store: Store) -> None:
    local = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as session:
        session.add(EventRow(name="t", payload={}, created_at=local, attempts=0))
    with store.read() as session:
        row = session.scalars(sa.select(EventRow)).one()
    assert row.created_at == local and row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(sa.exc.StatementError), store.transaction() as session:
        session.add(EventRow(name="t", payload={}, created_at=datetime(2026, 1, 1), attempts=0))


def test_unique_constraint_holds(store: Store) -> None:
    with store.transaction() as session:
        session.add(ApiTokenRow(name="x", prefix="p", token_hash="h" * 64,
                                created_at=datetime.now(UTC)))
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as session:
        session.add(ApiTokenRow(name="x", prefix="p", token_hash="g" * 64,
                                created_at=datetime.now(UTC)))


def test_concurrent_writers_all_land(store: Store) -> None:
    def write(i: int) -> None:
        for j in range(20):
            with store.transaction() as session:
                session.add(EventRow(name=f"w.{i}", payload={"j": j}, attempts=0))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(EventRow)) == 120


def test_sqlite_runs_in_wal_mode(sqlite_store: Store) -> None:
    with sqlite_store.read() as session:
        assert session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_unreachable_database_is_a_store_error() -> None:
    store = Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError) as err:
        store.ping()
    assert "127.0.0.1:1" in err.value.message and "iza doctor" in (err.value.fix or "")
    store.dispose()


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name: str, *args: object, **kwargs: object) -> object:
        if name == "psycopg":
            raise ImportError("no psycopg")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    with pytest.raises(MissingDependency) as err:
        Store("postgresql://u@127.0.0.1:5/x-missing-driver")
    assert err.value.fix == "pip install 'iza-os[postgres]'"
