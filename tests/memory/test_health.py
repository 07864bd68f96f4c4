from iza.kernel.config import load
from iza.kernel.registry import Status
from iza.memory import MemoryRecord, open_store
from iza.memory.health import memory_component


def test_health_counts_records(settings):
    store = open_store(settings, embedder=None)
    store.add([MemoryRecord(namespace="n", text="hello")])
    store.close()
    health = memory_component().health(settings)
    assert health.status in (Status.OK, Status.DEGRADED)
    assert health.metrics["counts"] == {"records": 1, "namespaces": 1}


def test_health_says_when_vectors_are_off(settings, monkeypatch):
    monkeypatch.setenv("IZA_MEMORY_EMBEDDER", "none")
    health = memory_component().health(load(settings.home))
    assert health.status == Status.DEGRADED and "BM25 only" in health.detail


def test_chroma_backend_down_when_server_absent(settings, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("IZA_MEMORY_BACKEND", "chroma")
    monkeypatch.setenv("IZA_MEMORY_CHROMA_URL", f"http://127.0.0.1:{port}")
    health = memory_component().health(load(settings.home))
    assert health.status == Status.DOWN and str(port) in health.detail
