"""Running workflow executions on Celery workers (Redis broker) when ``workflows.executor = "celery"``
or ``iza workflows run --queue``.

Only the execution id crosses the broker: the execution is stored first as ``queued`` with its
start task, and the worker runs it with :meth:`WorkflowService.run_stored` — the same code the
in-process path runs — against the store its own settings name (``IZA_HOME``/``IZA_DATABASE_URL``
must point at the same store). A worker that dies mid-run leaves a ``running`` execution that
``iza workflows resume`` continues from its last completed node.

Start a worker with::

    celery -A iza.workflows.celery_app worker -Q iza-workflows
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

__all__ = ["TASK_NAME", "execute", "make_app", "submit"]

logger = logging.getLogger(__name__)

TASK_NAME = "iza.workflows.run_execution"


def _celery() -> Any:
    try:
        import celery
    except ImportError:
        raise MissingDependency("celery", "celery", purpose="the Celery workflow executor") from None
    return celery


def execute(execution_id: int) -> dict[str, Any]:
    """The Celery task body: run one stored execution with this process's settings."""
    from iza.kernel.config import load
    from iza.kernel.store import Store
    from iza.workflows.service import WorkflowService

    settings = load()
    store = Store.from_settings(settings)
    store.ensure_schema()
    result = WorkflowService(store, settings).run_stored(int(execution_id))
    logger.info("workflow execution %s finished on worker %s as %s", execution_id, os.getpid(),
                result.status)
    return {"execution": int(execution_id), "status": result.status, "worker_pid": os.getpid()}


def make_app(settings: Settings) -> Celery:
    celery = _celery()
    url = settings.get_str("celery.broker_url")
    app = celery.Celery("iza-workflows", broker=url, backend=url)
    app.conf.update(
        task_default_queue=settings.get_str("workflows.celery_queue"),
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True,
    )
    app.task(name=TASK_NAME)(execute)
    return app


def submit(settings: Settings, execution_id: int) -> AsyncResult:
    """Queue a stored execution for a worker; the caller may ``.get()`` the result."""
    app = make_app(settings)
    return app.send_task(TASK_NAME, args=[execution_id], queue=settings.get_str("workflows.celery_queue"))
