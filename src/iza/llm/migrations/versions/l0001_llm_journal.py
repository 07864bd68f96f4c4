"""llm: run journal (llm_calls) and budgets (llm_budgets)

Revision ID: l0001
Revises: k0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "l0001"
down_revision = "k0001"
branch_labels = ("llm",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_calls",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("usage_estimated", sa.Boolean, nullable=False),
        sa.Column("cost_nanos", sa.BigInteger, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("agent", sa.String(200), nullable=True),
        sa.Column("mission", sa.String(200), nullable=True),
        sa.Column("order_ref", sa.String(200), nullable=True),
        sa.Column("customer", sa.String(200), nullable=True),
        sa.Column("workflow_run", sa.String(200), nullable=True),
        sa.Column("response", sa.JSON, nullable=True),
    )
    for col in ("created_at", "request_hash", "status", "agent", "mission", "order_ref", "workflow_run"):
        op.create_index(f"ix_llm_calls_{col}", "llm_calls", [col])
    op.create_table(
        "llm_budgets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("limit_nanos", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_llm_budgets_scope_key"),
    )


def downgrade() -> None:
    op.drop_table("llm_budgets")
    for col in ("created_at", "request_hash", "status", "agent", "mission", "order_ref", "workflow_run"):
        op.drop_index(f"ix_llm_calls_{col}", "llm_calls")
    op.drop_table("llm_calls")
