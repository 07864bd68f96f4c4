"""mem0-specific guarantees: no telemetry, no network, no LLM; caller ids; nothing left after forget."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from iza.errors import UsageError
from iza.kernel.config import load
from iza.memory import Mem0MemoryStore, MemoryRecord, SearchQuery, open_store


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every socket connect to a non-loopback address, recorded and refused (the network boundary)."""
    seen: list[object] = []
    real = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")):
            return real(self, address)
        if self.family == socket.AF_UNIX:
            return real(self, address)
        seen.append(address)
        raise OSError("outbound network refused by test")

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def test_mem0_runs_offline_without_telemetry_or_llm(tmp_path, minilm, outbound):
    store = Mem0MemoryStore(tmp_path / "mem0", embedder=minilm)
    store.add([MemoryRecord(namespace="a", id="D1:1", text="Kim adopted a dog named Biscuit", subject="kim")])
    hits = store.search(SearchQuery("a", "what is Kim's dog called?"))
    assert [h.record.id for h in hits] == ["D1:1"]
    assert "dense" in hits[0].parts and hits[0].parts["dense"] > 0
    from mem0.memory import telemetry
    from mem0.utils import spacy_models

    assert telemetry.MEM0_TELEMETRY is False
    assert spacy_models._nlp_lemma is None and spacy_models._load_failed_lemma  # never downloads a model
    assert telemetry.client_telemetry.posthog is None
    with pytest.raises(UsageError, match="infer=False"):
        store._mem.llm.generate_response([{"role": "user", "content": "hi"}])
    store.close()
    assert outbound == []


def test_delete_and_forget_leave_nothing_in_mem0_or_side_file(tmp_path, minilm):
    folder = tmp_path / "mem0"
    store = Mem0MemoryStore(folder, embedder=minilm)
    store.add(
        [
            MemoryRecord(namespace="a", id="1", text="Dana's codename is Quetzalcoatlus", subject="dana"),
            MemoryRecord(namespace="a", id="2", text="Eli likes hiking", subject="eli"),
            MemoryRecord(namespace="a", id="3", text="Dana's boat is also Quetzalcoatlus", subject="dana"),
        ]
    )
    store.update("a", "2", text="Eli likes hiking and Quetzalcoatlus fossils")
    store.delete("a", "2")
    assert store.forget("a", subject="dana") == 2
    assert store.list("a") == []
    assert store.search(SearchQuery("a", "Quetzalcoatlus codename")) == []
    assert store._mem.vector_store.list(filters={"user_id": "a"})[0] == []
    store.close()
    history = sqlite3.connect(folder / "mem0_history.db")
    assert history.execute("SELECT COUNT(*) FROM history").fetchone() == (0,)
    history.close()
    assert b"Quetzalcoatlus" not in b"".join(p.read_bytes() for p in folder.glob("side.db*"))


def test_open_store_selects_mem0(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "iza.toml").write_text('[memory]\nbackend = "mem0"\nembedder = "minilm"\n')
    store = open_store(load(home))
    try:
        assert isinstance(store, Mem0MemoryStore) and store.stats()["backend"] == "mem0"
    finally:
        store.close()


def test_a_failed_batch_leaves_nothing_behind(tmp_path, minilm):
    store = Mem0MemoryStore(tmp_path / "mem0", embedder=minilm)
    good = MemoryRecord(namespace="a", id="1", text="stored first, then rolled back")
    bad = MemoryRecord(namespace="a", id="2", text="metadata that is not JSON", metadata={"x": object()})
    with pytest.raises(TypeError):
        store.add([good, bad])
    assert store.list("a") == []
    assert store._mem.vector_store.list(filters={"user_id": "a"})[0] == []
    assert store.search(SearchQuery("a", "stored first")) == []
    store.close()
