"""Sales-channel connectors (platform orders, SKU mappings) and notifications.

- ``channel_orders``: one row per platform order a channel delivered
  (``channel_code`` + ``platform_order_id`` is unique, which is what makes a
  re-delivery return the order placed the first time). A payload that could
  not be placed yet (an unmapped SKU) is ``held`` with its raw body and the
  reason; releasing it places the order and the row becomes ``placed``.
- ``channel_sku_mappings``: per channel, a platform key (a platform SKU, or
  ``variant:<id>`` / ``product:<id>``) to one of our SKUs. Without a row the
  platform SKU is taken as ours (identity).
- ``notifications``: every message queued by ``send_notification``, rendered
  when queued; the notification step of the workers sends it after commit,
  with attempts, the last error and the next attempt time.

The channel's connector settings (which mapper, the secret's environment
variable, where status is pushed) are a JSON column on ``sales_channels``
(added by migration 0009): they are part of the channel's configuration.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
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

channel_orders = Table(
    "channel_orders",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("channel_code", String(64), ForeignKey("sales_channels.code"), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("platform_order_id", String(200), nullable=False),
    Column("state", String(16), nullable=False),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=True),
    Column("payment_status", String(32), nullable=False),
    Column("raw_body", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("unmapped", JSON, nullable=False),
    Column("exception_id", BigId, nullable=True),
    Column("deliveries", Integer, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("channel_code", "platform_order_id"),
    CheckConstraint("state IN ('held', 'placed')", name="state_known"),
    Index("ix_channel_orders_channel_code_state_id", "channel_code", "state", "id"),
)

channel_sku_mappings = Table(
    "channel_sku_mappings",
    metadata,
    Column("channel_code", String(64), ForeignKey("sales_channels.code"), primary_key=True),
    Column("platform_key", String(200), primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_type", String(200), nullable=False),
    Column("channel_code", String(64), nullable=False),
    Column("order_id", String(100), nullable=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(998), nullable=False),
    Column("text_body", Text, nullable=False),
    Column("html_body", Text, nullable=True),
    Column("template", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("message_id", String(300), nullable=True),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status_known"),
    Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_notifications_order_id", "order_id"),
)
