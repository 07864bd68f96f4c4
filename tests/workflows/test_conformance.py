"""n8n's own node fixtures, compared by the rules of n8n's NodeTestHarness (see the corpus README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iza.workflows.conformance import run_fixture

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "n8n" / "nodes-base-fixtures"
FILES = sorted(p for p in FIXTURES.glob("*.json") if p.name != "index.json")


def test_corpus_is_complete() -> None:
    index = json.loads((FIXTURES / "index.json").read_text())
    assert len(FILES) == 88
    assert index["count"] == 88


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name.removesuffix(".json")) for p in FILES])
def test_fixture(path: Path) -> None:
    result = run_fixture(path)
    assert result.ok, "\n".join(result.problems)
