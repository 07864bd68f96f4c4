"""The Chroma backend: the same port over a Chroma server (``chroma run``), for scaled-out setups.

Mapping: one collection per namespace (``iza_<hash>``; cosine space) plus one for its history
(``izah_<hash>``). Vectors always come from *our* embedder (Chroma's default embedding function
would fetch a model at run time, which IZA never does), and the collection records the model
name, so mixing is refused exactly as on SQLite. Metadata is stored twice: as JSON (the
source of truth) and flattened to ``m_<key>`` scalars, because Chroma filters only on scalars.

Search differs from SQLite on purpose and says so: Chroma has no BM25, so candidates come from
the vector index (filters pushed down as ``where``) and are re-scored with the same fusion,
where the lexical part is BM25 computed over the candidate set. Neighbouring-turn context is a
SQLite feature.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from iza.errors import ConfigError, StoreError
from iza.memory._port import Embedder, EmbeddingMismatch, MemoryStore, RecordNotFound
from iza.memory._records import MemoryRecord, SearchHit, SearchQuery, history_entries
from iza.memory._search import DEFAULT_WEIGHTS, FusionWeights, query_terms

__all__ = ["ChromaMemoryStore"]

_NO_EXPIRY = 1e18
_WORD = re.compile(r"\w+", re.UNICODE)
_DEPTH = 100


def _names(namespace: str) -> tuple[str, str]:
    h = hashlib.sha1(namespace.encode("utf-8")).hexdigest()[:32]
    return f"iza_{h}", f"izah_{h}"


def _flat(rec: MemoryRecord, version: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "rid": rec.id,
        "kind": rec.kind,
        "importance": float(rec.importance),
        "created_at": float(rec.created_at),
        "updated_at": float(rec.updated_at or rec.created_at),
        "expires_at": float(rec.expires_at if rec.expires_at is not None else _NO_EXPIRY),
        "version": version,
        "meta_json": json.dumps(dict(rec.metadata)),
        "prov_json": json.dumps(dict(rec.provenance)),
    }
    if rec.subject is not None:
        meta["subject"] = rec.subject
    if rec.event_time is not None:
        meta["event_time"] = float(rec.event_time)
    for key, value in rec.metadata.items():
        if isinstance(value, str | int | float | bool):
            meta["m_" + key] = value
    return meta


def _record(namespace: str, doc: str, meta: Mapping[str, Any]) -> MemoryRecord:
    expires = meta.get("expires_at")
    return MemoryRecord(
        namespace=namespace,
        id=str(meta["rid"]),
        text=doc,
        kind=str(meta["kind"]),
        metadata=json.loads(str(meta["meta_json"])),
        provenance=json.loads(str(meta["prov_json"])),
        subject=meta.get("subject"),
        event_time=meta.get("event_time"),
        importance=float(meta["importance"]),
        expires_at=None if expires is None or expires >= _NO_EXPIRY else float(expires),
        created_at=float(meta["created_at"]),
        updated_at=float(meta["updated_at"]),
    )


def _where(q: SearchQuery, now: float) -> dict[str, Any]:
    conds: list[dict[str, Any]] = [{"expires_at": {"$gt": now}}]
    if q.kinds:
        conds.append({"kind": {"$in": list(q.kinds)}})
    if q.subject:
        conds.append({"subject": {"$eq": q.subject}})
    for key, value in q.metadata.items():
        conds.append({"m_" + key: {"$eq": value}})
    if q.since is not None:
        conds.append({"event_time": {"$gte": q.since}})
    if q.until is not None:
        conds.append({"event_time": {"$lte": q.until}})
    return conds[0] if len(conds) == 1 else {"$and": conds}


def _bm25(texts: list[str], terms: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 of ``texts`` for ``terms`` with statistics from ``texts`` themselves (the candidates)."""
    words = [[w.lower() for w in _WORD.findall(t)] for t in texts]
    n = len(texts)
    avg = sum(len(w) for w in words) / max(n, 1)
    scores = [0.0] * n
    for term in terms:
        tfs = [w.count(term) for w in words]
        df = sum(1 for tf in tfs if tf)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, tf in enumerate(tfs):
            if tf:
                scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(words[i]) / max(avg, 1e-9)))
    return scores


class ChromaMemoryStore(MemoryStore):
    """``ChromaMemoryStore("http://127.0.0.1:8000", embedder=MiniLM())``."""

    def __init__(
        self,
        url: str,
        embedder: Embedder | None,
        weights: FusionWeights = DEFAULT_WEIGHTS,
        client: Any = None,
    ) -> None:
        if embedder is None:
            raise ConfigError(
                "the Chroma memory backend needs an embedder (memory.embedder=none given)",
                fix="pip install 'iza-os[embeddings]' and set memory.embedder = \"minilm\"",
            )
        self.embedder = embedder
        self.weights = weights
        self.url = url
        if client is None:
            try:
                import chromadb
            except ImportError as exc:
                from iza.errors import MissingDependency

                raise MissingDependency("chromadb", "chroma", purpose="memory.backend=chroma") from exc
            from urllib.parse import urlparse

            parsed = urlparse(url)
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or 8000,
                    ssl=parsed.scheme == "https",
                )
            except Exception as exc:  # chromadb raises plain Exceptions/ValueErrors on connect
                raise StoreError(
                    f"cannot reach Chroma at {url}: {exc}",
                    fix="start it with `chroma run --path DIR --port P` or fix memory.chroma_url",
                ) from exc
        self._client = client

    # ---- collections ---------------------------------------------------------------------------
    def _col(self, namespace: str, create: bool = False) -> Any:
        name, _ = _names(namespace)
        if create:
            col = self._client.get_or_create_collection(
                name,
                metadata={
                    "namespace": namespace,
                    "embed_model": self.embedder.name,
                    "embed_dim": self.embedder.dim,
                    "hnsw:space": "cosine",
                },
            )
        else:
            try:
                col = self._client.get_collection(name)
            except Exception:  # NotFoundError's class moved between chromadb versions
                return None
        model = (col.metadata or {}).get("embed_model")
        if model and model != self.embedder.name:
            raise EmbeddingMismatch(namespace, str(model), self.embedder.name)
        return col

    def _hist(self, namespace: str) -> Any:
        _, name = _names(namespace)
        return self._client.get_or_create_collection(
            name, metadata={"namespace": namespace, "hnsw:space": "cosine"}
        )

    # ---- writes --------------------------------------------------------------------------------
    def add(self, records: Sequence[MemoryRecord], progress: Callable[[int, int], None] | None = None) -> int:
        by_ns: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            by_ns.setdefault(r.namespace, []).append(i)
        for ns in by_ns:
            self._col(ns)  # refuses a model mismatch before any work
        vectors = self.embedder.encode([r.text for r in records])
        if progress:
            progress(len(records), len(records))
        for ns, idx in by_ns.items():
            col = self._col(ns, create=True)
            ids = [records[i].id for i in idx]
            old = col.get(ids=ids, include=["documents", "metadatas", "embeddings"])
            versions = {}
            if old["ids"]:
                self._archive(ns, old, "updated")
                versions = {m["rid"]: int(m["version"]) for m in old["metadatas"]}
            col.upsert(
                ids=ids,
                documents=[records[i].text for i in idx],
                embeddings=[vectors[i].tolist() for i in idx],
                metadatas=[
                    _flat(
                        records[i].with_changes(updated_at=time.time())
                        if records[i].id in versions
                        else records[i],
                        versions.get(records[i].id, 0) + 1,
                    )
                    for i in idx
                ],
            )
        return len(records)

    def _archive(self, namespace: str, old: Mapping[str, Any], action: str) -> None:
        metas = [dict(m, action=action, changed_at=time.time()) for m in old["metadatas"]]
        self._hist(namespace).add(
            ids=[f"{m['rid']}@v{m['version']}" for m in metas],
            documents=old["documents"],
            embeddings=[list(e) for e in old["embeddings"]],
            metadatas=metas,
        )

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
        cur = self.get(namespace, record_id)
        self.add([cur.updated(text=text, metadata=metadata, importance=importance,
                              expires_at=expires_at)])
        return self.get(namespace, record_id)

    def delete(self, namespace: str, record_id: str) -> None:
        self.get(namespace, record_id)
        col = self._col(namespace)
        col.delete(ids=[record_id])
        self._hist(namespace).delete(where={"rid": record_id})

    def forget(self, namespace: str, subject: str | None = None) -> int:
        col = self._col(namespace)
        if col is None:
            return 0
        if subject is None:
            n = int(col.count())
            for name in _names(namespace):
                try:
                    self._client.delete_collection(name)
                except Exception:  # the history collection may not exist
                    pass
            return n
        ids = col.get(where={"subject": subject}, include=[])["ids"]
        if ids:
            col.delete(ids=ids)
            self._hist(namespace).delete(where={"rid": {"$in": ids}})
        return len(ids)

    def reembed(
        self,
        namespace: str,
        embedder: Embedder,
        batch: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        name, _ = _names(namespace)
        col = self._client.get_collection(name)
        got = col.get(include=["documents"])
        for start in range(0, len(got["ids"]), batch):
            ids = got["ids"][start : start + batch]
            vecs = embedder.encode(got["documents"][start : start + batch])
            col.update(ids=ids, embeddings=[v.tolist() for v in vecs])
            if progress:
                progress(min(start + batch, len(got["ids"])), len(got["ids"]))
        meta = dict(col.metadata or {})
        meta.update(embed_model=embedder.name, embed_dim=embedder.dim)
        meta.pop("hnsw:space", None)
        col.modify(metadata=meta)
        return len(got["ids"])

    # ---- reads ---------------------------------------------------------------------------------
    def get(self, namespace: str, record_id: str) -> MemoryRecord:
        col = self._col(namespace)
        got = col.get(ids=[record_id], include=["documents", "metadatas"]) if col is not None else {"ids": []}
        if not got["ids"]:
            raise RecordNotFound(namespace, record_id)
        return _record(namespace, got["documents"][0], got["metadatas"][0])

    def list(
        self, namespace: str, *, kind: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[MemoryRecord]:
        col = self._col(namespace)
        if col is None:
            return []
        got = col.get(where={"kind": kind} if kind else None, include=["documents", "metadatas"])
        recs = [_record(namespace, d, m) for d, m in zip(got["documents"], got["metadatas"], strict=True)]
        recs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return recs[offset : offset + limit]

    def history(self, namespace: str, record_id: str) -> builtins.list[dict[str, Any]]:
        cur = self.get(namespace, record_id)
        got = self._hist(namespace).get(where={"rid": record_id}, include=["documents", "metadatas"])
        rows = sorted(
            zip(got["documents"], got["metadatas"], strict=True), key=lambda dm: int(dm[1]["version"])
        )
        return history_entries(
            ((int(m["version"]), d, json.loads(m["meta_json"]), m["importance"], m["changed_at"],
              m["action"]) for d, m in rows),
            cur,
        )

    def search(self, query: SearchQuery) -> builtins.list[SearchHit]:
        return self.search_many([query])[0]

    def search_many(self, queries: Sequence[SearchQuery]) -> builtins.list[builtins.list[SearchHit]]:
        qvecs: Any = self.embedder.encode([q.text for q in queries]) if queries else []
        return [self._search_one(q, qv) for q, qv in zip(queries, qvecs, strict=True)]

    def _search_one(self, q: SearchQuery, qv: Any) -> builtins.list[SearchHit]:
        col = self._col(q.namespace)
        if col is None or q.k <= 0:
            return []
        now = time.time()
        count = int(col.count())
        if not count:
            return []
        res = col.query(
            query_embeddings=[qv.tolist()],
            n_results=min(_DEPTH, count),
            where=_where(q, now),
            include=["documents", "metadatas", "distances"],
        )
        docs, metas, dists = res["documents"][0], res["metadatas"][0], res["distances"][0]
        terms = query_terms(q.text)
        lex = _bm25(docs, terms)
        top = max(lex, default=0.0)
        w = self.weights
        hits = []
        for doc, meta, dist, lx in zip(docs, metas, dists, lex, strict=True):
            rec = _record(q.namespace, doc, meta)
            dense = max(0.0, ((1.0 - dist) - w.dense_floor) / (1.0 - w.dense_floor))
            parts = {
                "bm25": lx / top if top > 0 else 0.0,
                "dense": dense,
                "recency": 0.5
                ** (max(0.0, now - (rec.event_time or rec.created_at)) / 86400.0 / w.recency_half_life_days),
                "importance": rec.importance - 0.5,
            }
            if parts["bm25"] <= 0 and dense <= 0:
                continue
            score = (
                w.bm25 * parts["bm25"]
                + w.dense * dense
                + w.recency * parts["recency"]
                + w.importance * parts["importance"]
            )
            hits.append(SearchHit(rec, score, parts))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[: q.k]

    def stats(self, namespace: str | None = None) -> dict[str, Any]:
        spaces: dict[str, Any] = {}
        for col in self._client.list_collections():
            meta = col.metadata or {}
            if not col.name.startswith("iza_") or (
                namespace is not None and meta.get("namespace") != namespace
            ):
                continue
            n = int(col.count())
            spaces[str(meta.get("namespace"))] = {
                "records": n,
                "embedded": n,
                "last_write": None,
                "embed_model": meta.get("embed_model"),
                "embed_dim": meta.get("embed_dim"),
                "kinds": {},
            }
        return {
            "backend": "chroma",
            "path": self.url,
            "bytes": None,
            "embedder": self.embedder.name,
            "records": sum(s["records"] for s in spaces.values()),
            "namespaces": dict(sorted(spaces.items())),
        }
