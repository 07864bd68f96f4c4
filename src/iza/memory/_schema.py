"""The schema of ``unified_memory.db``, versioned with ``PRAGMA user_version``.

Why a separate file with its own schema instead of tables in the kernel store (Alembic)?
Memory is the highest-volume, most rewrite-heavy data IZA keeps (bulk imports of 100k+ records,
re-embedding, ``forget``), and it relies on SQLite-only features: FTS5 virtual tables for BM25
and ``secure_delete`` so a forgotten subject leaves no bytes behind. Those have no PostgreSQL
equivalent under one Alembic revision, and a bulk import must not hold the writer lock of the
database that agents, workflows and the ledger share. ``user_version`` is the SQLite-native
version counter: one integer read at open, no extra table, and each step below runs in one
transaction, so a half-migrated file cannot exist.

Layout: ``records`` (one row per memory; ``seq`` is the shared rowid; ``thread`` the record's
thread key from its metadata), one FTS5 table per
namespace (``fts_<hash>``, rowid = seq, created on first write; ``context`` holds the neighbouring
records' text of the same thread), ``vectors`` (float32 blobs, rowid = seq), ``history`` (prior
versions),
``namespaces`` (embedding model and dimension per namespace, so vectors never mix; ``mutations``
counts changes to existing records, for the search cache).
"""

from __future__ import annotations

import sqlite3

from iza.errors import StoreError

__all__ = ["SCHEMA_VERSION", "migrate"]

_STEPS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE namespaces (
            name TEXT PRIMARY KEY, embed_model TEXT, embed_dim INTEGER, created_at REAL NOT NULL)""",
        """CREATE TABLE records (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL, namespace TEXT NOT NULL, kind TEXT NOT NULL,
            text TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', provenance TEXT NOT NULL DEFAULT '{}',
            subject TEXT, event_time REAL, importance REAL NOT NULL DEFAULT 0.5, expires_at REAL,
            created_at REAL NOT NULL, updated_at REAL NOT NULL, version INTEGER NOT NULL DEFAULT 1,
            UNIQUE (namespace, id))""",
        "CREATE INDEX records_ns ON records (namespace)",
        "CREATE INDEX records_ns_created ON records (namespace, created_at)",
        "CREATE INDEX records_ns_subject ON records (namespace, subject)",
        "CREATE INDEX records_ns_kind ON records (namespace, kind)",
        "CREATE TABLE vectors (seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, vec BLOB NOT NULL)",
        "CREATE INDEX vectors_ns ON vectors (namespace)",
        """CREATE TABLE history (
            hid INTEGER PRIMARY KEY, namespace TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
            text TEXT NOT NULL, metadata TEXT NOT NULL, importance REAL, event_time REAL,
            expires_at REAL, changed_at REAL NOT NULL, action TEXT NOT NULL)""",
        "CREATE INDEX history_ns_id ON history (namespace, id)",
    ),
    (
        # v2: the thread key stored per record (was recomputed with json_extract over every
        # record's metadata when a search built its namespace cache: 8.7 s at 1M records), and a
        # per-namespace count of changes to existing records, so a cache can take appended
        # records alone instead of rebuilding (see ``_vectors.load_index``).
        "ALTER TABLE records ADD COLUMN thread TEXT NOT NULL DEFAULT ''",
        "UPDATE records SET thread = iza_thread_key(metadata)",
        "ALTER TABLE namespaces ADD COLUMN mutations INTEGER NOT NULL DEFAULT 0",
    ),
)

#: The version a fully migrated file reports.
SCHEMA_VERSION = len(_STEPS)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the file to :data:`SCHEMA_VERSION`; returns the version found before.

    A file from a newer IZA (higher ``user_version``) is refused rather than guessed at.
    """
    from iza.memory._vectors import thread_key

    # The v2 backfill computes thread keys with the same Python function that writes them.
    conn.create_function("iza_thread_key", 1, thread_key, deterministic=True)
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has memory schema version {found}, newer than this IZA ({SCHEMA_VERSION})",
            fix="upgrade iza-os, or point IZA_HOME at another data home",
        )
    for version in range(found, SCHEMA_VERSION):
        try:
            conn.execute("BEGIN IMMEDIATE")
            # Another process may have applied this step between our first read and taking the
            # write lock (several `iza` processes opening a new home at once): re-read under it.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) > version:
                conn.execute("COMMIT")
                continue
            for stmt in _STEPS[version]:
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(
                f"cannot migrate {path} to memory schema {version + 1}: {exc}",
                fix="check the file is writable and not corrupt (sqlite3 FILE 'PRAGMA integrity_check')",
            ) from exc
    return found
