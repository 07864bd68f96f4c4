"""Candidate retrieval for the SQLite backend: FTS5 BM25 + exact vector scores → fused top k.

Kept apart from the adapter so the IO (two queries) and the arithmetic (``_search.fuse``) can be
read in one place. Filters are applied as a mask before the top-k cut, so ``k`` results are
returned whenever ``k`` records pass the filters and relate to the query at all.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

from iza.memory._records import SearchQuery
from iza.memory._search import FusionWeights, fts_match, fuse, query_terms, sql_filters
from iza.memory._vectors import NamespaceIndex

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["rank"]

#: How many BM25 matches are scored per query; beyond this depth a match cannot reach the top k.
_BM25_DEPTH = 1000


def _filter_mask(
    conn: sqlite3.Connection, index: NamespaceIndex, q: SearchQuery
) -> npt.NDArray[np.bool_] | None:
    import numpy as np

    clauses, args = sql_filters(q, "COALESCE(event_time, created_at)")
    if not clauses:
        return None
    sql = "SELECT seq FROM records WHERE namespace = ? AND " + " AND ".join(clauses) + " ORDER BY seq"
    seqs = np.fromiter((r[0] for r in conn.execute(sql, (q.namespace, *args))), dtype=np.int64)
    mask = np.zeros(len(index.seqs), dtype=bool)
    if seqs.size:
        mask[index.positions(seqs)] = True
    return mask


def rank(
    conn: sqlite3.Connection,
    index: NamespaceIndex,
    q: SearchQuery,
    qvec: npt.NDArray[np.float32] | None,
    w: FusionWeights,
    table: str,
) -> list[tuple[int, float, dict[str, float]]]:
    """``(seq, score, parts)`` best first, at most ``q.k``."""
    import numpy as np

    n = len(index.seqs)
    if n == 0 or q.k <= 0:
        return []
    pos = np.zeros(0, dtype=np.int64)
    scores = np.zeros(0, dtype=np.float32)
    terms = query_terms(q.text)
    if terms:
        rows = conn.execute(
            f"SELECT rowid, -bm25({table}, 1.0, ?) FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?",
            (w.context, fts_match(terms), _BM25_DEPTH),
        ).fetchall()
        if rows:
            seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            raw = np.fromiter((r[1] for r in rows), dtype=np.float32, count=len(rows))
            order = np.argsort(seqs)
            found = index.positions(seqs[order])
            ok = (found < n) & (index.seqs[np.minimum(found, n - 1)] == seqs[order])
            pos, scores = found[ok], raw[order][ok]
    dense = None
    if qvec is not None and index.vectors is not None:
        dense = index.vectors @ qvec
        sel = np.arange(n)
    else:
        # Lexical only: just the matches and their neighbours can score, so rank that subset
        # (≤ 3 × 1000 rows) instead of the whole namespace (measured: 1M-row arrays cost ~100 ms).
        if pos.size == 0:
            return []
        sel = np.unique(np.concatenate([pos - 1, pos, pos + 1]))
        sel = sel[(sel >= 0) & (sel < n)]
    adjacent = np.concatenate([[False], np.diff(sel) == 1])
    bm25 = np.zeros(sel.size, dtype=np.float32)
    bm25[np.searchsorted(sel, pos)] = scores
    now = time.time()
    score, parts = fuse(
        bm25, dense, index.same_prev[sel] & adjacent, index.times[sel], index.importance[sel], now, w
    )
    relevant = parts["bm25"] > 0
    if "dense" in parts:
        relevant |= parts["dense"] > 0
    if "neighbour" in parts:
        relevant |= parts["neighbour"] > 0
    relevant &= index.expires[sel] > now
    mask = _filter_mask(conn, index, q)
    if mask is not None:
        relevant &= mask[sel]
    candidates = np.flatnonzero(relevant)
    if candidates.size == 0:
        return []
    k = min(q.k, candidates.size)
    top = candidates[np.argpartition(-score[candidates], k - 1)[:k]]
    top = top[np.argsort(-score[top], kind="stable")]
    return [
        (int(index.seqs[sel[i]]), float(score[i]), {name: float(arr[i]) for name, arr in parts.items()})
        for i in top
    ]
