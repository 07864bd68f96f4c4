"""The SQLite backend against a real file: CRUD, history, atomicity, isolation, filters, models."""

from __future__ import annotations

import sqlite3
import time

import pytest

from iza.errors import InputError, StoreError
from iza.memory import EmbeddingMismatch, MemoryRecord, RecordNotFound, SearchQuery, SQLiteMemoryStore
from iza.memory._schema import SCHEMA_VERSION
from iza.memory._sqlite_write import fts_table


def rec(ns: str, rid: str, text: str, **kw) -> MemoryRecord:
    return MemoryRecord(namespace=ns, id=rid, text=text, **kw)


def test_schema_is_versioned_and_a_newer_file_is_refused(db_path, mem):
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this IZA"):
        SQLiteMemoryStore(db_path)


def test_add_get_list_update_history(mem):
    mem.add(
        [
            rec("a", "1", "the sky is blue", importance=0.9, metadata={"src": "x"}),
            rec("a", "2", "grass is green"),
        ]
    )
    assert mem.get("a", "1").importance == 0.9
    assert [r.id for r in mem.list("a")] == ["2", "1"]
    mem.update("a", "1", text="the sky is grey", metadata={"mood": "rain"})
    got = mem.get("a", "1")
    assert got.text == "the sky is grey" and dict(got.metadata) == {"src": "x", "mood": "rain"}
    hist = mem.history("a", "1")
    assert [h["text"] for h in hist] == ["the sky is blue", "the sky is grey"]
    assert [h["action"] for h in hist] == ["updated", "current"]
    # re-adding an existing id is an update with history, not a duplicate
    mem.add([rec("a", "1", "the sky is black")])
    assert len(mem.history("a", "1")) == 3 and mem.stats("a")["records"] == 2
    assert mem.search(SearchQuery("a", "black sky"))[0].record.id == "1"


def test_missing_record_is_a_clear_error(mem):
    with pytest.raises(RecordNotFound) as err:
        mem.get("a", "nope")
    assert err.value.fix and "iza memory list" in err.value.fix
    with pytest.raises(RecordNotFound):
        mem.delete("a", "nope")


def test_delete_removes_row_fts_vector_and_history(mem, db_path):
    mem.add([rec("a", "1", "zanzibar holiday"), rec("a", "2", "other")])
    mem.update("a", "1", text="zanzibar trip")
    mem.delete("a", "1")
    conn = sqlite3.connect(db_path)
    fts = fts_table("a")
    assert conn.execute("SELECT COUNT(*) FROM records WHERE id = '1'").fetchone()[0] == 0
    assert conn.execute(f"SELECT COUNT(*) FROM {fts} WHERE {fts} MATCH 'zanzibar'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 0
    assert mem.search(SearchQuery("a", "zanzibar")) == []


def test_a_failing_write_stores_nothing(mem):
    mem.add([rec("a", "keep", "kept")])
    bad = [rec("a", "x1", "fine"), rec("a", "x2", "also fine")]
    object.__setattr__(bad[1], "metadata", {"unserialisable": object()})
    with pytest.raises(TypeError):
        mem.add(bad)
    assert [r.id for r in mem.list("a")] == ["keep"]


def test_namespaces_never_leak_with_overlapping_content(minilm, tmp_path):
    store = SQLiteMemoryStore(tmp_path / "m.db", embedder=minilm)
    same = "Alice's account password hint is her cat's name, Whiskers"
    store.add(
        [
            rec("tenant-a", "1", same, metadata={"session": 1}),
            rec("tenant-b", "1", same, metadata={"session": 1}),
            rec("tenant-b", "2", "Bob likes sailing", metadata={"session": 1}),
        ]
    )
    for ns in ("tenant-a", "tenant-b"):
        hits = store.search(SearchQuery(ns, "what is the password hint? Whiskers", k=10))
        assert hits and all(h.record.namespace == ns for h in hits)
    assert [h.record.id for h in store.search(SearchQuery("tenant-a", "sailing"))] == []
    # a namespace whose name is a prefix/phrase of another's shares no FTS matches either
    store.add([rec("tenant", "9", same)])
    assert {h.record.namespace for h in store.search(SearchQuery("tenant", "Whiskers"))} == {"tenant"}
    store.forget("tenant-a")
    assert store.get("tenant-b", "1").text == same
    store.close()


def test_mixing_embedding_models_is_refused(db_path, mem, minilm):
    mem.add([rec("a", "1", "hello")])
    other = SQLiteMemoryStore(db_path, embedder=minilm)
    with pytest.raises(EmbeddingMismatch) as err:
        other.add([rec("a", "2", "world")])
    assert "iza memory reembed --namespace a" in (err.value.fix or "")
    with pytest.raises(EmbeddingMismatch):
        other.search(SearchQuery("a", "hello"))
    assert other.reembed("a", minilm) == 1
    other.add([rec("a", "2", "world")])
    assert other.stats("a")["namespaces"]["a"]["embed_model"] == "all-MiniLM-L6-v2"
    assert other.search(SearchQuery("a", "hello"))[0].record.id == "1"


def test_filters_and_expiry(mem):
    now = time.time()
    mem.add(
        [
            rec(
                "a",
                "old",
                "meeting about the budget",
                kind="event",
                event_time=now - 86400 * 30,
                metadata={"team": "finance"},
            ),
            rec(
                "a",
                "new",
                "meeting about the budget again",
                kind="fact",
                event_time=now - 60,
                metadata={"team": "ops"},
                subject="carol",
            ),
            rec("a", "gone", "budget meeting expired", expires_at=now - 1),
        ]
    )
    ids = lambda **kw: {h.record.id for h in mem.search(SearchQuery("a", "budget meeting", **kw))}  # noqa: E731
    assert ids() == {"old", "new"}
    assert ids(kinds=("event",)) == {"old"}
    assert ids(metadata={"team": "ops"}) == {"new"}
    assert ids(since=now - 3600) == {"new"}
    assert ids(until=now - 3600) == {"old"}
    assert ids(subject="carol") == {"new"}


def test_importance_breaks_ties(tmp_path):
    store = SQLiteMemoryStore(tmp_path / "m.db")
    store.add(
        [
            rec("a", "low", "the quarterly report", importance=0.1),
            rec("a", "high", "the quarterly report", importance=0.9),
        ]
    )
    assert [h.record.id for h in store.search(SearchQuery("a", "quarterly report"))] == ["high", "low"]


def test_neighbouring_turns_are_found_through_context(tmp_path):
    store = SQLiteMemoryStore(tmp_path / "m.db")
    turns = [
        "A: Did you finally visit the aquarium?",
        "B: Yes, last Friday with my kids!",
        "A: Unrelated chatter about weather",
    ]
    store.add([rec("c", str(i), t, metadata={"session": 1}) for i, t in enumerate(turns)])
    hits = store.search(SearchQuery("c", "aquarium visit", k=3))
    assert [h.record.id for h in hits][:2] == ["0", "1"]
    assert hits[1].parts["bm25"] > 0  # matched through its neighbour's text (context column)


def test_search_without_any_match_returns_empty_and_k_is_respected(mem):
    mem.add([rec("a", str(i), f"note number {i} about apples") for i in range(30)])
    assert len(mem.search(SearchQuery("a", "apples", k=7))) == 7
    assert mem.search(SearchQuery("empty-ns", "apples")) == []


def test_bad_input_never_loses_stored_data(mem):
    from iza.memory._records import parse_jsonl

    mem.add([rec("a", "1", "precious")])
    with pytest.raises(InputError):
        mem.add(list(parse_jsonl(['{"text": "ok"}', "{broken"], "a")))
    assert mem.get("a", "1").text == "precious" and mem.stats("a")["records"] == 1


def test_same_id_twice_in_one_batch_keeps_the_later(mem):
    mem.add([rec("a", "x", "first version"), rec("a", "y", "other"), rec("a", "x", "second version")])
    assert mem.get("a", "x").text == "second version"
    assert mem.stats("a")["records"] == 2
    assert [h.record.id for h in mem.search(SearchQuery("a", "second version"))][:1] == ["x"]
    assert mem.search(SearchQuery("a", "first")) == []
