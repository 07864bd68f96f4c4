"""What starts a stored workflow: its webhook, schedule and domain-event trigger nodes, read from
n8n's JSON into small specs, and the next fire time of each schedule rule.

n8n's Schedule Trigger turns every rule into a cron expression with a seconds field first
(``s m h dom mon dow``); the legacy Cron node does the same with its ``triggerTimes``; the Interval
node fires every N units from activation. Cron times are computed by ``croniter`` in the
workflow's time zone, so "every day at 09:00" stays at 09:00 local time across daylight-saving
changes. Rules with an interval that cron cannot say (every 3 days, every 2 weeks) fire on the cron
times and skip those closer than the interval to the previous fire, as n8n's recurrence check does.
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from iza.errors import MissingDependency
from iza.workflows._errors import WorkflowInputError
from iza.workflows._model import Node, Workflow

__all__ = [
    "EVENT_TRIGGER",
    "EventSpec",
    "ScheduleRule",
    "WebhookSpec",
    "event_matches",
    "event_specs",
    "match_path",
    "normalise_path",
    "schedule_item",
    "schedule_rules",
    "trigger_summary",
    "webhook_specs",
    "workflow_timezone",
]

#: The IZA trigger node type that starts a workflow on a domain event (``order.paid``).
EVENT_TRIGGER = "iza.eventTrigger"

_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def workflow_timezone(wf: Workflow, default: str) -> str:
    tz = wf.settings.get("timezone")
    return str(tz) if tz and tz != "DEFAULT" else default


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise WorkflowInputError(
            f"unknown time zone {name!r}",
            fix="Use an IANA name such as 'Europe/Berlin' in the workflow settings or "
            "workflows.timezone.",
        ) from exc


def _enabled(wf: Workflow, kind: str) -> list[Node]:
    return [n for n in wf.nodes.values() if not n.disabled and (n.kind == kind or n.type == kind)]


# ---- webhooks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class WebhookSpec:
    """A Webhook node: which requests reach it and how the workflow answers them."""

    node: str
    methods: tuple[str, ...]
    path: str
    response_mode: str  # onReceived | lastNode | responseNode
    response_code: int
    response_data: str  # lastNode: firstEntryJson | allEntries | noData | firstEntryBinary
    options: dict[str, Any]
    #: n8n's ``authentication`` (basicAuth, headerAuth, jwtAuth) needs credentials IZA does not
    #: store, so such a webhook refuses every request rather than run unauthenticated.
    authentication: str = "none"


def normalise_path(path: str) -> str:
    return "/".join(p for p in str(path).strip().split("/") if p)


def _response_code(params: dict[str, Any]) -> int:
    opt = (params.get("options") or {}).get("responseCode")
    if isinstance(opt, dict):  # v2: {"values": {"responseCode": 200, "customCode": 299}}
        values = opt.get("values") or opt
        code = values.get("customCode") or values.get("responseCode")
        if code:
            return int(code)
    elif opt:
        return int(opt)
    return int(params.get("responseCode") or 200)


def webhook_specs(wf: Workflow) -> list[WebhookSpec]:
    out = []
    for node in _enabled(wf, "webhook"):
        p = node.parameters
        methods: tuple[str, ...]
        if p.get("multipleMethods"):
            methods = tuple(str(m).upper() for m in (p.get("httpMethod") or ["GET", "POST"]))
        else:
            methods = (str(p.get("httpMethod") or "GET").upper(),)
        path = normalise_path(str(p.get("path") or node.raw.get("webhookId") or ""))
        if not path:
            continue
        out.append(
            WebhookSpec(
                node=node.name,
                methods=methods,
                path=path,
                response_mode=str(p.get("responseMode") or "onReceived"),
                response_code=_response_code(p),
                response_data=str(p.get("responseData") or "firstEntryJson"),
                options=dict(p.get("options") or {}),
                authentication=str(p.get("authentication") or "none"),
            )
        )
    return out


def match_path(pattern: str, path: str) -> dict[str, str] | None:
    """Match a request path against a webhook path with ``:name`` segments (n8n's dynamic paths)."""
    want, got = normalise_path(pattern).split("/"), normalise_path(path).split("/")
    if len(want) != len(got):
        return None
    params: dict[str, str] = {}
    for w, g in zip(want, got, strict=True):
        if w.startswith(":") and len(w) > 1:
            params[w[1:]] = g
        elif w != g:
            return None
    return params


# ---- schedules --------------------------------------------------------------------------------
def _croniter() -> Any:
    try:
        module = importlib.import_module("croniter")  # untyped: used through Any
    except ImportError:
        raise MissingDependency("croniter", "workflows", purpose="schedule triggers") from None
    return module.croniter


@dataclass(frozen=True)
class ScheduleRule:
    """One rule of a schedule trigger: a cron expression (seconds first) or a fixed interval.

    ``recur`` is the interval cron cannot express (every 3 days, every 2 weeks) as (unit, n): a
    cron time in a later day/week less than ``n`` units after the previous fire is skipped.
    """

    node: str
    index: int
    timezone: str
    cron: str | None = None
    every_s: float | None = None
    recur: tuple[str, int] | None = None

    @property
    def key(self) -> str:
        return f"{self.node}#{self.index}"

    def describe(self) -> str:
        if self.cron:
            gap = f" (every {self.recur[1]} {self.recur[0]}s)" if self.recur else ""
            return f"cron {self.cron} {self.timezone}{gap}"
        return f"every {self.every_s:g} s"

    def next_after(self, now: datetime, last: datetime | None = None) -> datetime:
        """The first fire time strictly after ``now`` (UTC), given the previous fire ``last``."""
        if self.every_s is not None:
            step = timedelta(seconds=self.every_s)
            if last is None:
                return now + step
            behind = max((now - last).total_seconds(), 0.0)
            nxt = last + step * (int(behind // self.every_s) + 1)
            return nxt if nxt > now else nxt + step  # float rounding at an exact multiple
        assert self.cron is not None
        zone = _zone(self.timezone)
        fields = self.cron.split()
        it = _croniter()(self.cron, now.astimezone(zone), second_at_beginning=len(fields) == 6)
        nxt = now
        for _ in range(10000):
            got: datetime = it.get_next(datetime)
            nxt = got.astimezone(UTC)
            if last is None or self._recurs(last.astimezone(zone), nxt.astimezone(zone)):
                return nxt
        return nxt  # pragma: no cover  (a recurrence no cron time ever satisfies)

    def _recurs(self, last: datetime, nxt: datetime) -> bool:
        if self.recur is None:
            return True
        unit, n = self.recur
        a, b = last.date().toordinal(), nxt.date().toordinal()
        if unit == "week":
            a, b = (a - last.weekday()) // 7, (b - nxt.weekday()) // 7
        return b - a == 0 or b - a >= n


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _check_cron(expr: str, node: str) -> str:
    fields = expr.split()
    if len(fields) not in (5, 6) or not _croniter().is_valid(expr, second_at_beginning=len(fields) == 6):
        raise WorkflowInputError(
            f"node {node!r}: {expr!r} is not a valid cron expression",
            fix="Use five fields (m h dom mon dow) or six with seconds first, e.g. '0 */5 * * * *'.",
        )
    return expr


def _schedule_trigger_rules(node: Node, tz: str) -> list[ScheduleRule]:
    intervals = ((node.parameters.get("rule") or {}).get("interval")) or [{}]
    rules = []
    for i, r in enumerate(intervals):
        field = str(r.get("field") or "days")
        minute, hour = _int(r.get("triggerAtMinute"), 0), _int(r.get("triggerAtHour"), 0)
        recur: tuple[str, int] | None = None
        if field == "seconds":
            cron = f"*/{max(_int(r.get('secondsInterval'), 30), 1)} * * * * *"
        elif field == "minutes":
            cron = f"0 */{max(_int(r.get('minutesInterval'), 5), 1)} * * * *"
        elif field == "hours":
            cron = f"0 {minute} */{max(_int(r.get('hoursInterval'), 1), 1)} * * *"
        elif field == "days":
            n = max(_int(r.get("daysInterval"), 1), 1)
            cron, recur = f"0 {minute} {hour} * * *", ("day", n) if n > 1 else None
        elif field == "weeks":
            days = r.get("triggerAtDay") or [0]
            dow = ",".join(str(_int(d, 0)) for d in (days if isinstance(days, list) else [days]))
            n = max(_int(r.get("weeksInterval"), 1), 1)
            cron, recur = f"0 {minute} {hour} * * {dow}", ("week", n) if n > 1 else None
        elif field == "months":
            dom = _int(r.get("triggerAtDayOfMonth"), 1)
            n = max(_int(r.get("monthsInterval"), 1), 1)
            cron = f"0 {minute} {hour} {dom} */{n} *" if n > 1 else f"0 {minute} {hour} {dom} * *"
        elif field == "cronExpression":
            cron = _check_cron(str(r.get("expression") or "").strip(), node.name)
        else:
            raise WorkflowInputError(
                f"node {node.name!r}: unknown schedule interval field {field!r}",
                fix="Use seconds, minutes, hours, days, weeks, months or cronExpression.",
            )
        rules.append(ScheduleRule(node.name, i, tz, cron=cron, recur=recur))
    return rules


def _cron_node_rules(node: Node, tz: str) -> list[ScheduleRule]:
    items = ((node.parameters.get("triggerTimes") or {}).get("item")) or []
    rules = []
    for i, t in enumerate(items):
        mode = str(t.get("mode") or "everyDay")
        minute, hour = _int(t.get("minute"), 0), _int(t.get("hour"), 14)
        if mode == "everyMinute":
            cron = "0 * * * * *"
        elif mode == "everyHour":
            cron = f"0 {minute} * * * *"
        elif mode == "everyDay":
            cron = f"0 {minute} {hour} * * *"
        elif mode == "everyWeek":
            cron = f"0 {minute} {hour} * * {_int(t.get('weekday'), 1)}"
        elif mode == "everyMonth":
            cron = f"0 {minute} {hour} {_int(t.get('dayOfMonth'), 1)} * *"
        elif mode == "everyX":
            value, unit = max(_int(t.get("value"), 2), 1), str(t.get("unit") or "hours")
            cron = f"0 */{value} * * * *" if unit == "minutes" else f"0 0 */{value} * * *"
        elif mode == "custom":
            cron = _check_cron(str(t.get("cronExpression") or "").strip(), node.name)
        else:
            raise WorkflowInputError(
                f"node {node.name!r}: unknown cron mode {mode!r}",
                fix="Use everyMinute, everyHour, everyDay, everyWeek, everyMonth, everyX or custom.",
            )
        rules.append(ScheduleRule(node.name, i, tz, cron=cron))
    return rules


def schedule_rules(wf: Workflow, default_tz: str) -> list[ScheduleRule]:
    """Every schedule rule of the workflow's enabled Schedule Trigger, Cron and Interval nodes."""
    tz = workflow_timezone(wf, default_tz)
    _zone(tz)
    rules: list[ScheduleRule] = []
    for node in _enabled(wf, "scheduleTrigger"):
        rules += _schedule_trigger_rules(node, tz)
    for node in _enabled(wf, "cron"):
        rules += _cron_node_rules(node, tz)
    for node in _enabled(wf, "interval"):
        amount = float(node.parameters.get("interval") or 1)
        unit = str(node.parameters.get("unit") or "seconds")
        if amount <= 0 or unit not in _UNIT_SECONDS:
            raise WorkflowInputError(
                f"node {node.name!r}: interval {amount:g} {unit} cannot be scheduled",
                fix="Use a positive interval in seconds, minutes or hours.",
            )
        rules.append(ScheduleRule(node.name, 0, tz, every_s=amount * _UNIT_SECONDS[unit]))
    return rules


def schedule_item(node_kind: str, fired: datetime, tz: str) -> dict[str, Any]:
    """The item a schedule trigger emits (n8n's Schedule Trigger fields; Cron/Interval: empty)."""
    if node_kind != "scheduleTrigger":
        return {"json": {}}
    local = fired.astimezone(_zone(tz))
    return {
        "json": {
            "timestamp": local.isoformat(),
            "Readable date": local.strftime("%B %-d, %Y, %-I:%M:%S %p"),
            "Readable time": local.strftime("%-I:%M:%S %p"),
            "Day of week": local.strftime("%A"),
            "Year": local.strftime("%Y"),
            "Month": local.strftime("%B"),
            "Day of month": local.strftime("%d"),
            "Hour": local.strftime("%H"),
            "Minute": local.strftime("%M"),
            "Second": local.strftime("%S"),
            "Timezone": f"{tz} (UTC{local.strftime('%z')[:3]}:{local.strftime('%z')[3:]})",
        }
    }


# ---- domain events ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EventSpec:
    node: str
    patterns: tuple[str, ...]


def event_specs(wf: Workflow) -> list[EventSpec]:
    out = []
    for node in _enabled(wf, EVENT_TRIGGER):
        raw = node.parameters.get("event") or node.parameters.get("events") or ""
        names = raw if isinstance(raw, list) else str(raw).split(",")
        patterns = tuple(p.strip() for p in names if str(p).strip())
        if patterns:
            out.append(EventSpec(node.name, patterns))
    return out


def event_matches(patterns: tuple[str, ...], name: str) -> bool:
    """Glob match; ``*`` alone does not match ``workflow.*`` events, so a catch-all trigger cannot
    start itself in a loop (name ``workflow.…`` explicitly to react to those)."""
    for p in patterns:
        if p in ("*", "**") and name.startswith("workflow."):
            continue
        if fnmatch.fnmatchcase(name, p):
            return True
    return False


def trigger_summary(wf: Workflow, default_tz: str) -> list[dict[str, Any]]:
    """What starts this workflow, in words, for the dashboard and ``iza workflows triggers``."""
    out: list[dict[str, Any]] = []
    for w in webhook_specs(wf):
        out.append({"node": w.node, "kind": "webhook", "detail": f"{'|'.join(w.methods)} "
                    f"/webhooks/workflows/{w.path} ({w.response_mode})", "path": w.path})
    try:
        rules = schedule_rules(wf, default_tz)
    except WorkflowInputError as exc:
        out.append({"node": "", "kind": "schedule", "detail": f"invalid: {exc.message}"})
        rules = []
    for r in rules:
        out.append({"node": r.node, "kind": "schedule", "detail": r.describe()})
    for e in event_specs(wf):
        out.append({"node": e.node, "kind": "event", "detail": "on " + ", ".join(e.patterns)})
    for n in wf.nodes.values():
        if not n.disabled and n.kind in ("manualTrigger", "start"):
            out.append({"node": n.name, "kind": "manual", "detail": "manual run"})
    return out
