"""agents: a mission may deliver an order (agent_missions.order_id)

The LLM journal attributes each call to the order behind the mission, so business margins can
subtract the real model cost of that order.

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_missions") as batch:
        batch.add_column(sa.Column("order_id", sa.String(64), nullable=True))
        batch.create_index("ix_agent_missions_order_id", ["order_id"])


def downgrade() -> None:
    with op.batch_alter_table("agent_missions") as batch:
        batch.drop_index("ix_agent_missions_order_id")
        batch.drop_column("order_id")
