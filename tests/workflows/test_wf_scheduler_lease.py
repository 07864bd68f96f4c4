"""Several servers on one store: only the scheduler holding the lease fires schedules."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from wf_helpers import chain, node
from wfserver_helpers import FakeClock

from iza.kernel.store import Store, utcnow
from iza.workflows._dispatch import Dispatcher
from iza.workflows._lease import Lease
from iza.workflows._scheduler import Scheduler
from iza.workflows._tables import LeaseRow
from iza.workflows.service import WorkflowService


def _hourly(svc: WorkflowService) -> str:
    wf_id = svc.import_workflow(chain(
        node("Schedule", "scheduleTrigger",
             {"rule": {"interval": [{"field": "hours", "hoursInterval": 1, "triggerAtMinute": 0}]}},
             version=1.2),
        node("Stamp", "code", {"jsCode": "return [{json: {fired: $json.timestamp}}]"}, version=2),
        name="hourly", settings={"timezone": "UTC"}))
    svc.set_active(wf_id, True)
    return wf_id


def test_lease_is_exclusive_renewed_released_and_taken_over_when_expired(store: Store) -> None:
    now = utcnow()
    a = Lease(store, ttl_s=10, holder="a")
    b = Lease(store, ttl_s=10, holder="b")
    assert a.hold(now) and not b.hold(now)
    assert a.hold(now + timedelta(seconds=3))  # still fresh: no write needed
    assert a.hold(now + timedelta(seconds=8))  # renewed past half its time
    assert not b.hold(now + timedelta(seconds=12))  # renewal moved expiry to now+18 s
    assert b.hold(now + timedelta(seconds=19))  # a died: b takes over once it expires
    assert not a.hold(now + timedelta(seconds=20))
    b.release()
    assert a.hold(now + timedelta(seconds=21))  # released: free at once
    with store.read() as s:
        assert [(r.name, r.holder) for r in s.scalars(sa.select(LeaseRow))] == [("scheduler", "a")]


def test_two_schedulers_on_one_store_fire_each_time_once(store: Store) -> None:
    svc = WorkflowService(store)
    clock = FakeClock(utcnow().replace(minute=30, second=0, microsecond=0))
    one = Scheduler(Dispatcher(svc, background=False), clock=clock, resume_waiting=False,
                    lease=Lease(store, ttl_s=30, holder="server-1"))
    two = Scheduler(Dispatcher(svc, background=False), clock=clock, resume_waiting=False,
                    lease=Lease(store, ttl_s=30, holder="server-2"))
    wf_id = _hourly(svc)
    assert one.tick() == [] and two.tick() == []  # first sight schedules, nothing fires
    clock.advance(minutes=31)
    fired = one.tick() + two.tick()
    assert [f.node for f in fired] == ["Schedule"]  # one fire for two schedulers
    assert two.upcoming() == []  # the follower keeps no schedule of its own
    one.stop()  # a stopping server releases its lease: the other takes over at once
    clock.advance(minutes=1)
    assert two.tick() == []  # takes over: schedules afresh from now
    clock.advance(hours=1)
    assert [f.node for f in two.tick()] == ["Schedule"]
    assert [r["status"] for r in svc.executions(wf_id)] == ["success", "success"]
