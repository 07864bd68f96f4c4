"""Component registry and health, in the boot order of the original design.

Boot order: kernel → memory → llm (API orchestrator) → agents → workflows → interfaces.
Each component reports :class:`Health` — ``ok``, ``degraded``, ``down`` or ``disabled`` — with a
reason a person can act on. Components are registered by the composition root (``iza._system``),
never imported from here, so the kernel does not depend on the layers above it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from iza.kernel.config import Settings

__all__ = ["BOOT_ORDER", "Check", "Component", "Health", "Registry", "Report", "Status"]

logger = logging.getLogger(__name__)

BOOT_ORDER: tuple[str, ...] = ("kernel", "memory", "llm", "agents", "workflows", "interfaces")


class Status(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Health:
    status: Status
    detail: str
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, detail: str, **metrics: Any) -> Health:
        return cls(Status.OK, detail, metrics)

    @classmethod
    def degraded(cls, detail: str, **metrics: Any) -> Health:
        return cls(Status.DEGRADED, detail, metrics)

    @classmethod
    def down(cls, detail: str) -> Health:
        return cls(Status.DOWN, detail)

    @classmethod
    def disabled(cls, detail: str) -> Health:
        return cls(Status.DISABLED, detail)


@dataclass(frozen=True)
class Check:
    """One line of ``iza doctor``: ``level`` is ``ok``, ``warn`` or ``fail``."""

    name: str
    level: str
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "level": self.level, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class Component:
    """A subsystem as the kernel sees it: where it boots, how it reports health and problems."""

    name: str
    stage: str
    health: Callable[[Settings], Health]
    doctor: Callable[[Settings], list[Check]] | None = None
    title: str = ""


@dataclass(frozen=True)
class Report:
    name: str
    stage: str
    health: Health

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "stage": self.stage,
            "status": self.health.status.value,
            "detail": self.health.detail,
        }
        if self.health.metrics:
            out["metrics"] = self.health.metrics
        return out


class Registry:
    """Components in boot order; ``status()`` asks each for its health."""

    def __init__(self) -> None:
        self._components: dict[str, Component] = {}

    def register(self, component: Component) -> None:
        if component.stage not in BOOT_ORDER:
            raise ValueError(f"unknown boot stage {component.stage!r}; one of {BOOT_ORDER}")
        self._components[component.name] = component

    def components(self) -> list[Component]:
        order = {stage: i for i, stage in enumerate(BOOT_ORDER)}
        return sorted(self._components.values(), key=lambda c: order[c.stage])

    def status(self, settings: Settings) -> list[Report]:
        reports: list[Report] = []
        kernel_down = False
        for comp in self.components():
            if kernel_down and comp.stage != "kernel":
                health = Health.down("the kernel is down; fix it first (`iza doctor`)")
            else:
                health = self._check(comp, settings)
            if comp.stage == "kernel" and health.status is Status.DOWN:
                kernel_down = True
            reports.append(Report(comp.name, comp.stage, health))
        return reports

    def doctor(self, settings: Settings) -> list[Check]:
        checks: list[Check] = []
        for comp in self.components():
            if comp.doctor is None:
                continue
            try:
                checks.extend(comp.doctor(settings))
            except Exception as exc:  # a broken check is itself a finding, not a crash
                logger.exception("doctor check of %s failed", comp.name)
                checks.append(Check(comp.name, "fail", f"the check itself failed: {exc}"))
        return checks

    @staticmethod
    def _check(comp: Component, settings: Settings) -> Health:
        try:
            return comp.health(settings)
        except Exception as exc:  # health must report, never raise
            logger.exception("health check of %s failed", comp.name)
            return Health.down(f"{type(exc).__name__}: {exc}")
