"""The Celery application for ``celery -A iza.agents.celery_app worker`` (settings from the
worker's environment: ``IZA_HOME``, ``IZA_DATABASE_URL``, ``IZA_CELERY_BROKER_URL``)."""

from __future__ import annotations

from iza.agents._celery import make_app
from iza.kernel.config import load

__all__ = ["app"]

app = make_app(load())
