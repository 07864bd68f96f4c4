"""Right to be forgotten: after ``forget`` no table, FTS structure or file byte holds the subject."""

from __future__ import annotations

import sqlite3

from iza.memory import MemoryRecord, SearchQuery, SQLiteMemoryStore
from iza.memory._sqlite_write import fts_table

SECRET = "Quetzalcoatlus"  # a word nothing else in the namespace uses


def _all_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _seed(store: SQLiteMemoryStore) -> None:
    turns = [
        ("dana", f"Dana: my secret codename is {SECRET}, remember it"),
        ("eli", "Eli: ok, noted your codename"),
        ("dana", f"Dana: {SECRET} also names my boat"),
        ("eli", "Eli: nice boat"),
    ]
    store.add(
        [
            MemoryRecord(namespace="club", id=str(i), text=t, subject=s, metadata={"session": 1})
            for i, (s, t) in enumerate(turns)
        ]
    )
    store.update("club", "0", text=f"Dana: codename {SECRET} (updated)")
    store.add([MemoryRecord(namespace="other", id="x", text="unrelated tenant data")])


def test_forget_subject_leaves_no_trace(minilm, db_path):
    store = SQLiteMemoryStore(db_path, embedder=minilm)
    _seed(store)
    assert SECRET.encode() in _all_bytes(db_path)
    assert b"quetzalcoatl" in _all_bytes(db_path)  # the stemmed FTS term, lower case
    assert store.forget("club", subject="dana") == 2
    conn = sqlite3.connect(db_path)
    q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    assert q("SELECT id FROM records WHERE namespace = 'club' ORDER BY id") == [("1",), ("3",)]
    assert q("SELECT COUNT(*) FROM vectors WHERE namespace = 'club'") == [(2,)]
    assert q("SELECT COUNT(*) FROM history WHERE namespace = 'club'") == [(0,)]
    fts = fts_table("club")
    assert q(f"SELECT rowid FROM {fts} WHERE {fts} MATCH '{SECRET}'") == []
    assert q(f"SELECT COUNT(*) FROM {fts}") == [(2,)]
    # neighbours' context no longer quotes the forgotten turns
    assert q(f"SELECT COUNT(*) FROM {fts} WHERE context LIKE '%codename is%'") == [(0,)]
    conn.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {fts}, 'row')")
    assert q("SELECT term FROM temp.vocab WHERE term LIKE 'quetzal%'") == []
    assert q("SELECT COUNT(*) FROM temp.vocab WHERE term = 'boat'") == [(1,)]
    conn.close()
    store.close()
    assert SECRET.encode() not in _all_bytes(db_path)
    assert b"quetzalcoatl" not in _all_bytes(db_path)
    reopened = SQLiteMemoryStore(db_path, embedder=minilm)
    assert all(SECRET not in h.record.text for h in reopened.search(SearchQuery("club", SECRET)))
    assert reopened.get("other", "x").text == "unrelated tenant data"


def test_forget_namespace_removes_everything_of_it(db_path):
    store = SQLiteMemoryStore(db_path)
    _seed(store)
    assert store.forget("club") == 4
    conn = sqlite3.connect(db_path)
    for table in ("records", "vectors", "history"):
        assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE namespace = 'club'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM namespaces WHERE name = 'club'").fetchone()[0] == 0
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert fts_table("club") not in names and fts_table("other") in names
    conn.close()
    store.close()
    assert SECRET.encode() not in _all_bytes(db_path)


def test_delete_leaves_no_fts_remnant(db_path):
    store = SQLiteMemoryStore(db_path)
    _seed(store)
    store.delete("club", "2")  # "Dana: Quetzalcoatlus also names my boat"
    store.delete("club", "0")  # the updated codename turn, with its history
    conn = sqlite3.connect(db_path)
    fts = fts_table("club")
    assert conn.execute(f"SELECT rowid FROM {fts} WHERE {fts} MATCH '{SECRET}'").fetchall() == []
    conn.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {fts}, 'row')")
    assert conn.execute("SELECT term FROM temp.vocab WHERE term LIKE 'quetzal%'").fetchall() == []
    assert conn.execute("SELECT COUNT(*) FROM history WHERE namespace = 'club'").fetchone() == (0,)
    conn.close()
    store.close()
    assert SECRET.encode() not in _all_bytes(db_path)
    assert b"quetzalcoatl" not in _all_bytes(db_path)
