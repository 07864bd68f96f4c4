"""The Celery application for ``celery -A iza.workflows.celery_app worker -Q iza-workflows``
(settings from the worker's environment: ``IZA_HOME``, ``IZA_DATABASE_URL``,
``IZA_CELERY_BROKER_URL``, ``IZA_WORKFLOWS_CELERY_QUEUE``)."""

from __future__ import annotations

from iza.kernel.config import load
from iza.workflows._celery import make_app

__all__ = ["app"]

app = make_app(load())
