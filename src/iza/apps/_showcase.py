"""``iza showcase``: packaged scenarios that walk through the system, step by step.

Scenarios are data (``showcase_scenarios.json``, packaged; a user's
``$IZA_HOME/showcase_scenarios.json`` replaces it). Each step has a ``kind``; a handler
registered for that kind runs it. This package registers ``demo_app`` (the instant-app flow)
and, in :mod:`iza.apps._showcase_steps`, the business steps (``lead.arrive``, ``lead.qualify``,
``stripe.checkout``, ``mission.deliver``, ``ledger.report``) run with the real subsystems.
A kind nobody registered is reported as ``not_wired`` with the subsystem it waits for, never
faked; a subsystem registers its handler with :func:`register_step`.

A step returns a one-line detail and may leave ids (``ctx.step_ids``, reported per step in
``--json``) and dashboard pages (``ctx.look``) behind. Steps that must reach the web app (the
Stripe webhook) get ``ctx.post_webhook`` from the interface layer, which owns the app.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iza.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = ["StepContext", "WebhookPoster", "load_scenarios", "register_step", "run_scenario", "step_kinds"]

#: kind prefix → the subsystem that owns such steps (named when nothing is registered).
OWNERS = {
    "lead": "business",
    "stripe": "business",
    "ledger": "business",
    "mission": "agents",
    "memory": "memory",
    "workflow": "workflows",
}


#: (settings, path, body, headers) → (HTTP status, JSON answer): a POST to the real web app.
WebhookPoster = Callable[["Settings", str, bytes, dict[str, str]], tuple[int, dict[str, Any]]]


@dataclass
class StepContext:
    """What a step handler gets: the settings, the store and what earlier steps left behind.

    ``settings`` may be replaced by a step (the Stripe step adds a local webhook secret); later
    steps and the web app the poster builds see the replacement."""

    settings: Settings
    store: Store
    shared: dict[str, Any] = field(default_factory=dict)
    post_webhook: WebhookPoster | None = None
    step_ids: dict[str, Any] = field(default_factory=dict)
    look: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[StepContext, dict[str, Any]], str]
_handlers: dict[str, Handler] = {}


def register_step(kind: str, handler: Handler) -> None:
    """Run ``handler(context, args)`` for steps of ``kind``; it returns a one-line detail."""
    _handlers[kind] = handler


def step_kinds() -> list[str]:
    _load_steps()
    return sorted(_handlers)


def _load_steps() -> None:
    import iza.apps._showcase_steps  # noqa: F401 - registers the business steps


def _demo_app(ctx: StepContext, args: dict[str, Any]) -> str:
    from iza.apps._flow import run_demo_app

    result = run_demo_app(str(args["request"]), ctx.settings, ctx.store, source="showcase").as_dict()
    ctx.shared["demo_app"] = result
    ctx.step_ids.update(order_id=result["order_id"], mission_id=result["mission_id"],
                        request_id=result["request_id"], app_dir=result["app_dir"])
    if result["order_id"]:
        ctx.look.append(("Demo order", f"/orders/{result['order_id']}"))
    if result["mission_id"]:
        ctx.look.append(("Memory of the demo mission", f"/memory?namespace=mission:{result['mission_id']}"))
    if result["status"] != "delivered":
        failed = result["failed_step"] or {}
        raise RuntimeError(f"the app failed at {failed.get('name')}: {failed.get('detail')}")
    return (
        f"{result['spec']['name']} delivered to {result['app_dir']} in {result['seconds']} s, "
        f"{result['tests']['passed']} tests passed (mode: {result['mode']})"
    )


register_step("demo_app", _demo_app)


def load_scenarios(settings: Settings) -> list[dict[str, Any]]:
    user_file = settings.home / "showcase_scenarios.json"
    try:
        text = (
            user_file.read_text(encoding="utf-8")
            if user_file.is_file()
            else (resources.files("iza.apps") / "showcase_scenarios.json").read_text(encoding="utf-8")
        )
        data = json.loads(text)
        scenarios = list(data["scenarios"])
        for sc in scenarios:
            _ = sc["id"], sc["title"], [(s["kind"], s["title"]) for s in sc["steps"]]
    except (ValueError, KeyError, TypeError) as exc:
        where = user_file if user_file.is_file() else Path("iza/apps/showcase_scenarios.json")
        raise InputError(
            f"{where} is not a valid scenarios file: {exc}",
            fix="each scenario needs id, title and steps with kind and title",
        ) from exc
    return scenarios


def run_scenario(
    scenario: dict[str, Any], ctx: StepContext, progress: Callable[[str, str], None] | None = None
) -> dict[str, Any]:
    """Run the steps in order; a failing step stops the scenario, unwired steps are skipped."""
    _load_steps()
    note = progress or (lambda title, status: None)
    ctx.look.clear()
    steps: list[dict[str, Any]] = []
    failed = False
    for step in scenario["steps"]:
        kind, title = str(step["kind"]), str(step["title"])
        handler = _handlers.get(kind)
        row: dict[str, Any] = {"kind": kind, "title": title, "status": "", "detail": "", "seconds": 0.0,
                               "ids": {}}
        if failed:
            row.update(status="not_run", detail="an earlier step failed")
        elif handler is None:
            owner = OWNERS.get(kind.split(".")[0], "another subsystem")
            row.update(
                status="not_wired",
                detail=f"needs the {owner} subsystem, which has not registered a '{kind}' step yet",
            )
        else:
            note(title, "running")
            started = time.perf_counter()
            ctx.step_ids.clear()
            try:
                row.update(status="ok", detail=handler(ctx, dict(step.get("args") or {})))
            except Exception as exc:  # a scenario reports its failing step instead of crashing
                row.update(status="failed", detail=str(exc))
                failed = True
            row["seconds"] = round(time.perf_counter() - started, 2)
            row["ids"] = dict(ctx.step_ids)
        note(title, row["status"])
        steps.append(row)
    return {
        "id": scenario["id"],
        "title": scenario["title"],
        "ok": not failed,
        "steps": steps,
        "look": [{"label": label, "path": path}
                 for label, path in [*ctx.look, *[tuple(x) for x in scenario.get("look", [])]]],
    }


def find_scenario(scenarios: list[dict[str, Any]], scenario_id: str) -> dict[str, Any]:
    for sc in scenarios:
        if sc["id"] == scenario_id:
            return sc
    raise NotFoundError(
        f"no showcase scenario {scenario_id!r}",
        fix="use one of: " + ", ".join(s["id"] for s in scenarios),
    )
