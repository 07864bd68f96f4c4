"""Mission traces: a timeline of agent turns, tool calls and model calls, and an
OpenTelemetry-compatible JSON export.

The export follows the OTLP/JSON shape (``resourceSpans`` → ``scopeSpans`` → ``spans``) with
hex trace and span ids, nanosecond Unix timestamps as strings and typed attribute values, so a
collector's OTLP/HTTP JSON endpoint or any OTLP viewer can load it. The trace id is derived from
the mission id, so exporting twice gives the same trace.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iza.agents._missions import get_mission
from iza.agents._models import SpanRow
from iza.kernel.store import Store

__all__ = ["otel_export", "timeline", "trace_id_for"]


def trace_id_for(mission_id: str) -> str:
    return hashlib.sha256(("trace:" + mission_id).encode()).hexdigest()[:32]


def _spans(store: Store, mission_id: str) -> list[SpanRow]:
    get_mission(store, mission_id)
    with store.read() as session:
        return list(session.scalars(sa.select(SpanRow).where(SpanRow.mission_id == mission_id)
                                    .order_by(SpanRow.started_at, SpanRow.id)).all())


def timeline(store: Store, mission_id: str) -> list[dict[str, Any]]:
    """Spans in start order, with durations; what ``iza missions trace`` prints."""
    out = []
    for s in _spans(store, mission_id):
        out.append({
            "start": s.started_at,
            "duration_ms": round((s.ended_at - s.started_at).total_seconds() * 1000, 3),
            "kind": s.kind, "name": s.name, "agent": s.agent_id, "task": s.task_id,
            "status": s.status, "attributes": s.attributes,
        })
    return out


def _ns(value: datetime) -> str:
    return str(int(value.timestamp() * 1_000_000) * 1000)


def _attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        v: dict[str, Any] = {"boolValue": value}
    elif isinstance(value, int):
        v = {"intValue": str(value)}
    elif isinstance(value, float):
        v = {"doubleValue": value}
    else:
        v = {"stringValue": str(value)}
    return {"key": key, "value": v}


def otel_export(store: Store, mission_id: str) -> dict[str, Any]:
    """The mission as one OTLP/JSON trace; the mission itself is the root span."""
    mission = get_mission(store, mission_id)
    from iza.agents._runner import span_id_for

    trace_id = trace_id_for(mission_id)
    spans = _spans(store, mission_id)
    start = mission.started_at or mission.created_at
    end = mission.finished_at or (spans[-1].ended_at if spans else start)
    root = {
        "traceId": trace_id, "spanId": span_id_for(mission_id), "name": f"mission {mission_id}",
        "kind": 1, "startTimeUnixNano": _ns(start), "endTimeUnixNano": _ns(end),
        "attributes": [_attr("iza.mission.id", mission_id), _attr("iza.mission.mode", mission.mode),
                       _attr("iza.service", mission.service_id),
                       _attr("iza.cost_micros", mission.cost_micros),
                       _attr("gen_ai.usage.input_tokens", mission.tokens_in),
                       _attr("gen_ai.usage.output_tokens", mission.tokens_out)],
        "status": {"code": 2 if mission.state == "failed" else 1,
                   "message": mission.error or ""},
    }
    out = [root]
    for s in spans:
        attrs = [_attr("iza.span.kind", s.kind)]
        if s.agent_id:
            attrs.append(_attr("iza.agent.id", s.agent_id))
        if s.task_id:
            attrs.append(_attr("iza.task.id", s.task_id))
        attrs += [_attr(k, v) for k, v in sorted(s.attributes.items())]
        out.append({
            "traceId": trace_id, "spanId": s.span_id, "parentSpanId": s.parent_span_id or "",
            "name": s.name, "kind": 3 if s.kind in ("llm", "tool") else 1,
            "startTimeUnixNano": _ns(s.started_at), "endTimeUnixNano": _ns(s.ended_at),
            "attributes": attrs, "status": {"code": 2 if s.status == "error" else 1},
        })
    return {"resourceSpans": [{
        "resource": {"attributes": [_attr("service.name", "iza-os"),
                                    _attr("iza.subsystem", "agents")]},
        "scopeSpans": [{"scope": {"name": "iza.agents", "version": "1"}, "spans": out}],
    }]}
