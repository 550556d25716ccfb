"""Order tables: orders and their lines, payments, pick lists, shipments and tracking.

Migration 0003 creates them with the catalog and the inventory so the order
step that drives ``order-fulfillment`` finds its schema in place. Amounts are
integer minor units next to the order's currency (exact on both databases);
addresses and the customer are JSON documents read and written whole.

An order is found again by ``(channel_code, external_id)`` (a channel resends
an order it did not hear back about) or by the caller's ``idempotency_key``;
both are unique, which is what makes ``POST /orders`` idempotent under races.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

orders = Table(
    "orders",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("channel_code", String(64), ForeignKey("sales_channels.code"), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("status", String(32), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("customer", JSON, nullable=False),
    Column("shipping_address", JSON, nullable=False),
    Column("billing_address", JSON, nullable=False),
    Column("subtotal_minor", BigInteger, nullable=False),
    Column("shipping_minor", BigInteger, nullable=False),
    Column("tax_minor", BigInteger, nullable=False),
    Column("discount_minor", BigInteger, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("payment_token", String(200), nullable=True),
    Column("process_instance_id", String(100), nullable=True),
    Column("placed_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("channel_code", "external_id"),
    Index("ix_orders_status_created_at", "status", "created_at"),
    Index("ix_orders_created_at_id", "created_at", "id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", String(100), ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("backordered", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("backordered >= 0 AND backordered <= quantity", name="backordered_within_quantity"),
    Index("ix_order_lines_sku", "sku"),
)

payment_entries = Table(
    "payment_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("transaction_id", String(200), nullable=False),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    CheckConstraint("kind IN ('authorization', 'capture', 'void', 'refund')", name="kind_known"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index("ix_payment_entries_order_id", "order_id"),
)

pick_lists = Table(
    "pick_lists",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("warehouse_code", String(64), ForeignKey("warehouses.code"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    Column("confirmed_by", String(200), nullable=True),
    CheckConstraint("status IN ('open', 'picked', 'short_picked', 'cancelled')", name="status_known"),
    Index("ix_pick_lists_order_id", "order_id"),
    Index("ix_pick_lists_warehouse_code_status", "warehouse_code", "status"),
)

pick_list_lines = Table(
    "pick_list_lines",
    metadata,
    Column("pick_list_id", String(100), ForeignKey("pick_lists.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("bin_location", String(64), nullable=True),
    Column("picked", Integer, nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("picked IS NULL OR (picked >= 0 AND picked <= quantity)", name="picked_within_quantity"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("warehouse_code", String(64), ForeignKey("warehouses.code"), nullable=False),
    Column("pick_list_id", String(100), ForeignKey("pick_lists.id"), nullable=True),
    Column("status", String(24), nullable=False),
    Column("carrier_code", String(64), nullable=True),
    Column("service_code", String(64), nullable=True),
    Column("tracking_number", String(100), nullable=True, unique=True),
    Column("weight_grams", Integer, nullable=True),
    Column("price_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("label_pdf", LargeBinary, nullable=True),
    Column("promised_by", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("handed_over_at", UtcDateTime(), nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    CheckConstraint(
        "status IN ('packed', 'label_created', 'handed_over', 'in_transit', 'out_for_delivery', "
        "'delivered', 'exception')",
        name="status_known",
    ),
    Index("ix_shipments_order_id", "order_id"),
    Index("ix_shipments_status", "status"),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shipment_id", String(100), ForeignKey("shipments.id"), nullable=False),
    Column("type", String(24), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("location", String(200), nullable=False),
    Column("details", JSON, nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    UniqueConstraint("shipment_id", "type", "at"),
    CheckConstraint(
        "type IN ('in_transit', 'out_for_delivery', 'delivered', 'exception')", name="type_known"
    ),
)
