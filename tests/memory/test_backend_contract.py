"""One suite, every backend: SQLite (temp file), Chroma (a real ``chroma run`` on loopback) and
mem0 (the real ``mem0ai`` library over local Qdrant in a temp folder).

Only the public port is used here; backend-specific guarantees (byte-level forget on SQLite)
live in their own test modules.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from iza.memory import Mailbox, MemoryRecord, RecordNotFound, SearchQuery, SQLiteMemoryStore

CHROMA = shutil.which("chroma", path=str(Path(sys.executable).parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    if CHROMA is None:
        pytest.fail("the chroma server binary is missing: pip install 'iza-os[dev]'")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # up to ~60 s on a loaded host
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited: {(data / 'server.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(params=["sqlite", "chroma", "mem0"])
def backend(request, tmp_path, minilm):
    if request.param == "sqlite":
        store = SQLiteMemoryStore(tmp_path / "m.db", embedder=minilm)
    elif request.param == "mem0":
        from iza.memory import Mem0MemoryStore

        store = Mem0MemoryStore(tmp_path / "mem0", embedder=minilm)
    else:
        from iza.memory._chroma import ChromaMemoryStore

        store = ChromaMemoryStore(request.getfixturevalue("chroma_url"), embedder=minilm)
        for ns in ("a", "b", "mail", "t"):  # the server is shared by the module's tests
            store.forget(ns)
    yield store
    store.close()


def r(ns: str, rid: str, text: str, **kw) -> MemoryRecord:
    return MemoryRecord(namespace=ns, id=rid, text=text, **kw)


def test_crud_and_history(backend):
    backend.add(
        [
            r("a", "1", "Acme prefers email contact", importance=0.8, metadata={"crm": "x"}),
            r("a", "2", "Globex pays by invoice"),
        ]
    )
    assert backend.get("a", "1").importance == 0.8
    assert {x.id for x in backend.list("a")} == {"1", "2"}
    backend.update("a", "1", text="Acme prefers phone contact", metadata={"owner": "kim"})
    got = backend.get("a", "1")
    assert got.text == "Acme prefers phone contact" and dict(got.metadata) == {"crm": "x", "owner": "kim"}
    assert [h["text"] for h in backend.history("a", "1")] == [
        "Acme prefers email contact",
        "Acme prefers phone contact",
    ]
    backend.delete("a", "1")
    with pytest.raises(RecordNotFound):
        backend.get("a", "1")
    assert [h.record.id for h in backend.search(SearchQuery("a", "Acme contact"))] == []


def test_search_ranks_relevant_first_and_respects_k(backend):
    backend.add(
        [
            r("a", "pay", "Globex pays its invoices by bank transfer"),
            r("a", "pet", "Kim's dog is called Biscuit"),
            r("a", "car", "The office car needs new tyres"),
        ]
    )
    hits = backend.search(SearchQuery("a", "what is the name of Kim's dog?", k=2))
    assert hits[0].record.id == "pet" and len(hits) <= 2
    assert hits[0].score >= hits[-1].score


def test_namespaces_are_isolated_with_overlapping_content(backend):
    same = "The launch code word is heliotrope"
    backend.add([r("a", "1", same), r("b", "1", same), r("b", "2", "Unrelated note about lunch")])
    for ns in ("a", "b"):
        hits = backend.search(SearchQuery(ns, "launch code word", k=10))
        assert hits and {h.record.namespace for h in hits} == {ns}
    lunch = backend.search(SearchQuery("a", "Unrelated note about lunch", k=10))
    assert all(h.record.namespace == "a" and h.record.id == "1" for h in lunch)  # b's "2" never shows
    backend.forget("a")
    assert backend.get("b", "1").text == same
    assert backend.search(SearchQuery("a", "launch code word")) == []


def test_forget_subject(backend):
    backend.add(
        [
            r("a", "1", "Dana's passport number is P-4471", subject="dana"),
            r("a", "2", "Eli likes hiking", subject="eli"),
        ]
    )
    backend.update("a", "1", text="Dana's passport number is P-9999")
    assert backend.forget("a", subject="dana") == 1
    with pytest.raises(RecordNotFound):
        backend.get("a", "1")
    assert all("Dana" not in h.record.text for h in backend.search(SearchQuery("a", "passport number Dana")))
    assert backend.get("a", "2").text == "Eli likes hiking"


def test_filters_and_expiry(backend):
    now = time.time()
    backend.add(
        [
            r(
                "a",
                "old",
                "budget meeting notes",
                kind="event",
                event_time=now - 86400 * 30,
                metadata={"team": "finance"},
            ),
            r(
                "a",
                "new",
                "budget meeting follow-up",
                kind="fact",
                event_time=now - 60,
                metadata={"team": "ops"},
                subject="carol",
            ),
            r("a", "gone", "budget meeting expired", expires_at=now - 1),
        ]
    )

    def ids(**kw):
        return {h.record.id for h in backend.search(SearchQuery("a", "budget meeting", **kw))}

    assert ids() == {"old", "new"}
    assert ids(kinds=("event",)) == {"old"}
    assert ids(metadata={"team": "ops"}) == {"new"}
    assert ids(since=now - 3600) == {"new"}
    assert ids(until=now - 3600) == {"old"}
    assert ids(subject="carol") == {"new"}


def test_mailbox(backend):
    box = Mailbox(backend)
    sent = box.send("planner", "worker-1", "Build the login page", thread="m-1")
    box.send("planner", "worker-2", "Write the tests", thread="m-1")
    assert [m.text for m in box.inbox("worker-1")] == ["Build the login page"]
    box.ack(sent.id)
    assert box.inbox("worker-1") == []
    assert len(box.inbox("worker-1", include_acked=True)) == 1
