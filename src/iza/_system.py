"""The composition root: which components this build of IZA OS has, in boot order.

Only the interfaces (``iza.cli``, ``iza.web``) import this module. A subsystem joins by adding
one line to ``_COMPONENTS``: the module path of a zero-argument factory that returns its
:class:`~iza.kernel.registry.Component`. Factories are imported when the registry is built, so
``iza --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iza.kernel.config import Settings
from iza.kernel.events import subscribe, unsubscribe
from iza.kernel.registry import BOOT_ORDER, Component, Health, Registry
from iza.kernel.store import Store

if TYPE_CHECKING:
    from iza.kernel.events import EventRecord
    from iza.workflows import MissionRequest
    from iza.workflows._dispatch import Dispatcher

__all__ = ["build_registry", "wire_events", "wire_workflow_nodes", "wire_workflow_triggers"]

logger = logging.getLogger(__name__)

#: (name, boot stage, "module:factory")
_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("kernel", "kernel", "iza.kernel.health:kernel_component"),
    ("llm", "llm", "iza.llm.health:llm_component"),
    ("business", "interfaces", "iza.business.health:business_component"),
    ("agents", "agents", "iza.agents.health:agents_component"),
    ("memory", "memory", "iza.memory.health:memory_component"),
    ("workflows", "workflows", "iza.workflows.health:workflows_component"),
    ("interfaces", "interfaces", "iza.web.health:web_component"),
)


def build_registry() -> Registry:
    registry = Registry()
    present = set()
    for name, stage, ref in _COMPONENTS:
        module_name, _, attr = ref.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
            component: Component = factory()
        except ImportError as exc:
            logger.warning("component %s unavailable: %s", name, exc)
            component = Component(name, stage, _down(f"cannot load {ref}: {exc}"))
        registry.register(component)
        present.add(stage)
    for stage in BOOT_ORDER:
        if stage not in present:
            registry.register(Component(stage, stage, _disabled))
    return registry


def _down(detail: str) -> Callable[[Settings], Health]:
    def check(_settings: Settings) -> Health:
        return Health.down(detail)

    return check


def _disabled(_settings: Settings) -> Health:
    return Health.disabled("not part of this build yet")


# ---- domain-event wiring: order.paid (business) → delivering mission (agents) ---------------
# business must not import agents, so the composition root subscribes for them. Opt-in with
# ``agents.deliver_paid_orders``: a paid order then gets a mission for its service (catalog slug =
# workforce service id), linked both ways (order.mission_id, mission.order_id, so the mission's
# LLM calls are attributed to the order); a completed mission marks the order delivered.
_wired: dict[str, Callable[[], None]] = {}
_wired_lock = threading.Lock()


def wire_events(settings: Settings, store: Store, *, background: bool = True) -> Callable[[], None]:
    """Subscribe the cross-subsystem handlers for ``store`` (only when the setting is on, once per
    process and database); returns the function that removes what this call subscribed.
    ``background`` runs missions in a thread (``iza serve``); else in the caller's thread (a CLI
    command must not exit before its mission ends). ``executor = "celery"`` queues them instead.

    Subscribers are process-wide and hold this store, so nothing is subscribed unless asked for:
    a process that never opts in never calls into a store it no longer uses."""
    from iza.agents import MissionCompleted
    from iza.business import OrderPaid

    unwire_workflows = wire_workflow_triggers(settings, store, background=background)

    def nothing() -> None:
        unwire_workflows()
        return None

    if not settings.get_bool("agents.deliver_paid_orders"):
        return nothing
    with _wired_lock:
        if store.url in _wired:
            return nothing

        def on_paid(event: OrderPaid) -> None:
            if settings.get_bool("agents.deliver_paid_orders"):
                _deliver_order(settings, store, event.order_id, event.service_slug, background)

        def on_completed(event: MissionCompleted) -> None:
            _mark_delivered(store, event.mission_id)

        subscribe(OrderPaid, on_paid)  # type: ignore[arg-type]
        subscribe(MissionCompleted, on_completed)  # type: ignore[arg-type]

        def unwire() -> None:
            unwire_workflows()
            unsubscribe(on_paid)  # type: ignore[arg-type]
            unsubscribe(on_completed)  # type: ignore[arg-type]
            with _wired_lock:
                _wired.pop(store.url, None)

        _wired[store.url] = unwire
        return unwire


def _deliver_order(settings: Settings, store: Store, order_id: str, slug: str,
                   background: bool) -> str | None:
    from iza.agents import Workforce, cancel_mission, create_mission, run_mission
    from iza.business._ledger import attach_mission
    from iza.business._models import OrderRow

    with store.read() as session:
        order = session.get(OrderRow, order_id)
        if order is None or order.mission_id:  # already delivering (a redelivered order.paid)
            return None
    wf = Workforce.from_settings(settings, store)
    if slug not in {s.id for s in wf.catalog.services}:
        logger.info("order %s: the workforce has no service %r; no mission started", order_id, slug)
        return None
    mission_id = create_mission(wf, f"Deliver paid order {order_id} ({slug})", slug, order_id=order_id)
    if not attach_mission(store, order_id, mission_id):  # lost a race with another delivery
        cancel_mission(store, mission_id)
        return None
    logger.info("order %s paid: mission %s started (%s)", order_id, mission_id, wf.mode)
    if settings.get_str("executor") == "celery":
        from iza.agents._celery import submit

        submit(settings, mission_id)
    elif background:
        threading.Thread(target=run_mission, args=(wf, mission_id), daemon=True,
                         name=f"mission-{mission_id}").start()
    else:
        run_mission(wf, mission_id)
    return mission_id


def _mark_delivered(store: Store, mission_id: str) -> None:
    import sqlalchemy as sa

    from iza.business._ledger import deliver_order
    from iza.business._models import OrderRow

    with store.read() as session:
        ids = list(session.scalars(sa.select(OrderRow.id).where(OrderRow.mission_id == mission_id,
                                                                OrderRow.status == "paid")))
    for order_id in ids:
        deliver_order(store, order_id, mission_id)


# ---- domain-event wiring: any event → active workflows with a matching IZA Event Trigger ------
# workflows must not import the publishers' packages, and subscribers are process-wide, so the
# composition root subscribes one "*" handler per store (counted: each wire_events call adds one
# user, its unwire removes it). ``background`` runs the workflows in a thread pool (``iza serve``);
# else in the publisher's thread, after its transaction (a CLI command must not exit first).
@dataclass
class _WorkflowWiring:
    users: int
    handler: Callable[[EventRecord], None]
    dispatcher: Dispatcher


_wf_wired: dict[str, _WorkflowWiring] = {}


def wire_workflow_triggers(settings: Settings, store: Store, *,
                           background: bool = True) -> Callable[[], None]:
    """Start active workflows whose Event Trigger matches events published in this process."""
    from iza.workflows._dispatch import ActiveWorkflows, Dispatcher, event_handler
    from iza.workflows.service import WorkflowService

    if not settings.get_bool("workflows.event_triggers"):
        return lambda: None
    with _wired_lock:
        wiring = _wf_wired.get(store.url)
        if wiring is None:
            service = WorkflowService(store, settings)
            dispatcher = Dispatcher(service, settings, background=background)
            wiring = _WorkflowWiring(0, event_handler(ActiveWorkflows(service), dispatcher), dispatcher)
            subscribe("*", wiring.handler)
            _wf_wired[store.url] = wiring
        wiring.users += 1
    done = threading.Event()

    def unwire() -> None:
        if done.is_set():
            return
        done.set()
        with _wired_lock:
            wiring.users -= 1
            if wiring.users > 0:
                return
            _wf_wired.pop(store.url, None)
        unsubscribe(wiring.handler)
        wiring.dispatcher.shutdown()

    return unwire
# ---- workflow nodes from the layers above the engine -----------------------------------------
# iza.workflows may not import business (a higher layer) nor agents (its sibling), so the
# composition root plugs them in: business registers its node types, and the agent-mission node
# gets a runner that builds a workforce and runs the mission to its end.
def wire_workflow_nodes() -> None:
    """Register ``iza.stripeCheckout``, ``iza.revenueEvent`` and the mission runner behind
    ``iza.agentMission`` (idempotent; the CLI and the web app call it before running workflows)."""
    from iza.business._wf_nodes import register_workflow_nodes
    from iza.workflows import register_mission_runner

    register_workflow_nodes()
    register_mission_runner(_run_mission_for_workflow)


def _run_mission_for_workflow(settings: Settings, store: Store, request: MissionRequest) -> dict[str, Any]:
    from iza.agents import Workforce, create_mission, run_mission

    wf = Workforce.from_settings(settings, store)
    mission_id = create_mission(wf, request.objective, request.service, order_id=request.order_id)
    logger.info("workflow %s started mission %s (%s)", request.origin.get("workflow_run"), mission_id,
                wf.mode)
    return run_mission(wf, mission_id)
