"""The workflow tables: definitions, executions (with their resumable state) and node runs.

An execution row holds a copy of the definition it ran (so editing a workflow never changes
history) and the engine's scheduling state after the last completed node; node runs are
append-only, one row per node run, written in the same transaction as that state.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from iza.kernel.store import Base, UTCDateTime, utcnow

__all__ = ["ExecutionRow", "LeaseRow", "NodeRunRow", "WorkflowRow", "bump_generation", "generation"]


class WorkflowRow(Base):
    __tablename__ = "workflows"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    source: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaseRow(Base):
    """A named lease: only its holder acts until it expires (the scheduler's, see ``_lease``)."""

    __tablename__ = "workflow_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExecutionRow(Base):
    __tablename__ = "workflow_executions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    workflow_name: Mapped[str] = mapped_column(sa.String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    mode: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    last_node: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    owner_pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    wait_till: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NodeRunRow(Base):
    __tablename__ = "workflow_node_runs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("workflow_executions.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer)
    node: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[str] = mapped_column(sa.String(20))
    execution_ms: Mapped[int] = mapped_column(sa.Integer, default=0)
    run: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- change generation ----------------------------------------------------------------------------
# Bumped by this process whenever it imports, activates or deactivates a workflow, so caches of the
# active workflows (``_dispatch.ActiveWorkflows``) see this process's own changes at once; changes
# made by other processes reach them when their time-to-live runs out.
_generations: dict[str, int] = {}
_gen_lock = threading.Lock()


def bump_generation(store_url: str) -> None:
    with _gen_lock:
        _generations[store_url] = _generations.get(store_url, 0) + 1


def generation(store_url: str) -> int:
    return _generations.get(store_url, 0)
