"""Tables of the workforce: missions, their task tree, assignments, spans, the model-call
journal, and the default memory (results with provenance, mailboxes).

Money is integer USD millionths (``*_micros``), time is UTC. Ids are short random strings so
they can be typed on the command line. The journal keys each model call by task and turn, so a
resumed mission replays answers instead of paying for them twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from iza.kernel.store import Base, UTCDateTime, utcnow

__all__ = [
    "AssignmentRow",
    "JournalRow",
    "MailRow",
    "MemoryRow",
    "MissionRow",
    "SpanRow",
    "TaskRow",
]

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


class MissionRow(Base):
    __tablename__ = "agent_missions"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    request: Mapped[str] = mapped_column(sa.Text)
    service_id: Mapped[str] = mapped_column(sa.String(64))
    mode: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(32), index=True)
    strategist_id: Mapped[str] = mapped_column(sa.String(64))
    match_reason: Mapped[str] = mapped_column(sa.Text, default="")
    limits: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    workspace: Mapped[str] = mapped_column(sa.Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    cost_micros: Mapped[int] = mapped_column(_BIGINT, default=0)
    tokens_in: Mapped[int] = mapped_column(_BIGINT, default=0)
    tokens_out: Mapped[int] = mapped_column(_BIGINT, default=0)
    runner_pid: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the business order this mission delivers, if any (the LLM journal is tagged with it)
    order_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)


class TaskRow(Base):
    __tablename__ = "agent_tasks"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    mission_id: Mapped[str] = mapped_column(sa.ForeignKey("agent_missions.id", ondelete="CASCADE"),
                                            index=True)
    parent_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    depth: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(16))
    tier: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.Text)
    skill: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    tool: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    state: Mapped[str] = mapped_column(sa.String(24), index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    approval: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    cost_micros: Mapped[int] = mapped_column(_BIGINT, default=0)
    tokens_in: Mapped[int] = mapped_column(_BIGINT, default=0)
    tokens_out: Mapped[int] = mapped_column(_BIGINT, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AssignmentRow(Base):
    """Why a task went to an agent: the score parts and a sentence."""

    __tablename__ = "agent_assignments"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    mission_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    agent_id: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text)
    scores: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpanRow(Base):
    """One timed step of a mission (agent turn, tool call, model call) for the trace."""

    __tablename__ = "agent_spans"

    id: Mapped[int] = mapped_column(_BIGINT, primary_key=True, autoincrement=True)
    mission_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    task_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    span_id: Mapped[str] = mapped_column(sa.String(16))
    parent_span_id: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.Text)
    agent_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    attributes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JournalRow(Base):
    """A model answer, keyed by task and turn: replayed on resume instead of asked again."""

    __tablename__ = "agent_journal"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    mission_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    response: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemoryRow(Base):
    __tablename__ = "agent_memory"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    namespace: Mapped[str] = mapped_column(sa.String(120), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    mission_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    task_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailRow(Base):
    __tablename__ = "agent_mail"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    sender: Mapped[str] = mapped_column(sa.String(64))
    recipient: Mapped[str] = mapped_column(sa.String(64), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    mission_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    task_id: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
