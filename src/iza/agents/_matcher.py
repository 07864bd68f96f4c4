"""Deterministic matching of a free-text request to a catalog service.

Offline there is no model to interpret a request, so the choice must be explainable and stable:
each service scores the catalog keywords found in the request (a multi-word keyword counts once
per word, so "knowledge base" beats "base"), ties break by catalog order. The result says which
keywords matched, and that reason is stored on the mission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from iza.agents._catalog import Catalog, ServiceSpec
from iza.errors import InputError

__all__ = ["Match", "match_service"]

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Match:
    service: ServiceSpec
    score: int
    matched: tuple[str, ...]
    explicit: bool = False

    @property
    def reason(self) -> str:
        if self.explicit:
            return "chosen explicitly with --service"
        return f"matched keywords: {', '.join(self.matched)} (score {self.score})"


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def match_service(request: str, catalog: Catalog, service_id: str | None = None) -> Match:
    """The best service for ``request``; ``service_id`` forces one (and must exist)."""
    if service_id:
        return Match(catalog.get(service_id), 0, (), explicit=True)
    words = [_stem(w) for w in _tokens(request)]
    best: Match | None = None
    for service in catalog.services:
        hits = [k for k in service.keywords if _contains(words, [_stem(w) for w in _tokens(k)])]
        score = sum(len(_tokens(k)) for k in hits)
        if score and (best is None or score > best.score):
            best = Match(service, score, tuple(hits))
    if best is None:
        ids = ", ".join(s.id for s in catalog.services)
        raise InputError(f"no catalog service matches the request {request!r}",
                         fix=f"name one with --service (one of: {ids})")
    return best
