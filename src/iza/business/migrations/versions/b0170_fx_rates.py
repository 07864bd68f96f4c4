"""business: explicit FX rates (biz_fx_rates)

Revision ID: b0170
Revises: b0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "b0170"
down_revision = "b0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "biz_fx_rates",
        sa.Column("base", sa.String(3), nullable=False),
        sa.Column("quote", sa.String(3), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("base", "quote", "day", name="pk_biz_fx_rates"),
    )


def downgrade() -> None:
    op.drop_table("biz_fx_rates")
