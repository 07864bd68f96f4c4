"""``iza memory`` through click's runner: the benchmark contract and every command."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import pytest

from iza.cli import main


@dataclass
class Result:
    exit_code: int
    output: str


@pytest.fixture
def run(monkeypatch, capsys):
    """Runs the real entry point (``iza.cli.main``), which maps IzaError to exit codes."""
    monkeypatch.setenv("IZA_MEMORY_EMBEDDER", "none")  # lexical only: these tests are about the CLI

    def invoke(*args: str, ok: bool = True) -> Result:
        try:
            main(["memory", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        result = Result(code, captured.out if ok else captured.out + captured.err)
        if ok:
            assert code == 0, captured.err
        return result

    return invoke


def _jsonl(tmp_path, rows, name="in.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return str(path)


LOCOMO = [
    {
        "id": "D1:3",
        "text": "Caroline: I went to a LGBTQ support group yesterday",
        "timestamp": "1:56 pm on 8 May, 2023",
        "session": 1,
        "conversation": "conv-26",
    },
    {
        "id": "D1:4",
        "text": "Melanie: That's great! What happened there?",
        "timestamp": "1:56 pm on 8 May, 2023",
        "session": 1,
        "conversation": "conv-26",
    },
    {
        "id": "D2:1",
        "text": "Melanie: I painted a sunrise over the lake last week",
        "timestamp": "7:55 pm on 9 June, 2023",
        "session": 2,
        "conversation": "conv-26",
    },
]


def test_add_and_search_contract(run, tmp_path, home):
    run("add", "--namespace", "conv", "--jsonl", _jsonl(tmp_path, LOCOMO))
    out = json.loads(run("search", "--namespace", "conv", "--k", "2", "--json", "support group").output)
    assert [h["id"] for h in out][:1] == ["D1:3"] and len(out) <= 2
    assert {"id", "text", "score"} <= set(out[0])
    assert out[0]["event_time"] == "2023-05-08T13:56:00Z" and out[0]["metadata"]["session"] == 1
    assert (home / "data" / "memories" / "unified_memory.db").is_file()


def test_batch_queries_print_one_line_per_query_in_order(run, tmp_path):
    run("add", "--namespace", "conv", "--jsonl", _jsonl(tmp_path, LOCOMO))
    qfile = _jsonl(
        tmp_path,
        [{"query": "sunrise painting"}, {"query": "nothing matches zzz"}, {"query": "support group"}],
        "q.jsonl",
    )
    lines = run(
        "search", "--namespace", "conv", "--k", "10", "--json", "--queries", qfile
    ).output.splitlines()
    assert len(lines) == 3
    first, empty, third = (json.loads(x) for x in lines)
    assert first[0]["id"] == "D2:1" and empty == [] and third[0]["id"] == "D1:3"


def test_bad_line_aborts_whole_import(run, tmp_path, home):
    run("add", "--namespace", "conv", "--jsonl", _jsonl(tmp_path, LOCOMO[:1]))
    bad = _jsonl(tmp_path, [LOCOMO[1], LOCOMO[2], '{"id": "x", "text": ""}'], "bad.jsonl")
    result = run("add", "--namespace", "conv", "--jsonl", bad, ok=False)
    assert result.exit_code == 2
    assert "line 3" in result.output and "nothing was imported" in result.output
    conn = sqlite3.connect(home / "data" / "memories" / "unified_memory.db")
    assert conn.execute("SELECT id FROM records").fetchall() == [("D1:3",)]


def test_crud_history_stats_export_import(run, tmp_path):
    run("add", "--namespace", "n", "--jsonl", _jsonl(tmp_path, LOCOMO))
    got = json.loads(run("get", "--namespace", "n", "--json", "D2:1").output)
    assert got["text"].startswith("Melanie: I painted")
    run("update", "--namespace", "n", "--text", "Melanie: I painted a sunset", "--set", "mood=calm", "D2:1")
    hist = json.loads(run("history", "--namespace", "n", "--json", "D2:1").output)
    assert [h["text"] for h in hist] == [
        "Melanie: I painted a sunrise over the lake last week",
        "Melanie: I painted a sunset",
    ]
    listed = json.loads(run("list", "--namespace", "n", "--json").output)
    assert {r["id"] for r in listed} == {"D1:3", "D1:4", "D2:1"}
    stats = json.loads(run("stats", "--json").output)
    assert stats["namespaces"]["n"]["records"] == 3 and stats["embedder"] is None
    exported = run("export", "--namespace", "n").output
    assert len(exported.splitlines()) == 3
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported)
    run("import", "--namespace", "copy", str(dump))
    copy = json.loads(run("get", "--namespace", "copy", "--json", "D2:1").output)
    assert copy["text"] == "Melanie: I painted a sunset" and copy["metadata"]["mood"] == "calm"
    run("delete", "--namespace", "n", "D2:1")
    missing = run("get", "--namespace", "n", "D2:1", ok=False)
    assert missing.exit_code == 2 and "no memory 'D2:1'" in missing.output
    forgot = json.loads(run("forget", "--namespace", "copy", "--json").output)
    assert forgot["forgotten"] == 3


def test_forget_subject_via_memorize(run, tmp_path):
    conv = tmp_path / "chat.json"
    conv.write_text(
        json.dumps(
            [
                {"speaker": "Ann", "text": "My passport number is X123", "time": "9 June 2023"},
                {"speaker": "Bo", "text": "Got it, thanks", "time": "9 June 2023"},
            ]
        )
    )
    out = json.loads(run("memorize", "--namespace", "c", "--json", str(conv)).output)
    assert out["stored_turns"] == 2 and out["extracted_facts"] == 0 and "offline" in out["note"]
    assert (
        json.loads(run("forget", "--namespace", "c", "--subject", "Ann", "--json").output)["forgotten"] == 1
    )
    texts = [r["text"] for r in json.loads(run("list", "--namespace", "c", "--json").output)]
    assert texts == ["Bo: Got it, thanks"]


def test_mailbox_send_inbox_ack(run):
    sent = json.loads(
        run("send", "--from", "planner", "--to", "worker-1", "--json", "Build the login page").output
    )
    run("send", "--from", "planner", "--to", "worker-2", "Write tests")
    inbox = json.loads(run("inbox", "--json", "worker-1").output)
    assert [m["text"] for m in inbox] == ["Build the login page"]
    assert inbox[0]["kind"] == "message" and inbox[0]["metadata"]["from"] == "planner"
    run("ack", sent["id"])
    assert json.loads(run("inbox", "--json", "worker-1").output) == []
    assert len(json.loads(run("inbox", "--all", "--json", "worker-1").output)) == 1


def test_usage_errors_exit_2_with_a_fix(run, tmp_path):
    r = run("search", "--namespace", "n", "--json", ok=False)
    assert r.exit_code == 2 and "fix:" in r.output
    r = run("add", "--namespace", "n", "--jsonl", str(tmp_path / "missing.jsonl"), ok=False)
    assert r.exit_code == 2 and "cannot read" in r.output
    r = run("search", "--namespace", "n", "--since", "someday", "q", ok=False)
    assert r.exit_code == 2 and "--since" in r.output


def test_reembed_fills_vectors_and_records_the_model(run, tmp_path, monkeypatch):
    run("add", "--namespace", "r", "--jsonl", _jsonl(tmp_path, LOCOMO))
    before = json.loads(run("stats", "--namespace", "r", "--json").output)["namespaces"]["r"]
    assert before["embedded"] == 0 and before["embed_model"] is None
    monkeypatch.setenv("IZA_MEMORY_EMBEDDER", "minilm")
    out = json.loads(run("reembed", "--namespace", "r", "--json").output)
    assert out == {"reembedded": 3, "model": "all-MiniLM-L6-v2", "namespace": "r"}
    after = json.loads(run("stats", "--namespace", "r", "--json").output)["namespaces"]["r"]
    assert after["embedded"] == 3 and after["embed_model"] == "all-MiniLM-L6-v2" and after["embed_dim"] == 384
    hits = json.loads(run("search", "--namespace", "r", "--json", "painting at dawn").output)
    assert hits[0]["id"] == "D2:1" and hits[0]["parts"]["dense"] > 0
