"""workflows: the scheduler lease (one firing scheduler per store)

Revision ID: w0002
Revises: w0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workflow_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workflow_leases")
