"""Per-namespace arrays for ranking: order, thread links, priors and (optionally) vectors.

Exact NumPy search was chosen over sqlite-vec by measurement (``bench/vector_index.py``): both
are brute force at this scale, NumPy's matrix product over a cached float32 matrix was faster
per query, and it needs no loadable SQLite extension (which some Python builds disable).
The cache is rebuilt when SQLite's ``data_version`` or this process's write counter changes,
so a long-lived server sees other processes' writes.
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
    declare a thread are neighbours: unrelated notes added together are not a conversation."""
    if not metadata_json or metadata_json == "{}":
        return ""
    meta = json.loads(metadata_json) if isinstance(metadata_json, str) else metadata_json
    if not any(k in meta for k in _THREAD_KEYS):
        return ""
    return "|".join(str(meta.get(k, "")) for k in _THREAD_KEYS)


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


_KEY_SQL = " || '|' || ".join(f"COALESCE(json_extract(metadata, '$.{k}'), '')" for k in _THREAD_KEYS)
_HAS_KEY_SQL = " OR ".join(f"json_type(metadata, '$.{k}') IS NOT NULL" for k in _THREAD_KEYS)
_INDEX_SQL = (
    "SELECT seq, t, imp, exp, key <> '' AND key = LAG(key) OVER (ORDER BY seq) FROM ("
    " SELECT seq, COALESCE(event_time, created_at) AS t, importance AS imp,"
    " COALESCE(expires_at, 1e300) AS exp,"
    f" CASE WHEN {_HAS_KEY_SQL} THEN {_KEY_SQL} ELSE '' END AS key"
    " FROM records WHERE namespace = ?) ORDER BY seq"
)


def load_index(conn: sqlite3.Connection, namespace: str, with_vectors: bool) -> NamespaceIndex:
    import numpy as np

    # The thread key and the "continues the previous record" flag are computed in SQL (json_extract
    # + LAG), so a 1M-record namespace loads without a Python loop over its metadata.
    rows = conn.execute(_INDEX_SQL, (namespace,)).fetchall()
    n = len(rows)
    seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    same_prev = np.fromiter((bool(r[4]) for r in rows), dtype=bool, count=n)
    vectors = None
    if with_vectors and n:
        vecs = conn.execute(
            "SELECT seq, vec FROM vectors WHERE namespace = ? ORDER BY seq", (namespace,)
        ).fetchall()
        if vecs:
            dim = len(vecs[0][1]) // 4
            vectors = np.zeros((n, dim), dtype=np.float32)
            where = np.searchsorted(seqs, np.fromiter((v[0] for v in vecs), dtype=np.int64, count=len(vecs)))
            for row, (_seq, blob) in zip(where, vecs, strict=True):
                vectors[row] = np.frombuffer(blob, dtype=np.float32)
    return NamespaceIndex(
        seqs=seqs,
        same_prev=same_prev,
        times=np.fromiter((r[1] for r in rows), dtype=np.float64, count=n),
        importance=np.fromiter((r[2] for r in rows), dtype=np.float32, count=n),
        expires=np.fromiter((r[3] for r in rows), dtype=np.float64, count=n),
        vectors=vectors,
    )
