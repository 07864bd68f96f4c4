"""Health of the interfaces component: is the web stack installed, is a server listening."""

from __future__ import annotations

import importlib.util
import socket

from iza.kernel.config import Settings
from iza.kernel.registry import Component, Health

__all__ = ["web_component"]


def _health(settings: Settings) -> Health:
    missing = [m for m in ("fastapi", "uvicorn", "jinja2") if importlib.util.find_spec(m) is None]
    if missing:
        return Health.down(f"web packages missing: {', '.join(missing)}; reinstall iza-os")
    host, port = settings.get_str("server.host"), settings.get_int("server.port")
    probe = "127.0.0.1" if host in ("0.0.0.0", "") else host
    try:
        with socket.create_connection((probe, port), timeout=0.3):
            running = True
    except OSError:
        running = False
    where = f"http://{probe}:{port}/"
    if running:
        return Health.ok(f"CLI ready; dashboard listening at {where}")
    return Health.ok(f"CLI ready; dashboard not running (start it with `iza serve`, {where})")


def web_component() -> Component:
    return Component("interfaces", "interfaces", _health, None, "CLI and web dashboard")
