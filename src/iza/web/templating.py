"""The Jinja2 environment shared by every page (subsystem pages render through it too)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from iza import __version__
from iza.web import _mounts

__all__ = ["templates"]

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["nav"] = _mounts.NAV
templates.env.globals["version"] = __version__
