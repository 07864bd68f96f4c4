"""Conversation → memory records: verbatim turns always, plus LLM-extracted facts when a model is
available.

Memory sits on the same layer as ``iza.llm`` and must not import it, so extraction takes the
model as a plain callable (:data:`AskModel`); ``iza memory memorize`` passes one that calls
``iza.llm`` with a response schema (validated there, with one repair attempt). Everything is
built before anything is stored: a bad answer raises and the caller stores nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from iza.errors import InputError, RuntimeFailure
from iza.memory._records import MemoryRecord, parse_event_time

__all__ = ["FACTS_SCHEMA", "AskModel", "FactExtractionError", "conversation_records", "extract_facts"]

#: ``ask(messages, schema) -> (parsed JSON value, "provider:model")``; messages are
#: ``{"role", "content"}`` dicts.
AskModel = Callable[[list[dict[str, str]], dict[str, Any]], tuple[Any, str]]

FACTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "turns": {"type": "array", "items": {"type": "integer"}},
                    "subject": {"type": "string"},
                },
                "required": ["text", "turns"],
            },
        }
    },
    "required": ["facts"],
}


class FactExtractionError(RuntimeFailure):
    """The model's facts could not be used (e.g. they cite turns the conversation does not have)."""


def conversation_records(data: Any, namespace: str, *, source: str) -> list[MemoryRecord]:
    """One ``turn`` record per ``{speaker, text, time}``; the speaker becomes the subject, so
    ``forget --subject SPEAKER`` removes what that person said."""
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a JSON list of turns", fix="wrap the turns in [ … ]")
    out = []
    for i, turn in enumerate(data, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("text"), str) or not turn["text"].strip():
            raise InputError(
                f"{source} turn {i}: needs a non-empty 'text'", fix=f"fix turn {i}; nothing was stored"
            )
        speaker = str(turn.get("speaker") or "unknown")
        try:
            when = parse_event_time(turn.get("time"))
        except ValueError as exc:
            raise InputError(f"{source} turn {i}: {exc}", fix=f"fix turn {i}; nothing was stored") from None
        out.append(
            MemoryRecord(
                namespace=namespace,
                text=f"{speaker}: {turn['text']}",
                kind="turn",
                subject=speaker,
                event_time=when,
                metadata={"speaker": speaker, "thread": source, "turn": i},
                provenance={"source": source},
            )
        )
    return out


@cache
def _prompt() -> dict[str, str]:
    data: dict[str, dict[str, str]] = json.loads(
        resources.files("iza.memory").joinpath("data/prompts.json").read_text("utf-8")
    )
    return data["extract_facts"]


def extract_facts(turns: Sequence[MemoryRecord], ask: AskModel, *, source: str) -> list[MemoryRecord]:
    """``fact`` records from ``turns`` (as made by :func:`conversation_records`), each linked to
    the turn ids it came from (``metadata.turn_ids``) and the model that said so
    (``provenance.extracted_by``). Raises :class:`FactExtractionError` on an unusable answer."""
    if not turns:
        return []
    lines = "\n".join(f"[{i}] {t.text}" for i, t in enumerate(turns, start=1))
    prompt = _prompt()
    messages = [
        {"role": "system", "content": prompt["system"]},
        {"role": "user", "content": prompt["user"].format(source=source, turns=lines)},
    ]
    value, model = ask(messages, FACTS_SCHEMA)
    facts = value.get("facts") if isinstance(value, dict) else None
    if not isinstance(facts, list):
        raise FactExtractionError(
            f"{model} returned no 'facts' list for {source}", fix="retry, or use a stronger model"
        )
    out = []
    for n, fact in enumerate(facts, start=1):
        text = str(fact.get("text") or "").strip() if isinstance(fact, dict) else ""
        cited = fact.get("turns") if isinstance(fact, dict) else None
        if not text or not isinstance(cited, list) or not cited:
            raise FactExtractionError(
                f"{model}: fact {n} for {source} has no text or cites no turns; nothing was stored",
                fix="retry, or use a stronger model",
            )
        bad = [c for c in cited if not isinstance(c, int) or not 1 <= c <= len(turns)]
        if bad:
            raise FactExtractionError(
                f"{model}: fact {n} for {source} cites turns {bad} (the conversation has {len(turns)});"
                " nothing was stored",
                fix="retry, or use a stronger model",
            )
        src = [turns[c - 1] for c in dict.fromkeys(cited)]
        times = [t.event_time for t in src if t.event_time is not None]
        subject = str(fact.get("subject") or "").strip() or src[0].subject
        out.append(
            MemoryRecord(
                namespace=src[0].namespace,
                text=text,
                kind="fact",
                subject=subject,
                event_time=max(times) if times else None,
                metadata={"turn_ids": [t.id for t in src]},
                provenance={"source": source, "extracted_by": model},
                importance=0.6,
            )
        )
    return out
