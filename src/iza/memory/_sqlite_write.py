"""Row-level write helpers of the SQLite backend; each runs inside the caller's transaction.

They keep three things consistent on every change: the ``records`` row, its FTS entry (whose
``context`` quotes the neighbouring records of the same thread, so a neighbour's removal must
rewrite it) and its vector; replaced versions go to ``history``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence

from iza.memory._records import MemoryRecord
from iza.memory._vectors import thread_key

__all__ = [
    "archive",
    "batch_contexts",
    "ensure_fts",
    "existing",
    "fts_table",
    "mutated",
    "refresh_context",
    "remove",
    "replace",
]


def fts_table(namespace: str) -> str:
    """The FTS5 table of a namespace. One table per namespace, because (measured) a shared table
    filtered by a namespace token made every query walk the whole namespace's posting list
    (25 ms at 10k records), and per-namespace tables keep BM25 statistics (IDF, average
    length) per tenant: one tenant's words never shift another's ranking. ``forget`` of a
    namespace drops the table."""
    return "fts_" + hashlib.sha1(namespace.encode("utf-8")).hexdigest()[:24]


def ensure_fts(conn: sqlite3.Connection, namespace: str) -> str:
    table = fts_table(namespace)
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5 (text, context,"
        " tokenize = 'porter unicode61')"
    )
    return table


def existing(conn: sqlite3.Connection, records: Sequence[MemoryRecord]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    by_ns: dict[str, list[str]] = {}
    for r in records:
        by_ns.setdefault(r.namespace, []).append(r.id)
    for ns, ids in by_ns.items():
        if not conn.execute("SELECT 1 FROM records WHERE namespace = ? LIMIT 1", (ns,)).fetchone():
            continue
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            q = f"SELECT id, seq FROM records WHERE namespace = ? AND id IN ({', '.join('?' * len(chunk))})"
            found.update({(ns, rid): seq for rid, seq in conn.execute(q, (ns, *chunk))})
    return found


def replace(
    conn: sqlite3.Connection,
    seq: int,
    rec: MemoryRecord,
    context: str,
    vector: bytes | None,
    now: float,
) -> None:
    archive(conn, seq, "updated", now)
    mutated(conn, rec.namespace)
    conn.execute(
        "UPDATE records SET kind = ?, text = ?, metadata = ?, provenance = ?, subject = ?,"
        " event_time = ?, importance = ?, expires_at = ?, updated_at = ?, version = version + 1,"
        " thread = ? WHERE seq = ?",
        (
            rec.kind,
            rec.text,
            json.dumps(dict(rec.metadata)),
            json.dumps(dict(rec.provenance)),
            rec.subject,
            rec.event_time,
            rec.importance,
            rec.expires_at,
            now,
            thread_key(rec.metadata),
            seq,
        ),
    )
    table = ensure_fts(conn, rec.namespace)
    conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
    conn.execute(
        f"INSERT INTO {table} (rowid, text, context) VALUES (?, ?, ?)",
        (seq, rec.text, context),
    )
    if vector is not None:
        conn.execute(
            "INSERT OR REPLACE INTO vectors (seq, namespace, vec) VALUES (?, ?, ?)",
            (seq, rec.namespace, vector),
        )


def archive(conn: sqlite3.Connection, seq: int, action: str, now: float) -> None:
    conn.execute(
        "INSERT INTO history (namespace, id, version, text, metadata, importance, event_time,"
        " expires_at, changed_at, action) SELECT namespace, id, version, text, metadata, importance,"
        " event_time, expires_at, ?, ? FROM records WHERE seq = ?",
        (now, action, seq),
    )


def refresh_context(conn: sqlite3.Connection, namespace: str, seqs: Sequence[int]) -> None:
    """Recompute the FTS ``context`` (neighbouring text of the same thread) of ``seqs``."""
    for seq in seqs:
        row = conn.execute("SELECT text, metadata FROM records WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            continue
        key = thread_key(row[1])
        parts = []
        for q in (
            "SELECT text, metadata FROM records WHERE namespace = ? AND seq < ? ORDER BY seq DESC LIMIT 1",
            "SELECT text, metadata FROM records WHERE namespace = ? AND seq > ? ORDER BY seq LIMIT 1",
        ):
            nb = conn.execute(q, (namespace, seq)).fetchone()
            if key and nb is not None and thread_key(nb[1]) == key:
                parts.append(nb[0])
        table = ensure_fts(conn, namespace)
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
        conn.execute(
            f"INSERT INTO {table} (rowid, text, context) VALUES (?, ?, ?)",
            (seq, row[0], " ".join(parts)),
        )


def mutated(conn: sqlite3.Connection, namespace: str) -> None:
    """Count a change to existing records of ``namespace`` (search caches then rebuild)."""
    conn.execute("UPDATE namespaces SET mutations = mutations + 1 WHERE name = ?", (namespace,))


def remove(conn: sqlite3.Connection, namespace: str, seqs: Sequence[int]) -> None:
    mutated(conn, namespace)
    neighbours: set[int] = set()
    gone = set(seqs)
    for start in range(0, len(seqs), 500):
        chunk = list(seqs[start : start + 500])
        marks = ", ".join("?" * len(chunk))
        conn.execute(
            f"DELETE FROM history WHERE namespace = ? AND id IN (SELECT id FROM records"
            f" WHERE seq IN ({marks}))",
            (namespace, *chunk),
        )
        for table, col in ((ensure_fts(conn, namespace), "rowid"), ("vectors", "seq"), ("records", "seq")):
            conn.execute(f"DELETE FROM {table} WHERE {col} IN ({marks})", chunk)
    for seq in seqs:
        for q in (
            "SELECT MAX(seq) FROM records WHERE namespace = ? AND seq < ?",
            "SELECT MIN(seq) FROM records WHERE namespace = ? AND seq > ?",
        ):
            nb = conn.execute(q, (namespace, seq)).fetchone()[0]
            if nb is not None and nb not in gone:
                neighbours.add(int(nb))
    refresh_context(conn, namespace, sorted(neighbours))


def batch_contexts(records: Sequence[MemoryRecord], threads: Sequence[str]) -> list[str]:
    """For each record, the text of its neighbours in the batch (same namespace and thread);
    ``threads`` are the records' thread keys."""
    keys = [(r.namespace, t) for r, t in zip(records, threads, strict=True)]
    out = []
    for i in range(len(records)):
        parts = [
            records[j].text
            for j in (i - 1, i + 1)
            if keys[i][1] and 0 <= j < len(records) and keys[j] == keys[i]
        ]
        out.append(" ".join(parts))
    return out
