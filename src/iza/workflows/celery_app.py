"""The Celery application for ``celery -A iza.workflows.celery_app worker -Q iza-workflows``
(settings from the worker's environment: ``IZA_HOME``, ``IZA_DATABASE_URL``,
``IZA_CELERY_BROKER_URL``, ``IZA_WORKFLOWS_CELERY_QUEUE``)."""

from __future__ import annotations

import importlib

from iza.kernel.config import load
from iza.workflows._celery import make_app

__all__ = ["app"]

app = make_app(load())

# A worker process is a composition root of its own, like the CLI and the web app: it plugs in the
# node types of the layers above the engine (business nodes, the agent-mission runner). It does so by
# name, so this module's static imports keep pointing down the layers (tests/test_layers.py).
importlib.import_module("iza._system").wire_workflow_nodes()
