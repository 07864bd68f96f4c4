"""Conversation → memory records (verbatim turns), pure."""

from __future__ import annotations

from typing import Any

from iza.errors import InputError
from iza.memory._records import MemoryRecord, parse_event_time

__all__ = ["conversation_records"]


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
