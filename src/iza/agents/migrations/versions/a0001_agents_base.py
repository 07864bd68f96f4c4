"""agents base: missions, task tree, assignments, spans, journal, default memory and mailboxes

Revision ID: a0001
Revises: k0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "a0001"
down_revision = "k0001"
branch_labels = ("agents",)
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "agent_missions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("strategist_id", sa.String(64), nullable=False),
        sa.Column("match_reason", sa.Text, nullable=False),
        sa.Column("limits", sa.JSON, nullable=False),
        sa.Column("workspace", sa.Text, nullable=False),
        sa.Column("result", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("cost_micros", _BIGINT, nullable=False),
        sa.Column("tokens_in", _BIGINT, nullable=False),
        sa.Column("tokens_out", _BIGINT, nullable=False),
        sa.Column("runner_pid", sa.Integer, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_agent_missions_state", "agent_missions", ["state"])
    op.create_index("ix_agent_missions_created_at", "agent_missions", ["created_at"])
    op.create_table(
        "agent_tasks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("mission_id", sa.String(32),
                  sa.ForeignKey("agent_missions.id", ondelete="CASCADE",
                                name="fk_agent_tasks_mission_id_agent_missions"), nullable=False),
        sa.Column("parent_id", sa.String(40), nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("skill", sa.String(64), nullable=True),
        sa.Column("tool", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("outputs", sa.JSON, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("approval", sa.Text, nullable=True),
        sa.Column("cost_micros", _BIGINT, nullable=False),
        sa.Column("tokens_in", _BIGINT, nullable=False),
        sa.Column("tokens_out", _BIGINT, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_agent_tasks_mission_id", "agent_tasks", ["mission_id"])
    op.create_index("ix_agent_tasks_agent_id", "agent_tasks", ["agent_id"])
    op.create_index("ix_agent_tasks_state", "agent_tasks", ["state"])
    op.create_table(
        "agent_assignments",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("mission_id", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_assignments_mission_id", "agent_assignments", ["mission_id"])
    op.create_index("ix_agent_assignments_task_id", "agent_assignments", ["task_id"])
    op.create_table(
        "agent_spans",
        sa.Column("id", _BIGINT, primary_key=True, autoincrement=True),
        sa.Column("mission_id", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("parent_span_id", sa.String(16), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_spans_mission_id", "agent_spans", ["mission_id"])
    op.create_table(
        "agent_journal",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("mission_id", sa.String(32), nullable=False),
        sa.Column("response", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_journal_mission_id", "agent_journal", ["mission_id"])
    op.create_table(
        "agent_memory",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("namespace", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("mission_id", sa.String(32), nullable=True),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_memory_namespace", "agent_memory", ["namespace"])
    op.create_table(
        "agent_mail",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("mission_id", sa.String(32), nullable=True),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_agent_mail_recipient", "agent_mail", ["recipient"])


def downgrade() -> None:
    for table in ("agent_mail", "agent_memory", "agent_journal", "agent_spans",
                  "agent_assignments", "agent_tasks", "agent_missions"):
        op.drop_table(table)
