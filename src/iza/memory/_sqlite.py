"""The default backend: one SQLite file with records, FTS5 (BM25), vectors and history.

Every write is one ``BEGIN IMMEDIATE`` transaction behind one lock (SQLite has one writer);
reads run on the same connection. ``secure_delete`` is on so ``delete``/``forget`` overwrite
freed pages with zeros, and both then merge the FTS index (``optimize``) and truncate the
WAL: the removed words are gone from the file, not just unlinked (tested at the byte level).
"""

from __future__ import annotations

import builtins
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from iza.errors import StoreError
from iza.memory._port import Embedder, EmbeddingMismatch, MemoryStore, RecordNotFound
from iza.memory._records import MemoryRecord, SearchHit, SearchQuery, history_entries, iso
from iza.memory._schema import migrate
from iza.memory._search import DEFAULT_WEIGHTS, FusionWeights
from iza.memory._sqlite_rank import rank
from iza.memory._sqlite_write import (
    batch_contexts,
    ensure_fts,
    existing,
    fts_table,
    mutated,
    refresh_context,
    remove,
    replace,
)
from iza.memory._vectors import (
    PERSIST_MIN,
    NamespaceIndex,
    load_index,
    load_saved_index,
    save_index,
    saved_index_path,
    thread_key,
)

__all__ = ["SQLiteMemoryStore"]

logger = logging.getLogger(__name__)

_COLS = (
    "seq, id, namespace, kind, text, metadata, provenance, subject, event_time, importance,"
    " expires_at, created_at, updated_at"
)
_INSERT = f"INSERT INTO records ({_COLS}, thread) VALUES ({', '.join('?' * 14)})"


_JSON = json.JSONEncoder().encode  # json.dumps' defaults, without its per-call argument handling


def _row_values(rec: MemoryRecord) -> tuple[Any, ...]:
    """The ``records`` columns after ``seq``, in ``_COLS`` order."""
    return (
        rec.id,
        rec.namespace,
        rec.kind,
        rec.text,
        _JSON(dict(rec.metadata)) if rec.metadata else "{}",
        _JSON(dict(rec.provenance)) if rec.provenance else "{}",
        rec.subject,
        rec.event_time,
        rec.importance,
        rec.expires_at,
        rec.created_at,
        rec.updated_at or rec.created_at,
    )


def _row_to_record(row: Sequence[Any]) -> MemoryRecord:
    return MemoryRecord(
        id=row[1],
        namespace=row[2],
        kind=row[3],
        text=row[4],
        metadata=json.loads(row[5]),
        provenance=json.loads(row[6]),
        subject=row[7],
        event_time=row[8],
        importance=row[9],
        expires_at=row[10],
        created_at=row[11],
        updated_at=row[12],
    )


class SQLiteMemoryStore(MemoryStore):
    """``SQLiteMemoryStore(path, embedder=MiniLM())``; ``embedder=None`` stores no vectors and
    ranks by BM25, neighbours and priors only (and says so in ``stats``)."""

    def __init__(
        self, path: str | Path, embedder: Embedder | None = None, weights: FusionWeights = DEFAULT_WEIGHTS
    ) -> None:
        self.path = str(path)
        self.embedder = embedder
        self.weights = weights
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            for pragma in (
                "journal_mode = WAL",
                "synchronous = NORMAL",
                "secure_delete = ON",
                "busy_timeout = 10000",
                "cache_size = -65536",
            ):
                self._conn.execute(f"PRAGMA {pragma}")
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot open memory database {self.path}: {exc}", fix="check the path exists and is writable"
            ) from exc
        migrate(self._conn, self.path)
        self._lock = threading.RLock()
        self._writes = 0
        # namespace → (data_version and write count, (namespace created_at, mutations), arrays)
        self._cache: dict[str, tuple[tuple[int, int], tuple[float, int] | None, NamespaceIndex]] = {}

    # ---- plumbing -----------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"memory write failed on {self.path}: {exc}",
                    fix="check disk space and that no other program locks the file",
                ) from exc
            finally:
                self._writes += 1

    def _index(self, namespace: str) -> NamespaceIndex:
        version = (int(self._conn.execute("PRAGMA data_version").fetchone()[0]), self._writes)
        cached = self._cache.get(namespace)
        if cached and cached[0] == version:
            return cached[2]
        row = self._conn.execute(
            "SELECT created_at, mutations FROM namespaces WHERE name = ?", (namespace,)
        ).fetchone()
        state = (float(row[0]), int(row[1])) if row else None
        base = cached[2] if cached and state is not None and cached[1] == state else None
        lexical = self.embedder is None
        saved = saved_index_path(self.path, fts_table(namespace))
        if base is None and lexical and state is not None:  # another process may have saved it
            base = load_saved_index(saved, state)
        index = load_index(self._conn, namespace, with_vectors=not lexical, base=base)
        if lexical and state is not None and len(index.seqs) >= PERSIST_MIN and index is not base:
            grown = base is not None and len(index.seqs) - len(base.seqs) < PERSIST_MIN // 10
            if not grown:  # save after a rebuild or a large append, not after every small one
                save_index(saved, index, state)
        self._cache[namespace] = (version, state, index)
        return index

    def _namespace_model(self, conn: sqlite3.Connection, namespace: str) -> tuple[str | None, int | None]:
        row = conn.execute(
            "SELECT embed_model, embed_dim FROM namespaces WHERE name = ?", (namespace,)
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def _check_model(self, conn: sqlite3.Connection, namespace: str) -> None:
        model, _ = self._namespace_model(conn, namespace)
        if self.embedder is not None and model and model != self.embedder.name:
            raise EmbeddingMismatch(namespace, model, self.embedder.name)

    def _embed(
        self, texts: list[str], progress: Callable[[int, int], None] | None = None
    ) -> builtins.list[bytes] | None:
        if self.embedder is None:
            return None
        out: list[bytes] = []
        for start in range(0, len(texts), 256):
            out += [v.tobytes() for v in self.embedder.encode(texts[start : start + 256])]
            if progress:
                progress(len(out), len(texts))
        return out

    # ---- writes -------------------------------------------------------------------------------
    def add(self, records: Sequence[MemoryRecord], progress: Callable[[int, int], None] | None = None) -> int:
        if not records:
            return 0
        with self._lock:
            for ns in {r.namespace for r in records}:
                self._check_model(self._conn, ns)
        vectors = self._embed([r.text for r in records], progress)
        threads = [thread_key(r.metadata) for r in records]
        contexts = batch_contexts(records, threads)
        now = time.time()
        with self._write() as conn:
            for ns in {r.namespace for r in records}:
                conn.execute("INSERT OR IGNORE INTO namespaces (name, created_at) VALUES (?, ?)", (ns, now))
                if self.embedder is not None:
                    conn.execute(
                        "UPDATE namespaces SET embed_model = ?, embed_dim = ? WHERE name = ?"
                        " AND embed_model IS NULL",
                        (self.embedder.name, self.embedder.dim, ns),
                    )
            known = existing(conn, records)
            seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0])
            fresh_rows: list[tuple[Any, ...]] = []
            vec_rows: list[tuple[int, str, bytes]] = []
            fts_rows: dict[str, list[tuple[int, str, str]]] = {}
            first_seq: dict[str, int] = {}
            pending: dict[tuple[str, str], int] = {}  # ids first seen in this batch → row index
            for i, rec in enumerate(records):
                key = (rec.namespace, rec.id)
                if key in pending:  # the same id twice in one batch: the later line wins
                    j = pending[key]
                    fresh_rows[j] = (fresh_rows[j][0], *_row_values(rec), threads[i])
                    fts = fts_rows[rec.namespace]
                    fts[:] = [
                        (s, rec.text, contexts[i]) if s == fresh_rows[j][0] else (s, t, c) for s, t, c in fts
                    ]
                    if vectors:
                        vec_rows[:] = [
                            (s, n, vectors[i]) if s == fresh_rows[j][0] else (s, n, v) for s, n, v in vec_rows
                        ]
                    continue
                if key in known:
                    replace(conn, known[key], rec, contexts[i], vectors[i] if vectors else None, now)
                    continue
                seq += 1
                first_seq.setdefault(rec.namespace, seq)
                pending[key] = len(fresh_rows)
                fresh_rows.append((seq, *_row_values(rec), threads[i]))
                fts_rows.setdefault(rec.namespace, []).append((seq, rec.text, contexts[i]))
                if vectors:
                    vec_rows.append((seq, rec.namespace, vectors[i]))
            conn.executemany(_INSERT, fresh_rows)
            for ns, rows in fts_rows.items():
                table = ensure_fts(conn, ns)
                conn.executemany(f"INSERT INTO {table} (rowid, text, context) VALUES (?, ?, ?)", rows)
            conn.executemany("INSERT INTO vectors (seq, namespace, vec) VALUES (?, ?, ?)", vec_rows)
            for ns, first in first_seq.items():
                prev = conn.execute(
                    "SELECT MAX(seq) FROM records WHERE namespace = ? AND seq < ?", (ns, first)
                ).fetchone()[0]
                if prev is not None:
                    refresh_context(conn, ns, [int(prev), first])
        logger.info("stored %d memories", len(records))
        return len(records)

    def update(
        self,
        namespace: str,
        record_id: str,
        *,
        text: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        importance: float | None = None,
        expires_at: float | None = None,
    ) -> MemoryRecord:
        current = self.get(namespace, record_id)
        new = current.updated(text=text, metadata=metadata, importance=importance,
                              expires_at=expires_at)
        vector = self._embed([new.text]) if text is not None else None
        with self._write() as conn:
            seq = self._seq(conn, namespace, record_id)
            replace(conn, seq, new, "", vector[0] if vector else None, time.time())
            refresh_context(conn, namespace, [seq])
        return self.get(namespace, record_id)

    def delete(self, namespace: str, record_id: str) -> None:
        with self._write() as conn:
            seq = self._seq(conn, namespace, record_id)
            remove(conn, namespace, [seq])
        self._scrub(namespace)

    def forget(self, namespace: str, subject: str | None = None) -> int:
        with self._write() as conn:
            if subject is None:
                seqs = [
                    r[0] for r in conn.execute("SELECT seq FROM records WHERE namespace = ?", (namespace,))
                ]
            else:
                seqs = [
                    r[0]
                    for r in conn.execute(
                        "SELECT seq FROM records WHERE namespace = ? AND subject = ?", (namespace, subject)
                    )
                ]
            remove(conn, namespace, seqs)
            if subject is None:
                conn.execute("DELETE FROM history WHERE namespace = ?", (namespace,))
                conn.execute("DELETE FROM namespaces WHERE name = ?", (namespace,))
                conn.execute(f"DROP TABLE IF EXISTS {fts_table(namespace)}")
        self._scrub(namespace)
        logger.info("forgot %d memories in one namespace (subject given: %s)", len(seqs), subject is not None)
        return len(seqs)

    def _scrub(self, namespace: str) -> None:
        """Merge the namespace's FTS index and truncate the WAL, so no copy remains.

        FTS5 deletes by appending delete markers; the deleted row's terms stay in older index
        segments until a merge. ``optimize`` rewrites the index as one segment without them
        (SQLite's FTS5 ``secure-delete`` option would avoid the rewrite but needs SQLite 3.42;
        Python here ships 3.40). The cost grows with the namespace's index: measured in
        ``bench/memory_scale.py`` ("delete one record" line), paid by ``delete`` and ``forget``."""
        table = fts_table(namespace)
        saved_index_path(self.path, table).unlink(missing_ok=True)  # its numbers are stale now
        with self._lock:
            try:
                if self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
                    self._conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise StoreError(
                    f"could not compact {self.path} after forget: {exc}",
                    fix="run `iza memory forget` again when no other process uses the file",
                ) from exc

    def reembed(
        self,
        namespace: str,
        embedder: Embedder,
        batch: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Recompute every vector of ``namespace`` with ``embedder`` and record it as the model."""
        rows = self._conn.execute(
            "SELECT seq, text FROM records WHERE namespace = ? ORDER BY seq", (namespace,)
        ).fetchall()
        vecs: list[tuple[int, str, bytes]] = []
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            vecs += [
                (s, namespace, v.tobytes())
                for (s, _), v in zip(chunk, embedder.encode([t for _, t in chunk]), strict=True)
            ]
            if progress:
                progress(min(start + batch, len(rows)), len(rows))
        with self._write() as conn:
            conn.execute("DELETE FROM vectors WHERE namespace = ?", (namespace,))
            conn.executemany("INSERT INTO vectors (seq, namespace, vec) VALUES (?, ?, ?)", vecs)
            conn.execute(
                "INSERT OR IGNORE INTO namespaces (name, created_at) VALUES (?, ?)", (namespace, time.time())
            )
            conn.execute(
                "UPDATE namespaces SET embed_model = ?, embed_dim = ? WHERE name = ?",
                (embedder.name, embedder.dim, namespace),
            )
            mutated(conn, namespace)
        return len(vecs)

    # ---- reads --------------------------------------------------------------------------------
    def _seq(self, conn: sqlite3.Connection, namespace: str, record_id: str) -> int:
        row = conn.execute(
            "SELECT seq FROM records WHERE namespace = ? AND id = ?", (namespace, record_id)
        ).fetchone()
        if row is None:
            raise RecordNotFound(namespace, record_id)
        return int(row[0])

    def get(self, namespace: str, record_id: str) -> MemoryRecord:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLS} FROM records WHERE namespace = ? AND id = ?", (namespace, record_id)
            ).fetchone()
        if row is None:
            raise RecordNotFound(namespace, record_id)
        return _row_to_record(row)

    def get_many(self, seqs: Sequence[int]) -> dict[int, MemoryRecord]:
        out: dict[int, MemoryRecord] = {}
        with self._lock:
            for start in range(0, len(seqs), 500):
                chunk = list(seqs[start : start + 500])
                q = f"SELECT {_COLS} FROM records WHERE seq IN ({', '.join('?' * len(chunk))})"
                out.update({row[0]: _row_to_record(row) for row in self._conn.execute(q, chunk)})
        return out

    def list(
        self, namespace: str, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[MemoryRecord]:
        sql = f"SELECT {_COLS} FROM records WHERE namespace = ?"
        args: list[Any] = [namespace]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?"
        with self._lock:
            return [_row_to_record(r) for r in self._conn.execute(sql, (*args, limit, offset))]

    def history(self, namespace: str, record_id: str) -> builtins.list[dict[str, Any]]:
        current = self.get(namespace, record_id)
        with self._lock:
            rows = self._conn.execute(
                "SELECT version, text, metadata, importance, changed_at, action FROM history"
                " WHERE namespace = ? AND id = ? ORDER BY hid",
                (namespace, record_id),
            ).fetchall()
        return history_entries(((v, t, json.loads(m), imp, at, a) for v, t, m, imp, at, a in rows),
                               current)

    def search(self, query: SearchQuery) -> builtins.list[SearchHit]:
        return self.search_many([query])[0]

    def search_many(self, queries: Sequence[SearchQuery]) -> builtins.list[builtins.list[SearchHit]]:
        """Several searches; query embeddings are computed in one batch (the CLI's ``--queries``)."""
        qvecs = None
        if self.embedder is not None and queries:
            for ns in {q.namespace for q in queries}:
                self._check_model(self._conn, ns)
            qvecs = self.embedder.encode([q.text for q in queries])
        results: builtins.list[builtins.list[SearchHit]] = []
        with self._lock, self._blas_scope():
            for i, q in enumerate(queries):
                index = self._index(q.namespace)
                qv = qvecs[i] if qvecs is not None else None
                scored = rank(self._conn, index, q, qv, self.weights, fts_table(q.namespace))
                records = self.get_many([s for s, _, _ in scored])
                results.append(
                    [SearchHit(records[s], score, parts) for s, score, parts in scored if s in records]
                )
        return results

    def _blas_scope(self) -> AbstractContextManager[Any]:
        """Vector scans run single-threaded BLAS (see ``_minilm.one_blas_thread``) when vectors exist."""
        if self.embedder is None:
            return nullcontext()
        from iza.memory._minilm import one_blas_thread

        cm: AbstractContextManager[Any] = one_blas_thread()
        return cm

    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        sql = (
            "SELECT r.namespace, COUNT(*), SUM(v.seq IS NOT NULL), MAX(r.created_at), n.embed_model,"
            " n.embed_dim FROM records r LEFT JOIN vectors v ON v.seq = r.seq"
            " LEFT JOIN namespaces n ON n.name = r.namespace"
        )
        args: tuple[Any, ...] = ()
        if namespace is not None:
            sql += " WHERE r.namespace = ?"
            args = (namespace,)
        sql += " GROUP BY r.namespace ORDER BY r.namespace"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
            kinds = self._conn.execute(
                "SELECT namespace, kind, COUNT(*) FROM records"
                + (" WHERE namespace = ?" if namespace else "")
                + " GROUP BY namespace, kind",
                args,
            ).fetchall()
        base = Path(self.path)
        size = sum(p.stat().st_size for p in base.parent.glob(base.name + "*") if p.is_file())
        spaces = {
            ns: {
                "records": n,
                "embedded": int(e or 0),
                "last_write": iso(last),
                "embed_model": m,
                "embed_dim": d,
                "kinds": {},
            }
            for ns, n, e, last, m, d in rows
        }
        for ns, kind, n in kinds:
            spaces[ns]["kinds"][kind] = n
        return {
            "backend": "sqlite",
            "path": self.path,
            "bytes": size,
            "embedder": self.embedder.name if self.embedder else None,
            "records": sum(s["records"] for s in spaces.values()),
            "namespaces": spaces,
        }

    def close(self) -> None:
        with self._lock:
            self._conn.close()
