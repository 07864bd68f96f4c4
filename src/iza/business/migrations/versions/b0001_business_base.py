"""business base: customers, leads, orders, ledger, subscriptions, Stripe events

Revision ID: b0001
Revises: k0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from iza.kernel.store import UTCDateTime

revision = "b0001"
down_revision = "k0001"
branch_labels = ("business",)
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "biz_customers",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("stripe_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("deleted_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("stripe_id", name="uq_biz_customers_stripe_id"),
    )
    op.create_index("ix_biz_customers_email", "biz_customers", ["email"])
    op.create_table(
        "biz_leads",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("company", sa.String(200), nullable=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("service_slug", sa.String(80), nullable=True),
        sa.Column("value_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("demo_at", UTCDateTime, nullable=True),
        sa.Column("proposal_at", UTCDateTime, nullable=True),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("notes", sa.Text, nullable=True),
    )
    op.create_index("ix_biz_leads_stage", "biz_leads", ["stage"])
    op.create_index("ix_biz_leads_source", "biz_leads", ["source"])
    op.create_table(
        "biz_lead_spend",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.UniqueConstraint("source", "month", "currency", name="uq_biz_lead_spend_source"),
    )
    op.create_table(
        "biz_orders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("customer_id", _BigId, sa.ForeignKey(
            "biz_customers.id", ondelete="SET NULL",
            name="fk_biz_orders_customer_id_biz_customers"), nullable=True),
        sa.Column("service_slug", sa.String(80), nullable=False),
        sa.Column("price_key", sa.String(80), nullable=True),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("mission_id", sa.String(64), nullable=True),
        sa.Column("checkout_session", sa.String(100), nullable=True),
        sa.Column("payment_intent", sa.String(64), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("paid_at", UTCDateTime, nullable=True),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.UniqueConstraint("checkout_session", name="uq_biz_orders_checkout_session"),
    )
    for col in ("customer_id", "service_slug", "status", "mission_id", "payment_intent"):
        op.create_index(f"ix_biz_orders_{col}", "biz_orders", [col])
    op.create_table(
        "biz_ledger",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("subscription_ref", sa.String(64), nullable=True),
        sa.Column("service_slug", sa.String(80), nullable=True),
        sa.Column("charge_ref", sa.String(64), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("description", sa.String(300), nullable=True),
        sa.UniqueConstraint("source_key", name="uq_biz_ledger_source_key"),
    )
    op.create_index("ix_biz_ledger_time", "biz_ledger",
                    ["occurred_at", "currency", "kind", "service_slug", "amount_minor"])
    for col in ("service_slug", "order_id", "charge_ref", "customer_ref"):
        op.create_index(f"ix_biz_ledger_{col}", "biz_ledger", [col])
    op.create_table(
        "biz_ledger_daily",
        sa.Column("day", UTCDateTime, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("service_slug", sa.String(80), primary_key=True),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("entries", sa.Integer, nullable=False),
    )
    op.create_table(
        "biz_subscriptions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("mrr_minor", sa.BigInteger, nullable=False),
        sa.Column("service_slug", sa.String(80), nullable=True),
        sa.Column("price_ref", sa.String(100), nullable=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("cancel_at_period_end", sa.Boolean, nullable=False),
        sa.Column("current_period_end", UTCDateTime, nullable=True),
        sa.Column("trial_end", UTCDateTime, nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("canceled_at", UTCDateTime, nullable=True),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("failed_payments", sa.Integer, nullable=False),
        sa.Column("next_retry_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_biz_subscriptions_customer_ref", "biz_subscriptions", ["customer_ref"])
    op.create_table(
        "biz_mrr_changes",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("mrr_minor", sa.BigInteger, nullable=False),
        sa.Column("service_slug", sa.String(80), nullable=True),
    )
    op.create_index("ix_biz_mrr_changes_subscription_id", "biz_mrr_changes", ["subscription_id"])
    op.create_index("ix_biz_mrr_changes_cust", "biz_mrr_changes", ["customer_ref", "at"])
    op.create_index("ix_biz_mrr_changes_at_id", "biz_mrr_changes", ["at", "id"])
    op.create_table(
        "biz_stripe_events",
        sa.Column("event_id", sa.String(100), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("object_id", sa.String(100), nullable=True),
        sa.Column("event_created", sa.BigInteger, nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
    )
    op.create_table(
        "biz_stripe_objects",
        sa.Column("object_id", sa.String(100), primary_key=True),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("event_created", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    for table in ("biz_stripe_objects", "biz_stripe_events", "biz_mrr_changes",
                  "biz_subscriptions", "biz_ledger_daily", "biz_ledger", "biz_orders",
                  "biz_lead_spend", "biz_leads", "biz_customers"):
        op.drop_table(table)
