"""The per-namespace search cache: appended records are added to it, changes rebuild it, and
either way it equals a fresh build; the v2 schema backfills stored thread keys."""

from __future__ import annotations

import sqlite3

import numpy as np

from iza.memory import MemoryRecord, SearchQuery, SQLiteMemoryStore
from iza.memory._schema import _STEPS, SCHEMA_VERSION
from iza.memory._vectors import load_index, thread_key


def _turns(start: int, n: int, session: int) -> list[MemoryRecord]:
    return [
        MemoryRecord(
            namespace="c", id=f"t{i}", text=f"turn {i} about topic{i % 3}", metadata={"session": session}
        )
        for i in range(start, start + n)
    ]


def _same(store: SQLiteMemoryStore, namespace: str = "c") -> None:
    cached = store._index(namespace)
    fresh = load_index(store._conn, namespace, with_vectors=store.embedder is not None)
    for name in ("seqs", "same_prev", "times", "importance", "expires"):
        assert np.array_equal(getattr(cached, name), getattr(fresh, name)), name
    if fresh.vectors is None:
        assert cached.vectors is None
    else:
        assert np.array_equal(cached.vectors, fresh.vectors)


def test_appends_extend_the_cache_and_changes_rebuild_it(db_path, hashing):
    store = SQLiteMemoryStore(db_path, embedder=hashing)
    store.add(_turns(0, 5, session=1))
    store.search(SearchQuery("c", "topic1"))
    built = store._index("c")
    store.add(_turns(5, 3, session=1))  # continues the same session: t5 follows t4
    store.add([MemoryRecord(namespace="other", text="elsewhere")])
    grown = store._index("c")
    assert grown is not built and len(grown.seqs) == 8
    assert grown.same_prev.tolist() == [False] + [True] * 7
    assert np.shares_memory(grown.seqs, built.seqs) is False
    _same(store)
    assert {h.record.id for h in store.search(SearchQuery("c", "turn 7 topic1", k=8))} >= {"t7"}
    store.update("c", "t2", metadata={"session": 2})  # breaks the thread around t2: rebuild
    _same(store)
    assert store._index("c").same_prev.tolist()[1:5] == [True, False, False, True]
    store.delete("c", "t6")
    _same(store)
    store.close()


def test_another_process_appends_are_seen(db_path):
    reader = SQLiteMemoryStore(db_path)
    writer = SQLiteMemoryStore(db_path)
    writer.add(_turns(0, 3, session=1))
    assert len(reader._index("c").seqs) == 3
    writer.add(_turns(3, 2, session=1))
    assert [h.record.id for h in reader.search(SearchQuery("c", "turn 4"))][0] == "t4"
    _same(reader)
    writer.forget("c")
    writer.add(_turns(10, 1, session=9))
    assert reader._index("c").seqs.size == 1
    _same(reader)
    reader.close()
    writer.close()


def test_v1_file_gets_thread_keys_backfilled(db_path):
    conn = sqlite3.connect(db_path, isolation_level=None)
    for stmt in _STEPS[0]:
        conn.execute(stmt)
    conn.execute("PRAGMA user_version = 1")
    for seq, meta in ((1, '{"session": 3}'), (2, '{"session": 3, "x": true}'), (3, "{}")):
        conn.execute(
            "INSERT INTO records (seq, id, namespace, kind, text, metadata, created_at, updated_at)"
            " VALUES (?, ?, 'c', 'turn', 'hello', ?, 1.0, 1.0)",
            (seq, f"r{seq}", meta),
        )
    conn.execute("INSERT INTO namespaces (name, created_at) VALUES ('c', 1.0)")
    conn.close()
    store = SQLiteMemoryStore(db_path)
    rows = store._conn.execute("SELECT metadata, thread FROM records ORDER BY seq").fetchall()
    assert [t for _, t in rows] == [thread_key(m) for m, _ in rows] and rows[0][1] != ""
    assert store._conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store._index("c").same_prev.tolist() == [False, True, False]
    store.close()


def test_large_lexical_namespaces_save_their_arrays(db_path, monkeypatch):
    import iza.memory._sqlite as backend
    from iza.memory._sqlite_write import fts_table
    from iza.memory._vectors import load_saved_index, saved_index_path

    monkeypatch.setattr(backend, "PERSIST_MIN", 4)  # the real threshold is 50k records; same code path
    first = SQLiteMemoryStore(db_path)
    first.add(_turns(0, 6, session=1))
    first.search(SearchQuery("c", "topic1"))
    saved = saved_index_path(str(db_path), fts_table("c"))
    assert saved.exists()
    first.close()
    second = SQLiteMemoryStore(db_path)
    state = second._conn.execute("SELECT created_at, mutations FROM namespaces WHERE name = 'c'").fetchone()
    loaded = load_saved_index(saved, (state[0], state[1]))
    assert loaded is not None and loaded.seqs.tolist() == second._index("c").seqs.tolist()
    second.add(_turns(6, 2, session=1))  # appended after the save: read from the table
    _same(second)
    second.close()
    third = SQLiteMemoryStore(db_path)
    _same(third)
    assert len(third._index("c").seqs) == 8
    third.update("c", "t1", text="changed")  # a mutation: the saved state no longer matches
    assert load_saved_index(saved, (state[0], state[1] + 1)) is None
    third.delete("c", "t7")
    assert not saved.exists()
    _same(third)
    third.close()
