"""Several processes opening a new data home at once must not race the memory schema migration."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from iza.memory._schema import SCHEMA_VERSION, migrate


def test_concurrent_first_migrations_all_succeed(tmp_path: Path) -> None:
    # Bypasses the public API on purpose: the race is between separate connections to one file,
    # which is what separate `iza` processes are; threads with their own connections reproduce it.
    path = str(tmp_path / "unified_memory.db")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_and_migrate() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            start.wait()
            migrate(conn, path)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=open_and_migrate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
