"""The seams where the rest of IZA OS takes part in an instant-app delivery.

Orders (business), missions (agents), memories (memory) and the delivery record are owned by
other subsystems. This module defines the one :class:`DeliveryHooks` protocol the flow calls and
a default, :class:`EventBusHooks`, that creates no order or mission (it returns ``None`` ids, and
the flow says so in its output) but records every step as a domain event in the kernel's outbox:

==================  =====================================================================
``app.requested``   a request arrived (``create_order`` / ``create_mission`` seam)
``app.spec_decided`` the spec and the reasons behind it (``store_memory`` seam)
``app.delivered``   a verified app was delivered (``record_delivery`` seam)
``app.failed``      verification failed, with the failing step
==================  =====================================================================

The flow's default is :class:`iza.apps._delivery.SystemHooks`, which creates the real order
(business), mission (agents) and memories and then delegates to :class:`EventBusHooks`, so the
events keep flowing for workflows that react to ``app.delivered``. ``set_delivery_hooks(factory)``
replaces it (``None`` restores it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from iza.kernel.events import Event, publish

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = [
    "AppDelivered",
    "AppFailed",
    "AppRequest",
    "AppRequested",
    "AppSpecDecided",
    "DeliveryHooks",
    "EventBusHooks",
    "delivery_hooks",
    "set_delivery_hooks",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppRequest:
    """One instant-app request as the hooks see it."""

    request_id: str
    text: str
    mode: str
    source: str = "cli"


@dataclass(frozen=True)
class AppRequested(Event):
    name: ClassVar[str] = "app.requested"
    request_id: str
    request: str
    mode: str
    source: str


@dataclass(frozen=True)
class AppSpecDecided(Event):
    name: ClassVar[str] = "app.spec_decided"
    request_id: str
    slug: str
    blueprint: str
    mode: str
    spec: dict[str, Any]
    decisions: list[str]


@dataclass(frozen=True)
class AppDelivered(Event):
    name: ClassVar[str] = "app.delivered"
    request_id: str
    slug: str
    app_dir: str
    blueprint: str
    tests_passed: int
    seconds: float
    order_id: str | None
    mission_id: str | None


@dataclass(frozen=True)
class AppFailed(Event):
    name: ClassVar[str] = "app.failed"
    request_id: str
    slug: str
    app_dir: str
    step: str
    detail: str
    order_id: str | None
    mission_id: str | None


class DeliveryHooks(Protocol):
    """What the instant-app flow asks of the rest of the system, in call order."""

    def create_order(self, request: AppRequest) -> str | None:
        """Create an order for the catalog's instant-app service (a demo unless paid); its id."""

    def create_mission(self, request: AppRequest, order_id: str | None) -> str | None:
        """Open a mission whose trace shows the agents and tools at work; its id."""

    def store_memory(self, request: AppRequest, kind: str, text: str, data: dict[str, Any]) -> None:
        """Keep a decision (``kind`` = "spec", …) with its provenance."""

    def record_delivery(self, request: AppRequest, result: dict[str, Any]) -> None:
        """Record the outcome (``result`` is the ``iza demo-app --json`` shape)."""


class EventBusHooks:
    """The default hooks: no order or mission yet, every step recorded as an event."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create_order(self, request: AppRequest) -> str | None:
        publish(self.store, AppRequested(request.request_id, request.text, request.mode, request.source))
        return None

    def create_mission(self, request: AppRequest, order_id: str | None) -> str | None:
        return None

    def store_memory(self, request: AppRequest, kind: str, text: str, data: dict[str, Any]) -> None:
        if kind == "spec":
            publish(
                self.store,
                AppSpecDecided(
                    request.request_id,
                    str(data["slug"]),
                    str(data["blueprint"]),
                    request.mode,
                    data,
                    list(data.get("decisions") or []),
                ),
            )

    def record_delivery(self, request: AppRequest, result: dict[str, Any]) -> None:
        spec = result.get("spec") or {}
        if result["status"] == "delivered":
            publish(
                self.store,
                AppDelivered(
                    request.request_id,
                    str(spec.get("slug")),
                    str(result["app_dir"]),
                    str(result["blueprint"]),
                    int(result["tests"]["passed"]),
                    float(result.get("seconds") or 0.0),
                    result.get("order_id"),
                    result.get("mission_id"),
                ),
            )
        else:
            failed = result.get("failed_step") or {}
            publish(
                self.store,
                AppFailed(
                    request.request_id,
                    str(spec.get("slug")),
                    str(result.get("app_dir")),
                    str(failed.get("name", "unknown")),
                    str(failed.get("detail", ""))[:2000],
                    result.get("order_id"),
                    result.get("mission_id"),
                ),
            )


HooksFactory = Callable[["Store"], DeliveryHooks]
_factory: HooksFactory | None = None
_lock = threading.Lock()


def set_delivery_hooks(factory: HooksFactory | None) -> None:
    """Install the hooks factory the flow uses (``None`` restores the system default)."""
    global _factory
    with _lock:
        _factory = factory


def delivery_hooks(store: Store, settings: Settings | None = None) -> DeliveryHooks:
    """The installed hooks; by default :class:`~iza.apps._delivery.SystemHooks` (order, mission,
    memory and events), or :class:`EventBusHooks` alone when no settings are given."""
    with _lock:
        factory = _factory
    if factory is not None:
        return factory(store)
    if settings is None:
        return EventBusHooks(store)
    from iza.apps._delivery import SystemHooks

    return SystemHooks(settings, store)
