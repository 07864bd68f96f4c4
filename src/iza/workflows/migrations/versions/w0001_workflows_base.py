"""workflows: definitions, executions and per-node runs

Revision ID: w0001
Revises: k0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "w0001"
down_revision = "k0001"
branch_labels = ("workflows",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_workflows_name", "workflows", ["name"])
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workflow_id", sa.String(64), nullable=True),
        sa.Column("workflow_name", sa.String(300), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("error", sa.JSON, nullable=True),
        sa.Column("last_node", sa.String(300), nullable=True),
        sa.Column("owner_pid", sa.Integer, nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
        sa.Column("wait_till", UTCDateTime, nullable=True),
    )
    op.create_index("ix_workflow_executions_status", "workflow_executions", ["status"])
    op.create_index("ix_workflow_executions_workflow_id", "workflow_executions", ["workflow_id"])
    op.create_table(
        "workflow_node_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id",
            sa.Integer,
            sa.ForeignKey("workflow_executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("node", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("execution_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_workflow_node_runs_execution_id", "workflow_node_runs", ["execution_id"])


def downgrade() -> None:
    op.drop_index("ix_workflow_node_runs_execution_id", "workflow_node_runs")
    op.drop_table("workflow_node_runs")
    op.drop_index("ix_workflow_executions_workflow_id", "workflow_executions")
    op.drop_index("ix_workflow_executions_status", "workflow_executions")
    op.drop_table("workflow_executions")
    op.drop_index("ix_workflows_name", "workflows")
    op.drop_table("workflows")
