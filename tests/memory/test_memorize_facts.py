"""``iza memory memorize`` with an LLM: facts through iza.llm's structured output, against the
fake OpenAI-compatible server (real OpenAI SDK over HTTP on loopback).

The fake is scripted per request: a JSON facts payload, or malformed JSON. Facts must link to
the turn ids they came from; an unusable answer must store nothing at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from iza.cli import main
from iza.llm.fakeservers import FakeOpenAI, Reply

TURNS = [
    {"speaker": "Ann", "text": "I adopted a beagle called Biscuit last week", "time": "9 June 2023"},
    {"speaker": "Bo", "text": "Lovely! Is she settling in?", "time": "9 June 2023"},
    {"speaker": "Ann", "text": "Yes, and I moved to Lisbon in May", "time": "10 June 2023"},
]


class Script:
    """What the fake model answers, in order; the last answer repeats."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.bodies: list[dict] = []

    def __call__(self, body: dict) -> Reply:
        self.bodies.append(body)
        return Reply(text=self.answers.pop(0) if len(self.answers) > 1 else self.answers[0])


def _facts(*facts: dict) -> str:
    return json.dumps({"facts": list(facts)})


GOOD = _facts(
    {"text": "Ann adopted a beagle named Biscuit in June 2023", "turns": [1, 3], "subject": "Ann"},
    {"text": "Ann moved to Lisbon in May 2023", "turns": [3], "subject": "Ann"},
)


@pytest.fixture
def conv(tmp_path: Path) -> Path:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(TURNS))
    return path


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("IZA_MEMORY_EMBEDDER", "none")

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(["memory", *args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _serve(script: Script, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(script) as srv:
        monkeypatch.setenv("IZA_OPENAI_COMPAT_BASE_URL", srv.base_url + "/v1")
        monkeypatch.setenv("IZA_LLM_MAX_RETRIES", "0")
        yield srv


def _rows(home: Path) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(home / "data" / "memories" / "unified_memory.db")
    try:
        return conn.execute("SELECT id, kind, text, metadata FROM records ORDER BY seq").fetchall()
    finally:
        conn.close()


def test_facts_are_extracted_and_linked_to_their_turns(invoke, conv, home, monkeypatch):
    script = Script(GOOD)
    for _ in _serve(script, monkeypatch):
        code, out, err = invoke("memorize", "--namespace", "c", "--json", str(conv))
    assert code == 0, err
    result = json.loads(out)
    assert result["stored_turns"] == 3 and result["extracted_facts"] == 2
    assert result["note"].startswith("facts extracted by compat:")
    rows = _rows(home)
    turns = {json.loads(m)["turn"]: rid for rid, kind, _, m in rows if kind == "turn"}
    facts = {text: json.loads(m) for _, kind, text, m in rows if kind == "fact"}
    assert facts["Ann adopted a beagle named Biscuit in June 2023"]["turn_ids"] == [turns[1], turns[3]]
    assert facts["Ann moved to Lisbon in May 2023"]["turn_ids"] == [turns[3]]
    # the model saw the numbered turns and was asked for the facts schema
    body = script.bodies[0]
    assert "[3] Ann: Yes, and I moved to Lisbon in May" in json.dumps(body)
    assert "facts" in json.dumps(body.get("response_format"))
    code, out, _ = invoke("search", "--namespace", "c", "--kind", "fact", "--json", "Lisbon")
    assert [h["text"] for h in json.loads(out)] == ["Ann moved to Lisbon in May 2023"]


def test_malformed_json_is_repaired_once(invoke, conv, home, monkeypatch):
    script = Script('{"facts": [ {"text": "Ann has a dog", ', GOOD)
    for _ in _serve(script, monkeypatch):
        code, out, err = invoke("memorize", "--namespace", "c", "--json", str(conv))
    assert code == 0, err
    assert len(script.bodies) == 2 and json.loads(out)["extracted_facts"] == 2


def test_malformed_json_twice_stores_nothing(invoke, conv, home, monkeypatch):
    script = Script("Sure! Here are the facts: Ann has a dog.")
    for _ in _serve(script, monkeypatch):
        code, out, err = invoke("memorize", "--namespace", "c", "--json", str(conv))
    assert code == 1 and "response schema" in err and "fix:" in err
    assert len(script.bodies) == 2
    db = home / "data" / "memories" / "unified_memory.db"
    assert not db.exists() or _rows(home) == []


def test_facts_citing_missing_turns_store_nothing(invoke, conv, home, monkeypatch):
    script = Script(_facts({"text": "Ann has a cat", "turns": [7]}))
    for _ in _serve(script, monkeypatch):
        code, _, err = invoke("memorize", "--namespace", "c", str(conv))
    assert code == 1 and "cites turns [7]" in err and "nothing was stored" in err
    db = home / "data" / "memories" / "unified_memory.db"
    assert not db.exists() or _rows(home) == []


def test_offline_says_so_and_stores_turns(invoke, conv, home):
    code, out, _ = invoke("memorize", "--namespace", "c", "--json", str(conv))
    result = json.loads(out)
    assert code == 0 and result["extracted_facts"] == 0 and "no LLM provider" in result["note"]
    assert [kind for _, kind, _, _ in _rows(home)] == ["turn", "turn", "turn"]
