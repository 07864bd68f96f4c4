"""The composition root: which components this build of IZA OS has, in boot order.

Only the interfaces (``iza.cli``, ``iza.web``) import this module. A subsystem joins by adding
one line to ``_COMPONENTS``: the module path of a zero-argument factory that returns its
:class:`~iza.kernel.registry.Component`. Factories are imported when the registry is built, so
``iza --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from iza.kernel.config import Settings
from iza.kernel.registry import BOOT_ORDER, Component, Health, Registry

__all__ = ["build_registry"]

logger = logging.getLogger(__name__)

#: (name, boot stage, "module:factory")
_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("kernel", "kernel", "iza.kernel.health:kernel_component"),
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
