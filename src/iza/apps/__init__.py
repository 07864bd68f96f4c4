"""Instant apps: a request in plain words becomes a verified FastAPI + SQLite app.

``parse_request`` (offline parser) → :class:`AppSpec` → ``generate_app`` (blueprint skeleton,
Jinja2) → ``verify_app`` (own venv, own tests, HTTP probe) → delivery through
:class:`DeliveryHooks` (order, mission, memory, record; events by default). ``run_demo_app`` runs
the whole flow; ``iza demo-app`` is its command.
"""

from iza.apps._catalog import BLUEPRINTS, Blueprint
from iza.apps._flow import DemoResult, plan_spec, run_demo_app, set_spec_planner
from iza.apps._generate import PINS, GeneratedApp, generate_app, render_files
from iza.apps._hooks import (
    AppDelivered,
    AppFailed,
    AppRequest,
    AppRequested,
    AppSpecDecided,
    DeliveryHooks,
    EventBusHooks,
    delivery_hooks,
    set_delivery_hooks,
)
from iza.apps._parser import parse_request
from iza.apps._records import AppSpec, Entity, Field, Relation, SpecError
from iza.apps._verify import Verification, WheelCache, verify_app

__all__ = [
    "AppDelivered",
    "AppFailed",
    "AppRequest",
    "AppRequested",
    "AppSpec",
    "AppSpecDecided",
    "BLUEPRINTS",
    "Blueprint",
    "DeliveryHooks",
    "DemoResult",
    "Entity",
    "EventBusHooks",
    "Field",
    "GeneratedApp",
    "PINS",
    "Relation",
    "SpecError",
    "Verification",
    "WheelCache",
    "delivery_hooks",
    "generate_app",
    "parse_request",
    "plan_spec",
    "render_files",
    "run_demo_app",
    "set_delivery_hooks",
    "set_spec_planner",
    "verify_app",
]
