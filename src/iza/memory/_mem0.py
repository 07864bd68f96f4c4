"""The mem0 backend: the memory port over the ``mem0ai`` library, fully local (``memory.backend = "mem0"``).

mem0 is configured with no LLM use (every ``add`` passes ``infer=False``; the LLM slot holds a
provider that refuses to run, see ``_mem0_glue``), IZA's local MiniLM as its embedder, and
Qdrant in local on-disk mode (``qdrant-client`` with a ``path``; no server) as its vector store,
under ``$IZA_HOME/data/memories/mem0/``. mem0's telemetry (PostHog) is switched off before mem0
is imported, and its config folder is kept inside the data home, not ``~/.mem0``.

What mem0 holds: each record's text, vector and attributes (``iza_*`` payload keys, plus
``m_<key>`` copies of scalar metadata so filters can be pushed down), and mem0's own change log.

What mem0 cannot do for the port, done here honestly in a small SQLite side file
(``side.db``): caller-chosen ids (mem0 assigns UUIDs; the side table maps ``(namespace, id)`` →
mem0 id), ordered listing, BM25 (one FTS5 table per namespace, as in the SQLite backend; mem0's
own keyword search needs a Qdrant server with sparse vectors), forget-by-subject, and versioned
history with metadata (mem0's log keeps text only). Search fuses mem0's vector hits with the
side BM25 hits using the same weights as SQLite (neighbouring-turn context is SQLite-only).

Limits, said plainly: a write spans two stores and is rolled back by compensation, not by one
transaction; ``delete``/``forget`` remove the records from mem0's store and purge mem0's change
log, but byte-level scrubbing of freed pages is guaranteed only by the SQLite backend; Qdrant's
local mode lets one process open the folder at a time.
"""

from __future__ import annotations

import builtins
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from iza.errors import ConfigError, MissingDependency, StoreError
from iza.kernel.config import set_library_env
from iza.memory._port import Embedder, EmbeddingMismatch, MemoryStore, RecordNotFound
from iza.memory._records import MemoryRecord, SearchHit, SearchQuery, history_entries, iso
from iza.memory._search import DEFAULT_WEIGHTS, FusionWeights, fts_match, fuse, query_terms, sql_filters
from iza.memory._sqlite_write import ensure_fts, fts_table

__all__ = ["Mem0MemoryStore"]

logger = logging.getLogger(__name__)

_COLLECTION = "iza_memory"
_NO_EXPIRY = 1e18
_DEPTH = 100  # BM25 candidates from the side table
#: Vector candidates asked of mem0: ``max(_DEPTH_PER_K * k, _MIN_DEPTH)`` (LoCoMo recall@10 fell
#: from 0.699 to 0.691 at 40).
_DEPTH_PER_K = 10
_MIN_DEPTH = 100
_SIDE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS rows (
        seq INTEGER PRIMARY KEY, namespace TEXT NOT NULL, id TEXT NOT NULL, mem0_id TEXT NOT NULL,
        kind TEXT NOT NULL, subject TEXT, t REAL NOT NULL, expires REAL NOT NULL,
        importance REAL NOT NULL, metadata TEXT NOT NULL, created_at REAL NOT NULL,
        version INTEGER NOT NULL DEFAULT 1, UNIQUE (namespace, id))""",
    "CREATE INDEX IF NOT EXISTS rows_mem0 ON rows (mem0_id)",
    """CREATE TABLE IF NOT EXISTS history (
        hid INTEGER PRIMARY KEY, namespace TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
        text TEXT NOT NULL, metadata TEXT NOT NULL, importance REAL, changed_at REAL NOT NULL,
        action TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS history_ns_id ON history (namespace, id)",
    """CREATE TABLE IF NOT EXISTS namespaces (
        name TEXT PRIMARY KEY, embed_model TEXT, embed_dim INTEGER)""",
)


def _payload(rec: MemoryRecord) -> dict[str, Any]:
    """The record's attributes as mem0 metadata (flat payload keys, none of mem0's own names)."""
    meta: dict[str, Any] = {
        "iza_id": rec.id,
        "iza_kind": rec.kind,
        "iza_t": float(rec.event_time if rec.event_time is not None else rec.created_at),
        "iza_exp": float(rec.expires_at if rec.expires_at is not None else _NO_EXPIRY),
        "iza_importance": float(rec.importance),
        "iza_created": float(rec.created_at),
        "iza_updated": float(rec.updated_at or rec.created_at),
        "iza_meta": json.dumps(dict(rec.metadata)),
        "iza_prov": json.dumps(dict(rec.provenance)),
        "iza_subject": rec.subject,
        "iza_event_time": rec.event_time,
    }
    for key, value in rec.metadata.items():
        if isinstance(value, str | int | float | bool):
            meta["m_" + key] = value
    return meta


def _record(namespace: str, item: Mapping[str, Any]) -> MemoryRecord:
    meta = item.get("metadata") or {}
    exp = meta.get("iza_exp")
    return MemoryRecord(
        namespace=namespace,
        id=str(meta["iza_id"]),
        text=str(item["memory"]),
        kind=str(meta["iza_kind"]),
        metadata=json.loads(meta["iza_meta"]),
        provenance=json.loads(meta["iza_prov"]),
        subject=meta.get("iza_subject"),
        event_time=meta.get("iza_event_time"),
        importance=float(meta["iza_importance"]),
        expires_at=None if exp is None or exp >= _NO_EXPIRY else float(exp),
        created_at=float(meta["iza_created"]),
        updated_at=float(meta["iza_updated"]),
    )


def _mem0_filters(q: SearchQuery) -> dict[str, Any]:
    """The query's own filters, pushed down so mem0 returns enough matching candidates. Expiry
    is not pushed down: Qdrant's local mode checks every condition on every point in Python
    (measured: most of a search's time), and the side table re-checks expiry anyway."""
    conds: list[dict[str, Any]] = []
    if q.kinds:
        conds.append({"iza_kind": {"in": list(q.kinds)}})
    if q.subject:
        conds.append({"iza_subject": q.subject})
    for key, value in q.metadata.items():
        conds.append({"m_" + key: value})
    if q.since is not None:
        conds.append({"iza_t": {"gte": q.since}})
    if q.until is not None:
        conds.append({"iza_t": {"lte": q.until}})
    return {"user_id": q.namespace, "AND": conds} if conds else {"user_id": q.namespace}


def _open_mem0(folder: Path, embedder: Embedder) -> Any:
    # mem0 reads these two switches from the environment when first imported (there is no
    # config field for either); they are set before the import, and only narrow what mem0 does:
    # MEM0_TELEMETRY=False stops PostHog (no client is built, nothing is posted) and MEM0_DIR
    # keeps mem0's config file in the data home instead of creating ~/.mem0.
    set_library_env("MEM0_TELEMETRY", "False")
    set_library_env("MEM0_DIR", str(folder), only_if_unset=True)
    try:
        from mem0 import Memory  # type: ignore[import-untyped]
        from mem0.configs.base import MemoryConfig  # type: ignore[import-untyped]
        from mem0.embeddings.configs import EmbedderConfig  # type: ignore[import-untyped]
        from mem0.llms.configs import LlmConfig  # type: ignore[import-untyped]
        from mem0.vector_stores.configs import VectorStoreConfig  # type: ignore[import-untyped]
    except ImportError as exc:
        raise MissingDependency("mem0ai", "mem0", purpose="memory.backend=mem0") from exc
    from iza.memory import _mem0_glue as glue

    glue.register()
    config = MemoryConfig(
        vector_store=VectorStoreConfig(
            provider="qdrant",
            config={
                "collection_name": _COLLECTION,
                "embedding_model_dims": embedder.dim,
                "path": str(folder / "qdrant"),
                "on_disk": True,
            },
        ),
        llm=LlmConfig.model_construct(provider=glue.LLM_PROVIDER, config={}),
        embedder=EmbedderConfig.model_construct(
            provider=glue.EMBEDDER_PROVIDER, config={"model": embedder, "embedding_dims": embedder.dim}
        ),
        history_db_path=str(folder / "mem0_history.db"),
    )
    try:
        return Memory(config)
    except RuntimeError as exc:  # qdrant-client: the folder is open in another process
        raise StoreError(
            f"cannot open the mem0 store in {folder}: {exc}",
            fix="close the other iza process using memory.backend=mem0 (Qdrant local mode is single-process)",
        ) from exc


class Mem0MemoryStore(MemoryStore):
    """``Mem0MemoryStore(folder, embedder=MiniLM())``: mem0 + local Qdrant + a SQLite side file."""

    def __init__(
        self, folder: str | Path, embedder: Embedder | None, weights: FusionWeights = DEFAULT_WEIGHTS
    ) -> None:
        if embedder is None:
            raise ConfigError(
                "the mem0 memory backend needs an embedder (memory.embedder=none given)",
                fix="pip install 'iza-os[embeddings]' and set memory.embedder = \"minilm\"",
            )
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder
        self.weights = weights
        self._lock = threading.RLock()
        self._mem = _open_mem0(self.folder, embedder)
        self._conn = sqlite3.connect(
            str(self.folder / "side.db"), isolation_level=None, check_same_thread=False
        )
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "secure_delete = ON"):
            self._conn.execute(f"PRAGMA {pragma}")
        for stmt in _SIDE_SCHEMA:
            self._conn.execute(stmt)

    # ---- plumbing ------------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _check_model(self, namespace: str, embedder: Embedder | None = None) -> None:
        emb = embedder or self.embedder
        row = self._conn.execute("SELECT embed_model FROM namespaces WHERE name = ?", (namespace,)).fetchone()
        if row and row[0] and row[0] != emb.name:
            raise EmbeddingMismatch(namespace, row[0], emb.name)

    def _row(self, namespace: str, record_id: str) -> tuple[int, str, int]:
        row = self._conn.execute(
            "SELECT seq, mem0_id, version FROM rows WHERE namespace = ? AND id = ?", (namespace, record_id)
        ).fetchone()
        if row is None:
            raise RecordNotFound(namespace, record_id)
        return int(row[0]), str(row[1]), int(row[2])

    def _fetch(self, namespace: str, mem0_id: str) -> MemoryRecord | None:
        item = self._mem.get(mem0_id)
        return _record(namespace, item) if item else None

    def _purge_mem0_log(self, mem0_ids: Sequence[str]) -> None:
        """mem0 logs a DELETE event holding the deleted text; remove the whole log of these ids
        (mem0 has no API for it, so this goes to its history table through its own connection)."""
        db = self._mem.db
        with db._lock:
            for start in range(0, len(mem0_ids), 500):
                chunk = list(mem0_ids[start : start + 500])
                db.connection.execute(
                    f"DELETE FROM history WHERE memory_id IN ({', '.join('?' * len(chunk))})", chunk
                )
            db.connection.commit()

    def _side_values(self, rec: MemoryRecord) -> tuple[Any, ...]:
        return (
            rec.kind,
            rec.subject,
            float(rec.event_time if rec.event_time is not None else rec.created_at),
            float(rec.expires_at if rec.expires_at is not None else _NO_EXPIRY),
            rec.importance,
            json.dumps(dict(rec.metadata)),
        )

    # ---- writes --------------------------------------------------------------------------------
    def add(self, records: Sequence[MemoryRecord], progress: Callable[[int, int], None] | None = None) -> int:
        if not records:
            return 0
        latest: dict[tuple[str, str], MemoryRecord] = {}
        for rec in records:  # the same id twice in one batch: the later one wins
            latest[(rec.namespace, rec.id)] = rec
        with self._lock:
            for ns in {r.namespace for r in records}:
                self._check_model(ns)
        todo = list(latest.values())
        vectors = self.embedder.encode([r.text for r in todo])
        if progress:
            progress(len(todo), len(todo))
        emb = self._mem.embedding_model
        emb.primed = {r.text: v.tolist() for r, v in zip(todo, vectors, strict=True)}
        created: list[str] = []
        try:
            with self._write() as conn:
                for ns in {r.namespace for r in todo}:
                    conn.execute(
                        "INSERT OR IGNORE INTO namespaces (name, embed_model, embed_dim) VALUES (?, ?, ?)",
                        (ns, self.embedder.name, self.embedder.dim),
                    )
                for rec in todo:
                    row = conn.execute(
                        "SELECT seq, mem0_id FROM rows WHERE namespace = ? AND id = ?",
                        (rec.namespace, rec.id),
                    ).fetchone()
                    if row is not None:
                        changed = rec.with_changes(updated_at=time.time())
                        self._replace(conn, int(row[0]), str(row[1]), changed)
                        continue
                    out = self._mem.add(rec.text, user_id=rec.namespace, metadata=_payload(rec), infer=False)
                    mem0_id = str(out["results"][0]["id"])
                    created.append(mem0_id)
                    cur = conn.execute(
                        "INSERT INTO rows (namespace, id, mem0_id, kind, subject, t, expires, importance,"
                        " metadata, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (rec.namespace, rec.id, mem0_id, *self._side_values(rec), rec.created_at),
                    )
                    table = ensure_fts(conn, rec.namespace)
                    conn.execute(
                        f"INSERT INTO {table} (rowid, text, context) VALUES (?, ?, '')",
                        (cur.lastrowid, rec.text),
                    )
        except BaseException:
            for mem0_id in created:  # compensate: mem0 has no transaction to roll back
                try:
                    self._mem.delete(mem0_id)
                except Exception:  # noqa: BLE001 - best effort, the original error matters
                    logger.warning("could not roll back mem0 memory %s", mem0_id)
            self._purge_mem0_log(created)
            raise
        finally:
            emb.primed = {}
        logger.info("stored %d memories in mem0", len(records))
        return len(records)

    def _replace(self, conn: sqlite3.Connection, seq: int, mem0_id: str, rec: MemoryRecord) -> None:
        """Archive the current version in side history, then write ``rec`` to mem0 and the side."""
        conn.execute(
            "INSERT INTO history (namespace, id, version, text, metadata, importance, changed_at, action)"
            " SELECT r.namespace, r.id, r.version, f.text, r.metadata, r.importance, ?, 'updated'"
            f" FROM rows r JOIN {fts_table(rec.namespace)} f ON f.rowid = r.seq WHERE r.seq = ?",
            (time.time(), seq),
        )
        self._mem.update(mem0_id, text=rec.text, metadata=_payload(rec))
        conn.execute(
            "UPDATE rows SET kind = ?, subject = ?, t = ?, expires = ?, importance = ?, metadata = ?,"
            " version = version + 1 WHERE seq = ?",
            (*self._side_values(rec), seq),
        )
        table = ensure_fts(conn, rec.namespace)
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
        conn.execute(f"INSERT INTO {table} (rowid, text, context) VALUES (?, ?, '')", (seq, rec.text))

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
        new = current.updated(text=text, metadata=metadata, importance=importance, expires_at=expires_at)
        self.add([new.with_changes(updated_at=time.time())])
        return self.get(namespace, record_id)

    def _remove(self, namespace: str, rows: Sequence[tuple[int, str, str]]) -> None:
        """Delete ``(seq, id, mem0_id)`` rows everywhere, then compact the FTS index."""
        for _, _, mem0_id in rows:
            self._mem.delete(mem0_id)
        self._purge_mem0_log([m for _, _, m in rows])
        with self._write() as conn:
            table = ensure_fts(conn, namespace)
            for seq, rid, _ in rows:
                conn.execute("DELETE FROM history WHERE namespace = ? AND id = ?", (namespace, rid))
                conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (seq,))
                conn.execute("DELETE FROM rows WHERE seq = ?", (seq,))
        with self._lock:
            self._conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def delete(self, namespace: str, record_id: str) -> None:
        with self._lock:
            seq, mem0_id, _ = self._row(namespace, record_id)
            self._remove(namespace, [(seq, record_id, mem0_id)])

    def forget(self, namespace: str, subject: str | None = None) -> int:
        sql = "SELECT seq, id, mem0_id FROM rows WHERE namespace = ?"
        args: tuple[Any, ...] = (namespace,)
        if subject is not None:
            sql += " AND subject = ?"
            args += (subject,)
        with self._lock:
            rows = [(int(s), str(i), str(m)) for s, i, m in self._conn.execute(sql, args)]
            self._remove(namespace, rows)
            if subject is None:
                with self._write() as conn:
                    conn.execute("DELETE FROM history WHERE namespace = ?", (namespace,))
                    conn.execute("DELETE FROM namespaces WHERE name = ?", (namespace,))
                    conn.execute(f"DROP TABLE IF EXISTS {fts_table(namespace)}")
        logger.info("forgot %d mem0 memories (subject given: %s)", len(rows), subject is not None)
        return len(rows)

    def reembed(
        self,
        namespace: str,
        embedder: Embedder,
        batch: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """New vectors for every record of ``namespace``. Qdrant's collection has one dimension, so
        a model of another dimension is refused rather than half-applied."""
        if embedder.dim != self.embedder.dim:
            raise ConfigError(
                f"the mem0 store holds {self.embedder.dim}-d vectors; {embedder.name} makes {embedder.dim}-d",
                fix="use an embedder of the same dimension, or move the namespace to the SQLite backend",
            )
        with self._lock:
            rows = self._conn.execute(
                "SELECT mem0_id FROM rows WHERE namespace = ? ORDER BY seq", (namespace,)
            ).fetchall()
            store = self._mem.vector_store
            for start in range(0, len(rows), batch):
                chunk = [str(r[0]) for r in rows[start : start + batch]]
                points = [store.get(vector_id=m) for m in chunk]
                vecs = embedder.encode([str(p.payload.get("data", "")) for p in points])
                for m, p, v in zip(chunk, points, vecs, strict=True):
                    store.update(vector_id=m, vector=v.tolist(), payload=p.payload)
                if progress:
                    progress(min(start + batch, len(rows)), len(rows))
            with self._write() as conn:
                conn.execute(
                    "INSERT OR REPLACE INTO namespaces (name, embed_model, embed_dim) VALUES (?, ?, ?)",
                    (namespace, embedder.name, embedder.dim),
                )
        return len(rows)

    # ---- reads ---------------------------------------------------------------------------------
    def get(self, namespace: str, record_id: str) -> MemoryRecord:
        with self._lock:
            _, mem0_id, _ = self._row(namespace, record_id)
            rec = self._fetch(namespace, mem0_id)
        if rec is None:
            raise RecordNotFound(namespace, record_id)
        return rec

    def list(
        self, namespace: str, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[MemoryRecord]:
        sql = "SELECT mem0_id FROM rows WHERE namespace = ?"
        args: list[Any] = [namespace]
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        sql += " ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?"
        with self._lock:
            ids = [str(r[0]) for r in self._conn.execute(sql, (*args, limit, offset))]
            return [r for r in (self._fetch(namespace, m) for m in ids) if r is not None]

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
        if not queries:
            return []
        with self._lock:
            for ns in {q.namespace for q in queries}:
                self._check_model(ns)
        qvecs = self.embedder.encode([q.text for q in queries])
        emb = self._mem.embedding_model
        out = []
        with self._lock:
            for q, qv in zip(queries, qvecs, strict=True):
                emb.primed = {q.text: qv.tolist()}
                try:
                    out.append(self._search_one(q))
                finally:
                    emb.primed = {}
        return out

    def _search_one(self, q: SearchQuery) -> builtins.list[SearchHit]:
        import numpy as np

        if q.k <= 0 or not q.text.strip():
            return []
        now = time.time()
        if not self._conn.execute("SELECT 1 FROM rows WHERE namespace = ?", (q.namespace,)).fetchone():
            return []
        found = self._mem.search(
            q.text, top_k=max(_DEPTH_PER_K * q.k, _MIN_DEPTH), filters=_mem0_filters(q), threshold=0.0
        )
        items = {str(r["id"]): r for r in found["results"]}
        dense = {i: float(r.get("score") or 0.0) for i, r in items.items()}
        lexical: dict[int, float] = {}
        terms = query_terms(q.text)
        table = fts_table(q.namespace)
        if terms:
            lexical = {
                int(s): float(v)
                for s, v in self._conn.execute(
                    f"SELECT rowid, -bm25({table}) FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
                    (fts_match(terms), _DEPTH),
                )
            }
        # Candidates from both, then the same filters on the side table (so lexical hits obey them).
        clauses, args = sql_filters(q, "t")
        clauses[:0], args[:0] = ["namespace = ?", "expires > ?"], [q.namespace, now]
        ids = builtins.list(dense)
        seqs = builtins.list(lexical)
        marks = ", ".join("?" * len(ids)) or "NULL", ", ".join("?" * len(seqs)) or "NULL"
        clauses.append(f"(mem0_id IN ({marks[0]}) OR seq IN ({marks[1]}))")
        rows = self._conn.execute(
            f"SELECT seq, mem0_id, t, importance FROM rows WHERE {' AND '.join(clauses)} ORDER BY seq",
            (*args, *ids, *seqs),
        ).fetchall()
        if not rows:
            return []
        score, parts = fuse(
            np.array([lexical.get(int(r[0]), 0.0) for r in rows], dtype=np.float32),
            np.array([dense.get(str(r[1]), 0.0) for r in rows], dtype=np.float32),
            np.zeros(len(rows), dtype=bool),
            np.array([float(r[2]) for r in rows], dtype=np.float64),
            np.array([float(r[3]) for r in rows], dtype=np.float32),
            now,
            self.weights,
        )
        keep = [i for i in range(len(rows)) if parts["bm25"][i] > 0 or parts["dense"][i] > 0]
        keep.sort(key=lambda i: -float(score[i]))
        hits = []
        for i in keep[: q.k]:
            item = items.get(str(rows[i][1]))  # mem0 already returned the dense hits' payloads
            rec = _record(q.namespace, item) if item else self._fetch(q.namespace, str(rows[i][1]))
            if rec is not None:
                hits.append(SearchHit(rec, float(score[i]), {n: float(a[i]) for n, a in parts.items()}))
        return hits

    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        sql = (
            "SELECT r.namespace, COUNT(*), MAX(r.created_at), n.embed_model, n.embed_dim FROM rows r"
            " LEFT JOIN namespaces n ON n.name = r.namespace"
        )
        args: tuple[Any, ...] = ()
        if namespace is not None:
            sql += " WHERE r.namespace = ?"
            args = (namespace,)
        with self._lock:
            rows = self._conn.execute(sql + " GROUP BY r.namespace ORDER BY r.namespace", args).fetchall()
            kinds = self._conn.execute(
                "SELECT namespace, kind, COUNT(*) FROM rows" + (" WHERE namespace = ?" if namespace else "")
                + " GROUP BY namespace, kind",
                args,
            ).fetchall()
        spaces = {
            ns: {"records": n, "embedded": n, "last_write": iso(last), "embed_model": m, "embed_dim": d,
                 "kinds": {}}
            for ns, n, last, m, d in rows
        }
        for ns, kind, n in kinds:
            spaces[ns]["kinds"][kind] = n
        size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return {
            "backend": "mem0",
            "path": str(self.folder),
            "bytes": size,
            "embedder": self.embedder.name,
            "records": sum(s["records"] for s in spaces.values()),
            "namespaces": spaces,
        }

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            try:
                self._mem.vector_store.client.close()
            except Exception:  # noqa: BLE001 - closing twice or a client without close()
                pass
            try:
                self._mem.db.close()
            except Exception:  # noqa: BLE001
                pass
