"""Memory records as plain values, and the pure conversions around them (no IO).

A record's times are UTC epoch seconds (floats): they sort, compare and filter in SQLite without
parsing, and convert to ISO 8601 only at the edges (``as_dict``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from iza.errors import InputError

__all__ = [
    "KINDS",
    "MemoryRecord",
    "SearchHit",
    "SearchQuery",
    "history_entries",
    "iso",
    "new_id",
    "parse_event_time",
    "parse_jsonl",
    "record_from_mapping",
]

#: Kinds the engine knows; others are accepted (a kind is a label, not a type switch).
KINDS = ("fact", "event", "message", "document", "note", "turn")

#: Keys of an import line that map to record fields; every other key goes to ``metadata``.
_FIELD_KEYS = {
    "id",
    "text",
    "kind",
    "timestamp",
    "event_time",
    "importance",
    "expires_at",
    "subject",
    "provenance",
    "metadata",
    "created_at",
    "updated_at",
    "namespace",
}

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
    )
}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_TIME_RE = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ap>am|pm|a\.m\.|p\.m\.)?", re.I)
_DMY_RE = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]+)\.?,?\s+(?P<y>\d{4})", re.I)
_MDY_RE = re.compile(r"(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})", re.I)


def new_id() -> str:
    return uuid.uuid4().hex


def iso(ts: float | None) -> str | None:
    """Epoch seconds → ISO 8601 UTC (``None`` stays ``None``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def parse_event_time(value: Any) -> float | None:
    """Parse a moment into UTC epoch seconds.

    Accepts epoch numbers, ISO 8601 (``2023-06-09T19:55:00Z``) and the conversational forms found in
    chat logs: ``"7:55 pm on 9 June, 2023"``, ``"9 June 2023"``, ``"June 9, 2023 3pm"``. Times without
    a zone are taken as UTC, because the source rarely says and a stable reading matters more
    than a guessed local zone. Returns ``None`` for empty input; raises ``ValueError`` when the
    text is not a date at all, so an importer can name the bad line.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        pass
    date_m = _DMY_RE.search(text) or _MDY_RE.search(text)
    if not date_m or date_m.group("mon").lower() not in _MONTHS:
        raise ValueError(f"not a recognisable date/time: {text!r}")
    rest = text[: date_m.start()] + " " + text[date_m.end() :]
    hour = minute = 0
    time_m = next((m for m in _TIME_RE.finditer(rest) if m.group("m") or m.group("ap")), None)
    if time_m:
        hour, minute = int(time_m.group("h")), int(time_m.group("m") or 0)
        ap = (time_m.group("ap") or "").lower().replace(".", "")
        if ap == "pm" and hour < 12:
            hour += 12
        elif ap == "am" and hour == 12:
            hour = 0
    dt = datetime(
        int(date_m.group("y")),
        _MONTHS[date_m.group("mon").lower()],
        int(date_m.group("d")),
        hour,
        minute,
        tzinfo=UTC,
    )
    return dt.timestamp()


@dataclass(frozen=True)
class MemoryRecord:
    """One memory. ``provenance`` says who/what produced it (agent, mission, order, repo, source)."""

    namespace: str
    text: str
    id: str = field(default_factory=new_id)
    kind: str = "note"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, str] = field(default_factory=dict)
    subject: str | None = None
    event_time: float | None = None
    importance: float = 0.5
    expires_at: float | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = 0.0

    def with_changes(self, **changes: Any) -> MemoryRecord:
        return replace(self, **changes)

    def updated(
        self,
        *,
        text: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        importance: float | None = None,
        expires_at: float | None = None,
    ) -> MemoryRecord:
        """The record after an ``update``: given fields replace, metadata keys merge in.

        Every backend applies updates through this, so "None means unchanged" and the metadata
        merge rule are the same whichever backend stores the record.
        """
        changes: dict[str, Any] = {}
        if text is not None:
            changes["text"] = text
        if metadata is not None:
            changes["metadata"] = {**self.metadata, **metadata}
        if importance is not None:
            changes["importance"] = importance
        if expires_at is not None:
            changes["expires_at"] = expires_at
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601); the export/import line format."""
        return {
            "id": self.id,
            "namespace": self.namespace,
            "kind": self.kind,
            "text": self.text,
            "metadata": dict(self.metadata),
            "provenance": dict(self.provenance),
            "subject": self.subject,
            "event_time": iso(self.event_time),
            "importance": self.importance,
            "expires_at": iso(self.expires_at),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at or self.created_at),
        }


@dataclass(frozen=True)
class SearchQuery:
    """What to look for and where. Filters narrow before ranking; ``k`` is the result count."""

    namespace: str
    text: str
    k: int = 10
    kinds: tuple[str, ...] = ()
    subject: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    since: float | None = None
    until: float | None = None


@dataclass(frozen=True)
class SearchHit:
    """A ranked result; ``parts`` holds the per-signal scores that were fused (for explanation)."""

    record: MemoryRecord
    score: float
    parts: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {"id": self.record.id, "text": self.record.text, "score": round(self.score, 6)}
        out.update({k: v for k, v in self.record.as_dict().items() if k not in out})
        out["parts"] = {k: round(v, 6) for k, v in self.parts.items()}
        return out


def _opt_time(data: Mapping[str, Any], key: str) -> float | None:
    try:
        return parse_event_time(data.get(key))
    except ValueError as exc:
        raise InputError(f"field {key!r}: {exc}") from None


def record_from_mapping(data: Mapping[str, Any], namespace: str, *, kind: str = "note") -> MemoryRecord:
    """Build a record from one import object: ``text`` required; ``id``, ``timestamp``, ``kind``
    optional; known fields are taken, every other key goes to ``metadata``."""
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError("'text' is required and must be a non-empty string")
    meta = dict(data.get("metadata") or {})
    meta.update({k: v for k, v in data.items() if k not in _FIELD_KEYS})
    prov = data.get("provenance") or {}
    if not isinstance(prov, Mapping):
        raise InputError("'provenance' must be an object")
    try:
        importance = float(data.get("importance", 0.5))
    except (TypeError, ValueError):
        raise InputError("'importance' must be a number") from None
    rec_id = data.get("id")
    created = _opt_time(data, "created_at")
    return MemoryRecord(
        namespace=namespace,
        text=text,
        id=str(rec_id) if rec_id not in (None, "") else new_id(),
        kind=str(data.get("kind") or kind),
        metadata=meta,
        provenance={k: str(v) for k, v in prov.items()},
        subject=str(data["subject"]) if data.get("subject") else None,
        event_time=_opt_time(data, "timestamp") if "timestamp" in data else _opt_time(data, "event_time"),
        importance=importance,
        expires_at=_opt_time(data, "expires_at"),
        created_at=created if created is not None else time.time(),
    )


def parse_jsonl(
    lines: Iterable[str], namespace: str | None, *, source: str = "input"
) -> Iterator[MemoryRecord]:
    """Records from JSONL text. A bad line raises :class:`InputError` naming ``source`` and its
    line number; callers collect everything before writing, so one bad line stores nothing.
    ``namespace`` overrides the lines' own ``namespace`` keys (``add``); ``None`` keeps them (``import``)."""
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source} line {lineno}: invalid JSON ({exc.msg})",
                fix=f"fix line {lineno}; nothing was imported",
            ) from None
        if not isinstance(data, dict):
            raise InputError(
                f"{source} line {lineno}: expected a JSON object",
                fix=f"fix line {lineno}; nothing was imported",
            )
        try:
            yield record_from_mapping(data, namespace or str(data.get("namespace") or "default"))
        except InputError as exc:
            raise InputError(
                f"{source} line {lineno}: {exc.message}", fix=f"fix line {lineno}; nothing was imported"
            ) from None


#: One replaced version of a record: (version, text, metadata, importance, replaced at, action).
PastVersion = tuple[int, str, Mapping[str, Any], float, float, str]


def history_entries(past: Iterable[PastVersion], current: MemoryRecord) -> list[dict[str, Any]]:
    """A record's history as every backend reports it: the replaced versions, oldest first, then
    the current one (``action: "current"``, never replaced)."""
    out: list[dict[str, Any]] = [
        {"version": int(v), "text": t, "metadata": dict(m), "importance": imp,
         "replaced_at": iso(at), "action": a}
        for v, t, m, imp, at, a in past
    ]
    out.append({"version": len(out) + 1, "text": current.text, "metadata": dict(current.metadata),
                "importance": current.importance, "replaced_at": None, "action": "current"})
    return out
