"""Schedule triggers: next fire times (croniter, in the workflow's time zone) and the scheduler,
driven by an injected clock — directly through ``tick`` and inside a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from wf_helpers import chain, node
from wfserver_helpers import FakeClock, serving, wait_for

from iza.kernel.config import load
from iza.kernel.home import ensure_home
from iza.kernel.store import Store, utcnow
from iza.kernel.tokens import create_token
from iza.web.app import create_app
from iza.workflows import WorkflowInputError, parse_workflow
from iza.workflows._dispatch import Dispatcher
from iza.workflows._scheduler import Scheduler
from iza.workflows._triggers import schedule_item, schedule_rules
from iza.workflows.service import WorkflowService


def _rules(trigger: dict[str, Any], tz: str = "UTC") -> Any:
    wf = parse_workflow(chain(trigger, node("Next", "noOp"), settings={"timezone": tz}))
    return schedule_rules(wf, "America/New_York")


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _sched(*intervals: dict[str, Any]) -> dict[str, Any]:
    return node("Schedule", "scheduleTrigger", {"rule": {"interval": list(intervals)}}, version=1.2)


def test_schedule_trigger_rules_fire_at_n8n_times() -> None:
    (minutes,) = _rules(_sched({"field": "minutes", "minutesInterval": 15}))
    assert minutes.next_after(_utc(2026, 1, 5, 10, 7, 30)) == _utc(2026, 1, 5, 10, 15)
    (seconds,) = _rules(_sched({"field": "seconds", "secondsInterval": 20}))
    assert seconds.next_after(_utc(2026, 1, 5, 10, 0, 41)) == _utc(2026, 1, 5, 10, 1)
    (hours,) = _rules(_sched({"field": "hours", "hoursInterval": 6, "triggerAtMinute": 30}))
    assert hours.next_after(_utc(2026, 1, 5, 7, 0)) == _utc(2026, 1, 5, 12, 30)
    (cron,) = _rules(_sched({"field": "cronExpression", "expression": "0 0 9 * * 1-5"}))
    assert cron.next_after(_utc(2026, 1, 9, 10, 0)) == _utc(2026, 1, 12, 9)  # Fri after 9 → Mon
    (cron5,) = _rules(_sched({"field": "cronExpression", "expression": "*/10 * * * *"}))
    assert cron5.next_after(_utc(2026, 1, 5, 10, 1)) == _utc(2026, 1, 5, 10, 10)
    (months,) = _rules(_sched({"field": "months", "triggerAtDayOfMonth": 15, "triggerAtHour": 8}))
    assert months.next_after(_utc(2026, 1, 20)) == _utc(2026, 2, 15, 8)


def test_daily_rule_keeps_local_time_across_daylight_saving() -> None:
    (daily,) = _rules(_sched({"field": "days", "triggerAtHour": 9}), tz="America/New_York")
    assert daily.next_after(_utc(2026, 3, 7, 12)) == _utc(2026, 3, 7, 14)  # 09:00 EST = 14:00 UTC
    assert daily.next_after(_utc(2026, 3, 8, 12)) == _utc(2026, 3, 8, 13)  # 09:00 EDT = 13:00 UTC


def test_intervals_cron_cannot_say_skip_until_due() -> None:
    (every3,) = _rules(_sched({"field": "days", "daysInterval": 3, "triggerAtHour": 6}))
    first = every3.next_after(_utc(2026, 1, 1, 7))
    assert first == _utc(2026, 1, 2, 6)
    assert every3.next_after(first, last=first) == _utc(2026, 1, 5, 6)
    (biweekly,) = _rules(_sched({"field": "weeks", "weeksInterval": 2, "triggerAtDay": [1, 3],
                                 "triggerAtHour": 9}))
    mon = biweekly.next_after(_utc(2026, 1, 4))  # a Sunday
    assert mon == _utc(2026, 1, 5, 9)
    wed = biweekly.next_after(mon, last=mon)
    assert wed == _utc(2026, 1, 7, 9)  # same week: fires
    assert biweekly.next_after(wed, last=wed) == _utc(2026, 1, 19, 9)  # skips the next week


def test_cron_and_interval_nodes() -> None:
    cron = node("Cron", "cron", {"triggerTimes": {"item": [
        {"mode": "everyWeek", "hour": 7, "minute": 45, "weekday": "2"},
        {"mode": "everyX", "value": 20, "unit": "minutes"},
    ]}})
    weekly, every20 = _rules(cron)
    assert weekly.next_after(_utc(2026, 1, 5)) == _utc(2026, 1, 6, 7, 45)
    assert every20.next_after(_utc(2026, 1, 5, 10, 21)) == _utc(2026, 1, 5, 10, 40)
    (interval,) = _rules(node("Every", "interval", {"interval": 90, "unit": "seconds"}))
    start = _utc(2026, 1, 5, 10)
    assert interval.next_after(start) == start + timedelta(seconds=90)
    assert interval.next_after(start + timedelta(seconds=200), last=start + timedelta(seconds=90)) == \
        start + timedelta(seconds=270)


def test_bad_schedules_name_the_node_and_the_fix() -> None:
    with pytest.raises(WorkflowInputError) as err:
        _rules(_sched({"field": "cronExpression", "expression": "every day"}))
    assert "'Schedule'" in err.value.message and "six with seconds first" in (err.value.fix or "")
    with pytest.raises(WorkflowInputError) as err:
        _rules(_sched({"field": "days"}), tz="Mars/Olympus")
    assert "Mars/Olympus" in err.value.message


def test_schedule_item_has_n8n_fields_in_the_workflow_zone() -> None:
    item = schedule_item("scheduleTrigger", _utc(2026, 7, 1, 16, 30), "Europe/Berlin")["json"]
    assert item["timestamp"] == "2026-07-01T18:30:00+02:00"
    assert item["Hour"] == "18" and item["Day of week"] == "Wednesday" and item["Month"] == "July"
    assert item["Timezone"] == "Europe/Berlin (UTC+02:00)"
    assert schedule_item("cron", _utc(2026, 7, 1), "UTC") == {"json": {}}


def _scheduled(svc: WorkflowService, interval: dict[str, Any], name: str = "tick") -> str:
    wf_id = svc.import_workflow(chain(
        _sched(interval),
        node("Stamp", "code", {"jsCode": "return [{json: {fired: $json.timestamp}}]"}, version=2),
        name=name, settings={"timezone": "UTC"}))
    svc.set_active(wf_id, True)
    return wf_id


def test_tick_fires_due_rules_once_and_resumes_due_waits(sqlite_store: Store) -> None:
    svc = WorkflowService(sqlite_store)
    clock = FakeClock(utcnow().replace(microsecond=0))
    scheduler = Scheduler(Dispatcher(svc, background=False), clock=clock)
    wf_id = _scheduled(svc, {"field": "hours", "hoursInterval": 1, "triggerAtMinute": 0})
    waiting_id, result = svc.run(parse_workflow(chain(
        node("Start", "manualTrigger"), node("Wait", "wait", {"amount": 2, "unit": "hours"}, version=1.1),
        node("Done", "noOp"), name="waits")))
    assert result.status == "waiting"

    assert scheduler.tick() == []  # first sight: schedules the next full hour, fires nothing
    assert len(scheduler.upcoming()) == 1
    clock.advance(minutes=61)
    fired = scheduler.tick()
    assert [f.node for f in fired] == ["Schedule"]
    assert scheduler.tick() == []  # the same time never fires twice
    runs = svc.executions(wf_id)
    assert [(r["status"], r["mode"]) for r in runs] == [("success", "trigger")]
    out = svc.execution_detail(runs[0]["id"])["nodes"][-1]["outputs"][0][0]
    assert out["fired"] == fired[0].at.isoformat()
    assert svc.executions(exec_id=waiting_id)[0]["status"] == "waiting"  # 61 min < 2 h
    clock.advance(hours=3)  # two fire times passed while "down": one fire, n8n does not catch up
    assert len(scheduler.tick()) == 1
    assert len(svc.executions(wf_id)) == 2
    assert svc.executions(exec_id=waiting_id)[0]["status"] == "success"

    svc.set_active(wf_id, False)
    clock.advance(hours=2)
    assert scheduler.tick() == [] and scheduler.upcoming() == []


def test_scheduler_in_the_server_fires_on_the_injected_clock(home: Path) -> None:
    settings = load(home, {"workflows.scheduler_tick_s": 0.05})
    ensure_home(settings)
    app = create_app(settings)
    clock = FakeClock(_utc(2026, 3, 2, 8, 58, 30))
    app.state.workflow_clock = clock
    svc = WorkflowService(app.state.store, settings)
    wf_id = _scheduled(svc, {"field": "minutes", "minutesInterval": 5})
    _, token = create_token(app.state.store, "sched")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        with serving(app) as base:
            upcoming = wait_for(lambda: httpx.get(f"{base}/api/v1/workflows/schedule", headers=auth).json(),
                                "the scheduler to see the workflow")
            assert upcoming[0]["next"] == "2026-03-02T09:00:00+00:00"
            assert svc.executions(wf_id) == []
            clock.advance(minutes=2)
            runs = wait_for(lambda: [r for r in svc.executions(wf_id) if r["status"] == "success"],
                            "the 09:00 fire")
            assert len(runs) == 1 and runs[0]["mode"] == "trigger"
            wait_for(lambda: httpx.get(f"{base}/api/v1/workflows/schedule", headers=auth).json()[0]["next"]
                     == "2026-03-02T09:05:00+00:00", "the next fire time")
            out = svc.execution_detail(runs[0]["id"])["nodes"][-1]["outputs"][0][0]
            assert out == {"fired": "2026-03-02T09:00:00+00:00"}
            clock.advance(minutes=5)
            wait_for(lambda: len([r for r in svc.executions(wf_id) if r["status"] == "success"]) == 2,
                     "the 09:05 fire")
    finally:
        app.state.unwire_events()
        app.state.store.dispose()


def test_webhook_wait_with_a_time_limit_resumes_on_the_clock(sqlite_store: Store) -> None:
    svc = WorkflowService(sqlite_store)
    clock = FakeClock(utcnow().replace(microsecond=0))
    scheduler = Scheduler(Dispatcher(svc, background=False), clock=clock)
    exec_id, result = svc.run(parse_workflow(chain(
        node("Start", "manualTrigger"),
        node("Wait", "wait", {"resume": "webhook", "limitWaitTime": True, "resumeAmount": 1,
                              "resumeUnit": "hours"}, version=1.1),
        node("Done", "noOp"), name="limited")), items=[{"json": {"kept": True}}])
    assert result.status == "waiting"
    assert svc.waiting_on_webhook(exec_id)["node"] == "Wait"  # its webhook still works meanwhile
    scheduler.tick()
    assert svc.executions(exec_id=exec_id)[0]["status"] == "waiting"
    clock.advance(minutes=90)
    scheduler.tick()
    detail = svc.execution_detail(exec_id)
    assert detail["status"] == "success"
    assert detail["nodes"][-1]["outputs"] == [[{"kept": True}]]  # no request came: its own items
    with pytest.raises(WorkflowInputError, match="already finished"):
        svc.resume(exec_id)

_instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                         timezones=st.just(UTC))


@hypothesis_settings(deadline=None)  # timing is not what these check
@given(n=st.integers(1, 59), now=_instants)
def test_minute_rules_fire_on_the_next_multiple(n: int, now: datetime) -> None:
    (rule,) = _rules(_sched({"field": "minutes", "minutesInterval": n}))
    nxt = rule.next_after(now)
    assert now < nxt <= now + timedelta(hours=1)
    assert nxt.second == 0 and nxt.minute % n == 0
    assert rule.next_after(nxt, last=nxt) > nxt  # a fire time never fires twice


@hypothesis_settings(deadline=None)  # timing is not what these check
@given(step=st.integers(1, 100000), now=_instants, behind=st.integers(0, 10**7))
def test_interval_rules_stay_on_their_grid(step: int, now: datetime, behind: int) -> None:
    (rule,) = _rules(node("Every", "interval", {"interval": step, "unit": "seconds"}))
    last = now - timedelta(seconds=behind)
    nxt = rule.next_after(now, last=last)
    assert now < nxt <= now + timedelta(seconds=step)
    assert (nxt - last).total_seconds() % step == 0


@hypothesis_settings(deadline=None)  # timing is not what these check
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), now=_instants,
       tz=st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata"]))
def test_daily_rules_fire_at_the_local_time(hour: int, minute: int, now: datetime, tz: str) -> None:
    from zoneinfo import ZoneInfo

    (rule,) = _rules(_sched({"field": "days", "triggerAtHour": hour, "triggerAtMinute": minute}), tz=tz)
    local = rule.next_after(now).astimezone(ZoneInfo(tz))
    # a local time skipped by a daylight-saving jump fires in the hour after it
    assert (local.hour, local.minute) == (hour, minute) or local.hour == (hour + 1) % 24
    assert rule.next_after(now) - now <= timedelta(days=1, hours=1)
