"""Domain-event triggers: an active workflow whose IZA Event Trigger matches a published event runs
with the event's payload as its item — in the server process and in a CLI-style (inline) wiring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wf_helpers import chain, node
from wfserver_helpers import serving, wait_for

from iza._system import wire_workflow_triggers
from iza.business import OrderPaid
from iza.kernel import events as events_module
from iza.kernel.config import Settings, load
from iza.kernel.events import TokenCreated, publish, recent
from iza.kernel.home import ensure_home
from iza.kernel.store import Store
from iza.web.app import create_app
from iza.workflows._triggers import event_matches
from iza.workflows.service import WorkflowService


def _on_event(pattern: str, name: str) -> dict[str, object]:
    return chain(
        node("On event", "iza.eventTrigger", {"event": pattern}),
        node("Read", "code", {"jsCode": "return [{json: {order: $json.order_id, amount: $json.amount_minor,"
                                        " event: $json._event.name}}]"}, version=2),
        name=name)


@pytest.mark.parametrize(("patterns", "name", "hit"), [
    (("order.paid",), "order.paid", True),
    (("order.*",), "order.refunded", True),
    (("*.completed",), "mission.completed", True),
    (("order.paid", "app.delivered"), "app.delivered", True),
    (("order.paid",), "order.created", False),
    (("*",), "auth.token_created", True),
    (("*",), "workflow.finished", False),  # a catch-all never reacts to workflow events (no loops)
    (("workflow.*",), "workflow.finished", True),
])
def test_event_patterns(patterns: tuple[str, ...], name: str, hit: bool) -> None:
    assert event_matches(patterns, name) is hit


def test_event_trigger_runs_in_the_server(home: Path) -> None:
    settings = load(home, {"workflows.scheduler": False})
    ensure_home(settings)
    app = create_app(settings)
    store: Store = app.state.store
    svc = WorkflowService(store, settings)
    paid = svc.import_workflow(_on_event("order.paid", "on-paid"))
    svc.set_active(paid, True)
    idle = svc.import_workflow(_on_event("order.*", "not-active"))
    try:
        with serving(app):
            publish(store, TokenCreated(token_name="unrelated"))
            publish(store, OrderPaid(order_id="o-17", service_slug="web-app", amount_minor=4900,
                                     currency="usd"))
            runs = wait_for(lambda: [r for r in svc.executions(paid) if r["status"] == "success"],
                            "the order.paid workflow")
            assert len(runs) == 1 and runs[0]["mode"] == "trigger"
            out = svc.execution_detail(runs[0]["id"])["nodes"][-1]["outputs"][0]
            assert out == [{"order": "o-17", "amount": 4900, "event": "order.paid"}]
            assert svc.executions(idle) == []  # imported but not active
            assert all(e.delivered_at is not None and e.last_error is None for e in recent(store, 5))
    finally:
        app.state.unwire_events()
        store.dispose()


def test_inline_wiring_runs_before_publish_returns_and_unwires(settings: Settings,
                                                                sqlite_store: Store) -> None:
    svc = WorkflowService(sqlite_store, settings)
    wf_id = svc.import_workflow(_on_event("order.*", "inline"))
    svc.set_active(wf_id, True)
    unwire = wire_workflow_triggers(settings, sqlite_store, background=False)
    try:
        publish(sqlite_store, OrderPaid(order_id="o-1", service_slug="s", amount_minor=1, currency="usd"))
        assert [r["status"] for r in svc.executions(wf_id)] == ["success"]  # already finished
    finally:
        unwire()
    publish(sqlite_store, OrderPaid(order_id="o-2", service_slug="s", amount_minor=1, currency="usd"))
    assert len(svc.executions(wf_id)) == 1


def test_event_triggers_can_be_turned_off(home: Path, sqlite_store: Store) -> None:
    settings = load(home, {"workflows.event_triggers": False})
    svc = WorkflowService(sqlite_store, settings)
    wf_id = svc.import_workflow(_on_event("order.paid", "off"))
    svc.set_active(wf_id, True)
    unwire = wire_workflow_triggers(settings, sqlite_store, background=False)
    publish(sqlite_store, OrderPaid(order_id="o-3", service_slug="s", amount_minor=1, currency="usd"))
    unwire()
    assert svc.executions(wf_id) == []


@pytest.fixture
def only_our_subscribers() -> Iterator[None]:
    """Subscribers are process-wide: apps other tests in this worker built may have left theirs
    (on stores since closed, whose filters answer "yes" when they cannot read). Give the test a
    process where only what it wires listens, and restore the rest after."""
    saved, saved_wants = list(events_module._subscribers), dict(events_module._wants)
    events_module._subscribers.clear()
    events_module._wants.clear()
    yield
    events_module._subscribers[:] = saved
    events_module._wants.update(saved_wants)


@pytest.mark.usefixtures("only_our_subscribers")
def test_trigger_interest_follows_activation_and_spares_unwanted_events(settings: Settings,
                                                                          sqlite_store: Store) -> None:
    """Events no active trigger wants are stored delivered by the publisher (no delivery commit);
    activating a workflow in this process makes its events wanted at once, without waiting for the
    cache's time-to-live."""
    svc = WorkflowService(sqlite_store, settings)
    wf_id = svc.import_workflow(_on_event("order.paid", "interest"))
    unwire = wire_workflow_triggers(settings, sqlite_store, background=False)
    try:
        first = publish(sqlite_store, OrderPaid(order_id="o-a", service_slug="s", amount_minor=1,
                                                currency="usd"))
        svc.set_active(wf_id, True)
        unwanted = publish(sqlite_store, TokenCreated(token_name="unrelated"))
        publish(sqlite_store, OrderPaid(order_id="o-b", service_slug="s", amount_minor=2, currency="usd"))
        runs = svc.executions(wf_id)
        assert [r["status"] for r in runs] == ["success"]  # only the event after activation
        out = svc.execution_detail(runs[0]["id"])["nodes"][-1]["outputs"][0]
        assert out[0]["order"] == "o-b"
        svc.set_active(wf_id, False)
        publish(sqlite_store, OrderPaid(order_id="o-c", service_slug="s", amount_minor=3, currency="usd"))
        assert len(svc.executions(wf_id)) == 1
    finally:
        unwire()
    events = {e.id: e for e in recent(sqlite_store, 10)}
    # born delivered: no trigger wanted them
    assert events[unwanted].delivered_at == events[unwanted].created_at
    assert events[first].delivered_at == events[first].created_at
