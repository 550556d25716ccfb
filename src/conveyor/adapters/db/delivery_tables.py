"""Event delivery: webhook subscriptions, deliveries and attempts, dispatcher cursors,
processed events, and what the bundled event-started processes record
(customer notification requests, carrier manifests, demand signals).

- ``dispatch_cursors``: one row per consumer (``processes``, ``webhook:<id>``):
  the last outbox ``sequence`` it has taken in. Created on first use.
- ``webhook_subscriptions.channels``: NULL, or the sales channel codes whose
  events the subscription receives (a channel's push subscription).
- ``webhook_deliveries``: one row per (subscription, event); ``status`` is
  ``pending`` (due at ``next_attempt_at``), ``delivering`` (claimed by a
  worker until ``locked_until``), ``succeeded`` or ``failed`` (retry period
  over; the last response is kept). ``webhook_attempts`` logs every try.
- ``processed_events``: an event a consumer has handled (exactly once per
  event and consumer: the primary key refuses a second row).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

dispatch_cursors = Table(
    "dispatch_cursors",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("position", BigId, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("sequence", BigId, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("detail", Text, nullable=True),
    Column("processed_at", UtcDateTime(), nullable=False),
    CheckConstraint("outcome IN ('routed', 'buffered', 'ignored', 'failed')", name="outcome_known"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    # sales channel codes whose events the subscription receives; NULL: every event (channel or none)
    Column("channels", JSON, nullable=True),
    Column("secret", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", String(500), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("failing_since", UtcDateTime(), nullable=True),
    Column("disabled_at", UtcDateTime(), nullable=True),
    Column("disabled_reason", Text, nullable=True),
    Column("deleted_at", UtcDateTime(), nullable=True),
)

DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "failed")

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("webhook_subscriptions.id"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("sequence", BigId, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("first_attempt_at", UtcDateTime(), nullable=True),
    Column("locked_by", String(200), nullable=True),
    Column("locked_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_response", Text, nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("subscription_id", "sequence"),
    CheckConstraint("status IN ('pending', 'delivering', 'succeeded', 'failed')", name="status_known"),
    Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_subscription_id_subject_sequence", "subscription_id", "subject", "sequence"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, ForeignKey("webhook_deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("succeeded", Boolean, nullable=False),
    Column("worker", String(200), nullable=True),
    UniqueConstraint("delivery_id", "attempt"),
)

notification_requests = Table(
    "notification_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(100), nullable=False),
    Column("milestone", String(32), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("channel_code", String(64), nullable=False),
    Column("recipient", String(320), nullable=True),
    Column("status", String(20), nullable=False),
    Column("notification_id", Integer, nullable=True),
    Column("context", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("event_id"),
    CheckConstraint("status IN ('sent', 'requested', 'skipped')", name="status_known"),
)

carrier_manifest_entries = Table(
    "carrier_manifest_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("carrier_code", String(64), nullable=False),
    Column("warehouse_code", String(64), nullable=False),
    Column("manifest_date", Date, nullable=False),
    Column("shipment_id", String(100), nullable=False),
    Column("order_id", String(100), nullable=False),
    Column("tracking_number", String(100), nullable=True),
    Column("service", String(64), nullable=True),
    Column("parcels", Integer, nullable=False),
    Column("weight_grams", Integer, nullable=True),
    Column("destination_country", String(2), nullable=True),
    Column("handed_over_at", UtcDateTime(), nullable=False),
    Column("event_id", String(36), nullable=False),
    UniqueConstraint("shipment_id"),
    Index(
        "ix_carrier_manifests_carrier_day_warehouse",
        "carrier_code",
        "manifest_date",
        "warehouse_code",
    ),
)

demand_signals = Table(
    "demand_signals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("sku", String(64), nullable=False),
    # '' for demand not yet tied to a warehouse (an order placed, before allocation)
    Column("warehouse_code", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("order_id", String(100), nullable=True),
    Column("event_id", String(36), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    UniqueConstraint("event_id", "sku", "warehouse_code", "kind"),
    CheckConstraint("kind IN ('ordered', 'reserved', 'backordered')", name="kind_known"),
    Index("ix_demand_signals_day_sku", "day", "sku"),
)

__all__ = [
    "DELIVERY_STATUSES",
    "carrier_manifest_entries",
    "demand_signals",
    "dispatch_cursors",
    "metadata",
    "notification_requests",
    "processed_events",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
]
