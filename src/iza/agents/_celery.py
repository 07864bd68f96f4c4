"""Running missions on Celery workers (Redis broker) when ``executor = "celery"``.

The task is the same function the in-process path calls (:func:`run_mission`), run in the
worker with the worker's own settings (its ``IZA_HOME`` and ``IZA_DATABASE_URL`` must name the
same store). Only the mission id crosses the broker; the store holds everything else, so a
worker that dies mid-mission leaves a mission that ``iza missions resume`` (or another worker)
continues without repeating finished tasks.

Start a worker with::

    celery -A iza.agents.celery_app worker -Q iza-agents
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from iza.errors import MissingDependency
from iza.kernel.config import Settings

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

__all__ = ["TASK_NAME", "make_app", "submit"]

logger = logging.getLogger(__name__)

TASK_NAME = "iza.agents.run_mission"


def _celery() -> Any:
    try:
        import celery
    except ImportError:
        raise MissingDependency("celery", "celery", purpose="the Celery executor") from None
    return celery


def execute(mission_id: str) -> dict[str, Any]:
    """The Celery task body: run one mission with this process's settings."""
    from iza.agents._runner import run_mission
    from iza.agents._workforce import Workforce
    from iza.kernel.config import load
    from iza.kernel.store import Store

    settings = load()
    store = Store.from_settings(settings)
    store.ensure_schema()
    view = run_mission(Workforce.from_settings(settings, store), mission_id)
    logger.info("mission %s finished on worker %s as %s", mission_id, os.getpid(), view["state"])
    return {"mission": mission_id, "state": view["state"], "worker_pid": os.getpid()}


def make_app(settings: Settings) -> Celery:
    celery = _celery()
    url = settings.get_str("celery.broker_url")
    app = celery.Celery("iza", broker=url, backend=url)
    app.conf.update(
        task_default_queue=settings.get_str("agents.celery_queue"),
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
    )
    app.task(name=TASK_NAME)(execute)
    return app


def submit(settings: Settings, mission_id: str) -> AsyncResult:
    """Queue a mission for a worker; the caller may ``.get()`` the result."""
    app = make_app(settings)
    return app.send_task(TASK_NAME, args=[mission_id], queue=settings.get_str("agents.celery_queue"))
