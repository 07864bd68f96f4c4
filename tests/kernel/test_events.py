"""The event bus: outbox persistence, delivery after commit, failures, redelivery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from iza.kernel.events import Event, EventRecord, publish, recent, redeliver, subscribe, unsubscribe
from iza.kernel.store import Store


@dataclass(frozen=True)
class WidgetMade(Event):
    name: ClassVar[str] = "test.widget_made"
    widget: str
    count: int


@pytest.fixture
def received() -> Any:
    got: list[Any] = []
    handlers = [lambda e: got.append(("typed", e)), lambda r: got.append(("any", r))]
    subscribe(WidgetMade, handlers[0])
    subscribe("test.*", handlers[1])
    yield got
    for h in handlers:
        unsubscribe(h)


def test_publish_persists_and_delivers(store: Store, received: list[Any]) -> None:
    event_id = publish(store, WidgetMade(widget="w1", count=3))
    kinds = [k for k, _ in received]
    assert kinds == ["typed", "any"]
    assert received[0][1] == WidgetMade(widget="w1", count=3)
    assert isinstance(received[1][1], EventRecord) and received[1][1].id == event_id
    [row] = recent(store, 5)
    assert row.name == "test.widget_made" and row.payload == {"widget": "w1", "count": 3}
    assert row.delivered_at is not None and row.attempts == 1


def test_event_in_callers_transaction_waits_for_commit(store: Store, received: list[Any]) -> None:
    with store.transaction() as session:
        publish(store, WidgetMade(widget="w2", count=1), session)
        assert received == []
    assert [k for k, _ in received] == ["typed", "any"]


def test_rolled_back_transaction_publishes_nothing(store: Store, received: list[Any]) -> None:
    with pytest.raises(RuntimeError), store.transaction() as session:
        publish(store, WidgetMade(widget="w3", count=1), session)
        raise RuntimeError("abort")
    assert received == [] and recent(store, 5) == []


def test_failing_subscriber_is_recorded_and_redelivered(store: Store) -> None:
    calls: list[int] = []

    def flaky(event: WidgetMade) -> None:
        calls.append(event.count)
        if len(calls) == 1:
            raise ValueError("temporarily broken")

    subscribe(WidgetMade, flaky)
    try:
        publish(store, WidgetMade(widget="w4", count=7))
        [row] = recent(store, 1)
        assert row.delivered_at is None and "temporarily broken" in (row.last_error or "")
        assert redeliver(store) == 1
        [row] = recent(store, 1)
        assert row.delivered_at is not None and row.attempts == 2
        assert calls == [7, 7]
    finally:
        unsubscribe(flaky)


def test_recent_filters_by_name_pattern(store: Store) -> None:
    publish(store, WidgetMade(widget="a", count=1))
    from iza.kernel.events import SystemInitialized

    publish(store, SystemInitialized(home="/h"))
    assert [r.name for r in recent(store, 10, names=["test.*"])] == ["test.widget_made"]
    assert [r.name for r in recent(store, 10, names=["system.initialized"])] == ["system.initialized"]
    first = recent(store, 10)[-1].id
    assert [r.name for r in recent(store, 10, after_id=first)] == ["system.initialized"]


def test_duplicate_event_names_are_refused() -> None:
    with pytest.raises(TypeError, match="already used"):
        @dataclass(frozen=True)
        class Again(Event):
            name: ClassVar[str] = "test.widget_made"
