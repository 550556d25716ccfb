"""Sales-channel connectors (SKU mappings, held payloads) and notifications.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("sales_channels") as batch:
        batch.add_column(sa.Column("connector", sa.JSON(), nullable=True))
    op.create_table(
        "channel_orders",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("platform_order_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("payment_status", sa.String(length=32), nullable=False),
        sa.Column("raw_body", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("unmapped", sa.JSON(), nullable=False),
        sa.Column("exception_id", BigId, nullable=True),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channel_orders"),
        sa.ForeignKeyConstraint(
            ["channel_code"], ["sales_channels.code"], name="fk_channel_orders_channel_code_sales_channels"
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_channel_orders_order_id_orders"),
        sa.UniqueConstraint(
            "channel_code", "platform_order_id", name="uq_channel_orders_channel_code_platform_order_id"
        ),
        sa.CheckConstraint("state IN ('held', 'placed')", name="ck_channel_orders_state_known"),
    )
    op.create_index(
        "ix_channel_orders_channel_code_state_id", "channel_orders", ["channel_code", "state", "id"]
    )
    op.create_table(
        "channel_sku_mappings",
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("platform_key", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel_code", "platform_key", name="pk_channel_sku_mappings"),
        sa.ForeignKeyConstraint(
            ["channel_code"],
            ["sales_channels.code"],
            name="fk_channel_sku_mappings_channel_code_sales_channels",
        ),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_channel_sku_mappings_sku_products"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("template", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="ck_notifications_status_known"),
    )
    op.create_index("ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_order_id", "notifications", ["order_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_order_id", table_name="notifications")
    op.drop_index("ix_notifications_status_next_attempt_at", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("channel_sku_mappings")
    op.drop_index("ix_channel_orders_channel_code_state_id", table_name="channel_orders")
    op.drop_table("channel_orders")
    with op.batch_alter_table("sales_channels") as batch:
        batch.drop_column("connector")
