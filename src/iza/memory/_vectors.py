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
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["NamespaceIndex", "load_index", "thread_key"]

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
