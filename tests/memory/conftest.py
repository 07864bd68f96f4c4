"""Memory test fixtures: a store on a temp file, the real MiniLM embedder (loaded once), and a
second, deliberately different embedder so model-mixing can be tested."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from iza.memory import SQLiteMemoryStore


class HashingEmbedder:
    """A real (if crude) bag-of-words embedder: hashed word counts, L2-normalised.

    Used where a test needs a *second* embedding model (mixing refusal, reembed); it is a
    genuine alternative implementation of the Embedder port, not a stand-in for MiniLM.
    """

    name = "hashing-64"
    dim = 64

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.fixture(scope="session")
def minilm():
    from iza.memory._minilm import MiniLM

    return MiniLM()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "unified_memory.db"


@pytest.fixture
def mem(db_path: Path):
    store = SQLiteMemoryStore(db_path, embedder=HashingEmbedder())
    yield store
    store.close()


@pytest.fixture
def hashing() -> HashingEmbedder:
    return HashingEmbedder()
