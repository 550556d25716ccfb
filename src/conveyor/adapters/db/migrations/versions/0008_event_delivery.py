"""Event delivery: webhook subscriptions, delivery attempts, process deliveries, demand signals.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dispatch_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("position", BigId, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name="pk_dispatch_cursors"),
    )
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", BigId, nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('routed', 'buffered', 'ignored', 'failed')", name="ck_processed_events_outcome_known"
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_processed_events"),
    )
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("failing_since", UtcDateTime(), nullable=True),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", BigId, nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("first_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_response", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'succeeded', 'failed')",
            name="ck_webhook_deliveries_status_known",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["webhook_subscriptions.id"],
            name="fk_webhook_deliveries_subscription_id_webhook_subscriptions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
        sa.UniqueConstraint(
            "subscription_id", "sequence", name="uq_webhook_deliveries_subscription_id_sequence"
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_at",
        "webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_subscription_id_subject_sequence",
        "webhook_deliveries",
        ["subscription_id", "subject", "sequence"],
        unique=False,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name="fk_webhook_attempts_delivery_id_webhook_deliveries",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_attempts"),
        sa.UniqueConstraint("delivery_id", "attempt", name="uq_webhook_attempts_delivery_id_attempt"),
    )
    op.create_table(
        "notification_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("milestone", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('sent', 'requested', 'skipped')", name="ck_notification_requests_status_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_requests"),
        sa.UniqueConstraint("event_id", name="uq_notification_requests_event_id"),
    )
    op.create_table(
        "carrier_manifest_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("carrier_code", sa.String(length=64), nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("manifest_date", sa.Date(), nullable=False),
        sa.Column("shipment_id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("destination_country", sa.String(length=2), nullable=True),
        sa.Column("handed_over_at", UtcDateTime(), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_carrier_manifest_entries"),
        sa.UniqueConstraint("shipment_id", name="uq_carrier_manifest_entries_shipment_id"),
    )
    op.create_index(
        "ix_carrier_manifests_carrier_day_warehouse",
        "carrier_manifest_entries",
        ["carrier_code", "manifest_date", "warehouse_code"],
        unique=False,
    )
    op.create_table(
        "demand_signals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ordered', 'reserved', 'backordered')", name="ck_demand_signals_kind_known"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_demand_signals"),
        sa.UniqueConstraint(
            "event_id",
            "sku",
            "warehouse_code",
            "kind",
            name="uq_demand_signals_event_id_sku_warehouse_code_kind",
        ),
    )
    op.create_index("ix_demand_signals_day_sku", "demand_signals", ["day", "sku"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_demand_signals_day_sku", table_name="demand_signals")
    op.drop_table("demand_signals")
    op.drop_index(
        "ix_carrier_manifests_carrier_day_warehouse",
        table_name="carrier_manifest_entries",
    )
    op.drop_table("carrier_manifest_entries")
    op.drop_table("notification_requests")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_subscription_id_subject_sequence", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_status_next_attempt_at", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("processed_events")
    op.drop_table("dispatch_cursors")
