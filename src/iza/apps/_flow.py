"""The instant-app flow: request → spec → generated app → verification → delivery record.

This is what ``iza demo-app`` and the web form run. The spec comes from the offline parser
(``mode: offline``) or, with an LLM provider configured, from the apps manager agent
(:mod:`iza.apps._planner`, ``mode: llm``; ``offline-fallback`` when its answer stayed invalid).
An LLM spec whose app fails verification gets one corrected spec from the model, built and
verified afresh, before the result is reported ``failed``.
Only an app whose own tests pass and whose every entity survives the HTTP probe is delivered;
otherwise the result is ``failed`` and names the failing step. The order, mission, memory and
delivery record go through :mod:`iza.apps._hooks`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iza.apps._generate import generate_app
from iza.apps._hooks import AppRequest, delivery_hooks
from iza.apps._parser import check_request, parse_request
from iza.apps._records import AppSpec
from iza.apps._verify import Verification, WheelCache, verify_app

if TYPE_CHECKING:
    from iza.kernel.config import Settings
    from iza.kernel.store import Store

__all__ = [
    "DemoResult",
    "SpecPlanner",
    "apps_home",
    "llm_wanted",
    "plan_spec",
    "run_demo_app",
    "set_spec_planner",
    "wheel_cache",
]

logger = logging.getLogger(__name__)

SEAMS_NOTE = (
    "order_id and mission_id are null: the order (business) and mission (agents) seams are not wired "
    "yet; the request, spec and delivery were recorded as app.* events"
)
Progress = Callable[[str, str], None]
#: (request, forced blueprint) → a spec with ``mode`` saying who made it, or ``None`` to fall back.
SpecPlanner = Callable[[str, "str | None"], "AppSpec | None"]
_planner: SpecPlanner | None = None


def set_spec_planner(planner: SpecPlanner | None) -> None:
    """Install the LLM-mode planner (the strategist/manager agents' structured output).

    The agents/llm subsystems register one when a provider is configured; it returns ``None``
    when it cannot answer (no provider, provider failure), and the offline parser decides instead.
    A planner's spec is validated like any other, so a malformed one is an error, not an app.
    """
    global _planner
    _planner = planner


def plan_spec(request: str, blueprint: str | None = None, *, settings: Settings | None = None,
              store: Store | None = None) -> AppSpec:
    """The spec for ``request``: from the registered planner if it answers, else from the LLM
    planner when ``settings`` and ``store`` are given and a provider is configured, else offline."""
    if _planner is not None:
        spec = _planner(request, blueprint)
        if spec is not None:
            spec.validate()
            return spec
    if settings is not None and store is not None and llm_wanted(settings):
        from iza.apps._planner import llm_planner

        planner = llm_planner(settings, store)
        if planner is not None:
            check_request(request, blueprint)  # a bad request is an error, not a fallback
            return planner.plan(request, blueprint)
    return parse_request(request, blueprint=blueprint)


def llm_wanted(settings: Settings) -> bool:
    """Whether the spec would come from a model (``apps.planner = auto`` and a provider set)."""
    if settings.get_str("apps.planner") != "auto":
        return False
    from iza.llm import llm_status

    return bool(llm_status(settings)["configured"])


@dataclass
class DemoResult:
    """What ``iza demo-app --json`` prints (``as_dict``)."""

    request_id: str
    spec: AppSpec
    app_dir: Path
    verification: Verification
    seconds: float
    order_id: str | None = None
    mission_id: str | None = None
    #: the verification step the first LLM spec failed at, when a corrected spec was built
    repaired_from: str | None = None

    @property
    def status(self) -> str:
        return "delivered" if self.verification.ok else "failed"

    def as_dict(self) -> dict[str, Any]:
        v = self.verification
        failed = v.failed_step
        notes = [] if (self.order_id and self.mission_id) else [SEAMS_NOTE]
        if self.spec.mode == "offline-fallback":
            notes.append(self.spec.decisions[0])
        if self.repaired_from is not None:
            notes.append(f"the first LLM spec failed verification at {self.repaired_from}; the app "
                         "shown was built from the model's corrected spec")
        return {
            "status": self.status,
            "app_dir": str(self.app_dir),
            "spec": self.spec.to_dict(),
            "blueprint": self.spec.blueprint,
            "tests": dict(v.tests),
            "probe": v.probe,
            "order_id": self.order_id,
            "mission_id": self.mission_id,
            "mode": self.spec.mode,
            "request_id": self.request_id,
            "seconds": round(self.seconds, 2),
            "steps": [s.as_dict() for s in v.steps],
            "repaired_from": self.repaired_from,
            "failed_step": failed.as_dict() if failed else None,
            "run": f"cd {self.app_dir} && .venv/bin/python -m uvicorn app.main:app --port 8000",
            "notes": notes,
        }


def apps_home(settings: Settings) -> Path:
    return settings.home / "apps"


def wheel_cache(settings: Settings) -> WheelCache:
    configured = settings.get_str("apps.wheel_cache")
    return WheelCache(
        Path(configured).expanduser() if configured else settings.home / "cache" / "wheels"
    )


def _repair(spec: AppSpec, verification: Verification, settings: Settings, store: Store) -> AppSpec | None:
    """One corrected spec from the model for an LLM spec whose app failed verification."""
    from iza.apps._planner import llm_planner

    failed = verification.failed_step
    planner = llm_planner(settings, store)
    if failed is None or planner is None:
        return None
    return planner.repair_after_verification(spec, failed.name, failed.detail)


def _free_dir(base: Path, slug: str) -> Path:
    """``apps/<slug>``, or ``<slug>-2``, ``-3``… so an earlier app is never overwritten."""
    candidate = base / slug
    n = 2
    while candidate.exists() and any(candidate.iterdir()):
        candidate = base / f"{slug}-{n}"
        n += 1
    return candidate


def run_demo_app(
    request: str | AppSpec,
    settings: Settings,
    store: Store,
    *,
    out: Path | None = None,
    blueprint: str | None = None,
    progress: Progress | None = None,
    source: str = "cli",
) -> DemoResult:
    """Run the whole flow; bad input raises before anything is written or recorded.

    ``request`` is the user's words, or a spec already parsed (the CLI parses first, so that a
    bad request is reported before any progress display starts).
    """
    note = progress or (lambda step, msg: None)
    started = time.perf_counter()
    note("spec", "running")
    spec = request if isinstance(request, AppSpec) else plan_spec(request, blueprint)
    note("spec", "ok")
    app_dir = out if out is not None else _free_dir(apps_home(settings), spec.slug)
    req = AppRequest(uuid.uuid4().hex, spec.request, spec.mode, source)
    hooks = delivery_hooks(store, settings)
    order_id = hooks.create_order(req)
    mission_id = hooks.create_mission(req, order_id)
    hooks.store_memory(req, "spec", f"{spec.name}: {spec.blueprint} blueprint", spec.to_dict())
    note("generate", "running")
    generate_app(spec, app_dir)
    note("generate", "ok")
    verification = verify_app(
        spec, app_dir, wheel_cache(settings), note, settings.get_str("apps.installer")
    )
    repaired_from: str | None = None
    if not verification.ok and spec.mode == "llm":
        fixed = _repair(spec, verification, settings, store)
        if fixed is not None:
            repaired_from = verification.failed_step.name if verification.failed_step else None
            note("repair", "running")
            base = out.parent if out is not None else apps_home(settings)
            spec, app_dir = fixed, _free_dir(base, f"{fixed.slug}-repaired" if out else fixed.slug)
            hooks.store_memory(req, "spec", f"{spec.name}: corrected after verification", spec.to_dict())
            generate_app(spec, app_dir)
            verification = verify_app(
                spec, app_dir, wheel_cache(settings), note, settings.get_str("apps.installer")
            )
            note("repair", "ok" if verification.ok else "failed")
    result = DemoResult(
        req.request_id, spec, app_dir, verification, time.perf_counter() - started, order_id, mission_id,
        repaired_from,
    )
    hooks.record_delivery(req, result.as_dict())
    logger.info("demo-app %s: %s in %.1fs", spec.slug, result.status, result.seconds)
    return result
