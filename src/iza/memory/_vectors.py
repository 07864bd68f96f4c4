"""Per-namespace arrays for ranking: order, thread links, priors and (optionally) vectors.

Exact NumPy search was chosen over sqlite-vec by measurement (``bench/vector_index.py``): both
are brute force at this scale, NumPy's matrix product over a cached float32 matrix was faster
per query, and it needs no loadable SQLite extension (which some Python builds disable).
The cache is refreshed when SQLite's ``data_version`` or this process's write counter changes,
so a long-lived server sees other processes' writes: records appended since are added to the
arrays; any change to existing records (update, delete, forget, re-embed: the namespace's
``mutations`` count) rebuilds them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "PERSIST_MIN",
    "NamespaceIndex",
    "load_index",
    "load_saved_index",
    "save_index",
    "saved_index_path",
    "thread_key",
]

#: Metadata keys that name a thread of consecutive records (a chat session, a mail thread).
_THREAD_KEYS = ("thread", "session", "conversation")


def thread_key(metadata_json: str | Mapping[str, Any]) -> str:
    """The thread a record belongs to, from its metadata (empty: no thread). Only records that
    declare a thread are neighbours: unrelated notes added together are not a conversation.
    (Called once per ingested record, so it avoids generic joins: ~3x faster, same strings.)"""
    if isinstance(metadata_json, str):
        if not metadata_json or metadata_json == "{}":
            return ""
        meta = json.loads(metadata_json)
    else:
        meta = metadata_json
    if "thread" not in meta and "session" not in meta and "conversation" not in meta:
        return ""
    return f"{meta.get('thread', '')}|{meta.get('session', '')}|{meta.get('conversation', '')}"


@dataclass
class NamespaceIndex:
    seqs: npt.NDArray[np.int64]
    same_prev: npt.NDArray[np.bool_]
    times: npt.NDArray[np.float64]
    importance: npt.NDArray[np.float32]
    expires: npt.NDArray[np.float64]
    vectors: npt.NDArray[np.float32] | None

    def positions(self, seqs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Row positions of ``seqs`` (which must be in this index); ``seqs`` is sorted."""
        import numpy as np

        out: npt.NDArray[np.int64] = np.searchsorted(self.seqs, seqs)
        return out


_INDEX_SQL = (
    "SELECT seq, COALESCE(event_time, created_at), importance, COALESCE(expires_at, 1e300), thread"
    " FROM records WHERE namespace = ? AND seq >= ? ORDER BY seq"
)


def load_index(
    conn: sqlite3.Connection, namespace: str, with_vectors: bool, base: NamespaceIndex | None = None
) -> NamespaceIndex:
    """The namespace's arrays; with ``base``, only records appended after it are read and added.

    The caller passes ``base`` only when no existing record changed since it was built (the
    namespace's ``mutations`` count is the same), so rows after ``base``'s last seq are exactly
    what is missing. Measured at 1M records: a full build read every row; an append of 10k reads
    10k (plus NumPy concatenation of the 1M-long arrays, a few ms).
    """
    import numpy as np

    # The "continues the previous record" flag compares stored thread keys (written at insert),
    # so no metadata is parsed; in NumPy, not a SQL window (LAG doubled the query time at 100k).
    # An append starts at base's last record, so the first new record sees its predecessor.
    first = int(base.seqs[-1]) if base is not None and len(base.seqs) else -1
    rows = conn.execute(_INDEX_SQL, (namespace, first)).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    threads = np.array(cols[4], dtype=object)
    linked = np.zeros(len(rows), dtype=bool)
    if len(rows) > 1:
        linked[1:] = (threads[1:] == threads[:-1]) & (threads[1:] != "")
    skip = 1 if base is not None and len(base.seqs) else 0
    n = len(rows) - skip
    seqs = np.array(cols[0][skip:], dtype=np.int64)
    same_prev = linked[skip:]
    vectors = None
    if with_vectors and n:
        vecs = conn.execute(
            "SELECT seq, vec FROM vectors WHERE namespace = ? AND seq > ? ORDER BY seq", (namespace, first)
        ).fetchall()
        if vecs:
            dim = len(vecs[0][1]) // 4
            vectors = np.zeros((n, dim), dtype=np.float32)
            where = np.searchsorted(seqs, np.fromiter((v[0] for v in vecs), dtype=np.int64, count=len(vecs)))
            for row, (_seq, blob) in zip(where, vecs, strict=True):
                vectors[row] = np.frombuffer(blob, dtype=np.float32)
    fresh = NamespaceIndex(
        seqs=seqs,
        same_prev=same_prev,
        times=np.array(cols[1][skip:], dtype=np.float64),
        importance=np.array(cols[2][skip:], dtype=np.float32),
        expires=np.array(cols[3][skip:], dtype=np.float64),
        vectors=vectors,
    )
    if base is None or not len(base.seqs):
        return fresh
    if not n:
        return base
    if (base.vectors is None) != (fresh.vectors is None):
        return load_index(conn, namespace, with_vectors)  # vectors appeared or vanished: rebuild
    more = [] if base.vectors is None or fresh.vectors is None else [base.vectors, fresh.vectors]
    return NamespaceIndex(
        seqs=np.concatenate([base.seqs, fresh.seqs]),
        same_prev=np.concatenate([base.same_prev, fresh.same_prev]),
        times=np.concatenate([base.times, fresh.times]),
        importance=np.concatenate([base.importance, fresh.importance]),
        expires=np.concatenate([base.expires, fresh.expires]),
        vectors=np.concatenate(more) if more else None,
    )


#: Namespaces at least this large get their arrays saved beside the database (see ``save_index``).
PERSIST_MIN = 50_000


def saved_index_path(db_path: str, table: str) -> Path:
    """Where a namespace's arrays are saved: ``<db>.rank/<fts table name>.npz``."""
    return Path(db_path + ".rank") / f"{table}.npz"


def save_index(path: Path, index: NamespaceIndex, state: tuple[float, int]) -> None:
    """Save a lexical-only namespace's arrays, tagged with its (created_at, mutations) state.

    Why: building the arrays reads every record of the namespace (~6 s at 1M on a shared
    2-core host), once per process. Saved, a new process loads them (tens of ms) and reads only
    the records appended since. Only numbers are saved (seq, times, importance, expiry, thread
    links; no text, no vectors), the file is replaced atomically, and ``delete``/``forget``
    remove it. Namespaces with vectors are not saved: their vectors have to be read anyway.
    """
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp.npz")
    np.savez(
        tmp,
        state=np.array(state, dtype=np.float64),
        seqs=index.seqs,
        same_prev=index.same_prev,
        times=index.times,
        importance=index.importance,
        expires=index.expires,
    )
    tmp.replace(path)


def load_saved_index(path: Path, state: tuple[float, int]) -> NamespaceIndex | None:
    """The saved arrays if they were saved in ``state`` (else ``None``: rebuild)."""
    import numpy as np

    try:
        with np.load(path) as data:
            if tuple(data["state"].tolist()) != (float(state[0]), float(state[1])):
                return None
            return NamespaceIndex(
                seqs=data["seqs"],
                same_prev=data["same_prev"],
                times=data["times"],
                importance=data["importance"],
                expires=data["expires"],
                vectors=None,
            )
    except (OSError, KeyError, ValueError):
        return None
