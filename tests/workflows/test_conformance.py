"""n8n's own node fixtures, compared by the rules of n8n's NodeTestHarness (see the corpus README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iza.workflows.conformance import run_fixture

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "n8n" / "nodes-base-fixtures"
FILES = sorted(p for p in FIXTURES.glob("*.json") if p.name != "index.json")


#: Fixtures that do not pass yet (node types or behaviours not implemented). Strict: a fixture that
#: starts passing fails here until it is removed from this list, so the list only shrinks.
KNOWN_FAILING: frozenset[str] = frozenset()


def test_corpus_is_complete() -> None:
    index = json.loads((FIXTURES / "index.json").read_text())
    assert len(FILES) == 88
    assert index["count"] == 88


def _param(p: Path) -> object:
    name = p.name.removesuffix(".json")
    marks = [pytest.mark.xfail(strict=True, reason="not implemented yet")] if name in KNOWN_FAILING else []
    return pytest.param(p, id=name, marks=marks)


@pytest.mark.parametrize("path", [_param(p) for p in FILES])
def test_fixture(path: Path) -> None:
    result = run_fixture(path)
    assert result.ok, "\n".join(result.problems)
