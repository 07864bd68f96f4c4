"""Events nobody subscribes to are stored as delivered in the publisher's own transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from iza.kernel import events as events_module
from iza.kernel.events import Event, publish, recent, redeliver, subscribe, unsubscribe
from iza.kernel.store import Store


@pytest.fixture(autouse=True)
def no_other_subscribers() -> Iterator[None]:
    """Subscribers are process-wide: an app another test built in this worker may have left its
    ``"*"`` workflow-trigger handler. This bypasses the public API (there is no "unsubscribe
    everything") to give these tests a process where nobody listens, and restores it after."""
    saved = list(events_module._subscribers)
    events_module._subscribers.clear()
    yield
    events_module._subscribers[:] = saved


@dataclass(frozen=True)
class GadgetShipped(Event):
    name: ClassVar[str] = "test.gadget_shipped"
    gadget: str


def test_unsubscribed_event_is_born_delivered(store: Store) -> None:
    with store.transaction() as session:
        event_id = publish(store, GadgetShipped(gadget="g1"), session)
        assert "iza_events" not in session.info  # nothing left to deliver after the commit
    [row] = recent(store, 5)
    assert row.id == event_id and row.payload == {"gadget": "g1"}
    # the same record a delivery to zero subscribers used to write in a second transaction
    assert row.delivered_at == row.created_at and row.attempts == 1 and row.last_error is None
    assert redeliver(store) == 0


def test_subscribed_event_still_waits_for_its_subscribers(store: Store) -> None:
    got: list[Any] = []

    def handler(e: Any) -> None:
        got.append(e)

    subscribe("test.gadget_*", handler)  # a pattern that does not match: still unsubscribed
    subscribe("test.*", handler)
    try:
        with store.transaction() as session:
            publish(store, GadgetShipped(gadget="g2"), session)
            assert got == [] and recent(store, 5) == []  # not committed yet
        assert [r.payload for r in got] == [{"gadget": "g2"}]
        [row] = recent(store, 1)
        assert row.attempts == 1 and row.delivered_at is not None
        assert row.delivered_at >= row.created_at
    finally:
        unsubscribe(handler)


def test_rolled_back_unsubscribed_event_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as session:
        publish(store, GadgetShipped(gadget="g3"), session)
        raise RuntimeError("abort")
    assert recent(store, 5) == []


def test_wants_filter_keeps_declined_events_off_a_pattern_subscriber(store: Store) -> None:
    got: list[str] = []
    asked: list[str] = []

    def handler(record: Any) -> None:
        got.append(record.payload["gadget"])

    def wants(name: str) -> bool:
        asked.append(name)
        return wanted[0]

    wanted = [False]
    subscribe("*", handler, wants=wants)
    try:
        with store.transaction() as session:
            publish(store, GadgetShipped(gadget="declined"), session)
            assert "iza_events" not in session.info  # declined: born delivered, no second commit
        wanted[0] = True
        publish(store, GadgetShipped(gadget="wanted"))
        assert got == ["wanted"]
        declined, accepted = sorted(recent(store, 5), key=lambda r: r.id)
        assert declined.delivered_at == declined.created_at and declined.attempts == 1
        assert accepted.attempts == 1 and accepted.delivered_at is not None
        assert asked and set(asked) == {"test.gadget_shipped"}
    finally:
        unsubscribe(handler)
    assert handler not in events_module._wants  # unsubscribe drops the filter too
