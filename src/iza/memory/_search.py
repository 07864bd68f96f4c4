"""Hybrid ranking: the pure part of search (no IO), so it can be tuned and tested on arrays.

Fusion is a weighted sum of *normalised scores*, not reciprocal ranks. Measured on the LoCoMo
development split (``bench/locomo_inprocess.py --grid``), rank fusion threw away how far ahead the best BM25
match was (equal-weight RRF 0.596 recall@10, below BM25 alone at 0.633), while the score sum
reaches ~0.78 on a broad plateau of weights — every conversation improves, which is what makes
the weights below defensible for unseen data:

* ``bm25``: FTS5 BM25 over the record text plus, at a lower column weight, its neighbouring
  turns (``context``), divided by the query's best BM25 score (so 1.0 = best lexical match).
* ``dense``: cosine of MiniLM vectors, rescaled so that cosines below ``dense_floor`` count 0
  (unrelated sentences still score ~0.1–0.2 with this model).
* ``neighbour``: a share of the better adjacent record's score within the same thread/session.
  Conversations spread one fact over consecutive turns ("Did you go?" / "Yes, last Friday").
* ``recency`` and ``importance``: small priors, so ties break toward fresh and important records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from iza.memory._records import SearchQuery

__all__ = ["DEFAULT_WEIGHTS", "FusionWeights", "fts_match", "fuse", "query_terms", "sql_filters"]

_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been
being do does did done have has had i you he she it we they me him her them my your his its our their
this that these those what which who whom whose when where why how not no yes so than then too very
can could will would shall should may might must about into over after before during up down out off
again further once here there all any both each few more most other some such only own same just s t
don now ever also get got kind""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the fused score (see module docstring for why each exists)."""

    bm25: float = 1.0
    dense: float = 1.0
    dense_floor: float = 0.2
    context: float = 0.3
    neighbour: float = 0.15
    recency: float = 0.02
    recency_half_life_days: float = 180.0
    importance: float = 0.05


DEFAULT_WEIGHTS = FusionWeights()


def query_terms(text: str) -> list[str]:
    """Distinct lower-case content words of a query, in order; stop words dropped.

    A query of only stop words ("what was it?") gets no lexical part at all: it would match
    nearly every record, rank them by noise, and was the slowest query shape measured
    (40+ ms CPU at 30k records vs a 3 ms median). Vectors, if any, still answer it.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    return list(dict.fromkeys(w for w in words if w not in _STOP))


def fts_match(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any term (OR), each quoted so FTS syntax in input is inert."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def fuse(
    bm25: npt.NDArray[np.float32],
    dense: npt.NDArray[np.float32] | None,
    same_prev: npt.NDArray[np.bool_],
    times: npt.NDArray[np.float64],
    importance: npt.NDArray[np.float32],
    now: float,
    w: FusionWeights = DEFAULT_WEIGHTS,
) -> tuple[npt.NDArray[np.float32], dict[str, npt.NDArray[np.float32]]]:
    """Fused scores for every record of a namespace, in namespace order.

    ``bm25`` holds raw (positive) BM25 scores, 0 where the record did not match; ``dense`` the
    cosines (or ``None`` when the namespace has no vectors); ``same_prev[i]`` says record ``i``
    continues the thread of record ``i-1``. Returns the scores and the named parts.
    """
    import numpy as np

    top = float(bm25.max()) if bm25.size else 0.0
    parts: dict[str, npt.NDArray[np.float32]] = {
        "bm25": (bm25 / top if top > 0 else np.zeros_like(bm25)).astype(np.float32)
    }
    base = w.bm25 * parts["bm25"]
    if dense is not None:
        parts["dense"] = np.clip((dense - w.dense_floor) / (1.0 - w.dense_floor), 0.0, None).astype(
            np.float32
        )
        base = base + w.dense * parts["dense"]
    if w.neighbour and base.size > 1:
        left = np.zeros_like(base)
        right = np.zeros_like(base)
        link = same_prev[1:]
        left[1:] = np.where(link, base[:-1], 0.0)
        right[:-1] = np.where(link, base[1:], 0.0)
        parts["neighbour"] = np.maximum(left, right)
        base = base + w.neighbour * parts["neighbour"]
    age_days = np.clip((now - times) / 86400.0, 0.0, None)
    parts["recency"] = np.power(0.5, age_days / w.recency_half_life_days).astype(np.float32)
    parts["importance"] = (importance - 0.5).astype(np.float32)
    score = base + w.recency * parts["recency"] + w.importance * parts["importance"]
    if not math.isfinite(float(score.sum())):
        score = np.nan_to_num(score)
    return score.astype(np.float32), parts


def sql_filters(q: SearchQuery, time_expr: str) -> tuple[list[str], list[Any]]:
    """SQLite ``WHERE`` clauses (to be joined with AND) and their parameters for a query's kind,
    subject, metadata and time filters; ``time_expr`` is the column or expression holding the
    record's time in the caller's table."""
    clauses: list[str] = []
    args: list[Any] = []
    if q.kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(q.kinds))})")
        args += list(q.kinds)
    if q.subject:
        clauses.append("subject = ?")
        args.append(q.subject)
    for key, value in q.metadata.items():
        clauses.append("json_extract(metadata, ?) = ?")
        args += ["$." + '"' + key.replace('"', "") + '"', value]
    if q.since is not None:
        clauses.append(f"{time_expr} >= ?")
        args.append(q.since)
    if q.until is not None:
        clauses.append(f"{time_expr} <= ?")
        args.append(q.until)
    return clauses, args
