"""The unified memory: records in namespaces, hybrid search, local embeddings, agent mailboxes.

Use the port, not an adapter, so the backend stays a setting::

    from iza.memory import MemoryRecord, SearchQuery, open_store

    store = open_store(settings)                     # SQLite in $IZA_HOME/data/memories/
    store.add([MemoryRecord(namespace="mission-7", text="Customer prefers email")])
    hits = store.search(SearchQuery(namespace="mission-7", text="how to contact the customer?"))

Backends: :class:`SQLiteMemoryStore` (default, one file), :class:`ChromaMemoryStore` (a Chroma
server; ``memory.backend = "chroma"``) and :class:`Mem0MemoryStore` (mem0 over local Qdrant;
``memory.backend = "mem0"``), all tested by one contract suite.
This module stays import-light: NumPy, tokenizers and the model load only when first used.
"""

from __future__ import annotations

from iza.memory._chroma import ChromaMemoryStore
from iza.memory._factory import default_embedder, memory_db_path, open_store
from iza.memory._mailbox import Mailbox
from iza.memory._mem0 import Mem0MemoryStore
from iza.memory._port import Embedder, EmbeddingMismatch, MemoryStore, RecordNotFound
from iza.memory._records import MemoryRecord, SearchHit, SearchQuery, parse_event_time
from iza.memory._search import DEFAULT_WEIGHTS, FusionWeights
from iza.memory._sqlite import SQLiteMemoryStore

__all__ = [
    "ChromaMemoryStore",
    "DEFAULT_WEIGHTS",
    "Embedder",
    "EmbeddingMismatch",
    "FusionWeights",
    "Mailbox",
    "Mem0MemoryStore",
    "MemoryRecord",
    "MemoryStore",
    "RecordNotFound",
    "SQLiteMemoryStore",
    "SearchHit",
    "SearchQuery",
    "default_embedder",
    "memory_db_path",
    "open_store",
    "parse_event_time",
]
