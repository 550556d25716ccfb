"""Catalog, inventory and orders: categories, products, warehouses, channels, carriers,
stock levels with CHECK constraints, the movement ledger, reservations, transfers,
orders and lines, payments, pick lists, shipments and tracking events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "carriers",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_carriers"),
    )
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("attribute_schema", sa.JSON(), nullable=False),
        sa.Column("serial_tracked", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_categories"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'released', 'consumed')", name="ck_reservations_state_known"),
        sa.CheckConstraint("quantity > 0", name="ck_reservations_quantity_positive"),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
    )
    op.create_index("ix_reservations_order_id", "reservations", ["order_id"], unique=False)
    op.create_index(
        "ix_reservations_warehouse_code_sku_state",
        "reservations",
        ["warehouse_code", "sku", "state"],
        unique=False,
    )
    op.create_table(
        "sales_channels",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("process_id", sa.String(length=128), nullable=False),
        sa.Column("quality_check_threshold_minor", sa.BigInteger(), nullable=True),
        sa.Column("allocation_strategy", sa.String(length=32), nullable=False),
        sa.Column("warehouse_priority", sa.JSON(), nullable=False),
        sa.Column("partial_shipments_allowed", sa.Boolean(), nullable=False),
        sa.Column("promised_delivery_days", sa.Integer(), nullable=True),
        sa.Column("notification_milestones", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "allocation_strategy IN ('nearest_first', 'fewest_shipments', 'priority_list')",
            name="ck_sales_channels_allocation_strategy_known",
        ),
        sa.PrimaryKeyConstraint("code", name="pk_sales_channels"),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("reference_type", sa.String(length=16), nullable=False),
        sa.Column("reference_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "type IN ('receipt', 'reservation', 'release', 'pick', 'shipment', 'return', 'adjustment', "
            "'transfer_out', 'transfer_in')",
            name="ck_stock_movements_type_known",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stock_movements"),
    )
    op.create_index("ix_stock_movements_at", "stock_movements", ["at"], unique=False)
    op.create_index(
        "ix_stock_movements_reference_type_reference_id",
        "stock_movements",
        ["reference_type", "reference_id"],
        unique=False,
    )
    op.create_index(
        "ix_stock_movements_warehouse_code_sku_id",
        "stock_movements",
        ["warehouse_code", "sku", "id"],
        unique=False,
    )
    op.create_table(
        "warehouses",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        sa.Column("auto_confirm_picks", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
            name="ck_warehouses_coordinates_valid",
        ),
        sa.PrimaryKeyConstraint("code", name="pk_warehouses"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("channel_code", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("customer", sa.JSON(), nullable=False),
        sa.Column("shipping_address", sa.JSON(), nullable=False),
        sa.Column("billing_address", sa.JSON(), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("shipping_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("payment_token", sa.String(length=200), nullable=True),
        sa.Column("process_instance_id", sa.String(length=100), nullable=True),
        sa.Column("placed_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_code"], ["sales_channels.code"], name="fk_orders_channel_code_sales_channels"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("channel_code", "external_id", name="uq_orders_channel_code_external_id"),
        sa.UniqueConstraint("idempotency_key", name="uq_orders_idempotency_key"),
    )
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"], unique=False)
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at"], unique=False)
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("weight_grams", sa.Integer(), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="ck_products_dimensions_positive"
        ),
        sa.CheckConstraint("price_minor >= 0", name="ck_products_price_not_negative"),
        sa.CheckConstraint("weight_grams > 0", name="ck_products_weight_positive"),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name="fk_products_category_code_categories"
        ),
        sa.PrimaryKeyConstraint("sku", name="pk_products"),
    )
    op.create_index("ix_products_category_code", "products", ["category_code"], unique=False)
    op.create_table(
        "stock_transfers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("from_warehouse", sa.String(length=64), nullable=False),
        sa.Column("to_warehouse", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("from_warehouse <> to_warehouse", name="ck_stock_transfers_different_warehouses"),
        sa.ForeignKeyConstraint(
            ["from_warehouse"], ["warehouses.code"], name="fk_stock_transfers_from_warehouse_warehouses"
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse"], ["warehouses.code"], name="fk_stock_transfers_to_warehouse_warehouses"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stock_transfers"),
    )
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("backordered", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "backordered >= 0 AND backordered <= quantity", name="ck_order_lines_backordered_within_quantity"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_order_lines_quantity_positive"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_lines_order_id_orders"),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_order_lines_sku_products"),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="pk_order_lines"),
    )
    op.create_index("ix_order_lines_sku", "order_lines", ["sku"], unique=False)
    op.create_table(
        "payment_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('authorization', 'capture', 'void', 'refund')", name="ck_payment_entries_kind_known"
        ),
        sa.CheckConstraint("amount_minor > 0", name="ck_payment_entries_amount_positive"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_payment_entries_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_entries"),
        sa.UniqueConstraint("idempotency_key", name="uq_payment_entries_idempotency_key"),
    )
    op.create_index("ix_payment_entries_order_id", "payment_entries", ["order_id"], unique=False)
    op.create_table(
        "pick_lists",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'picked', 'short_picked', 'cancelled')", name="ck_pick_lists_status_known"
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_pick_lists_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["warehouse_code"], ["warehouses.code"], name="fk_pick_lists_warehouse_code_warehouses"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_pick_lists"),
    )
    op.create_index("ix_pick_lists_order_id", "pick_lists", ["order_id"], unique=False)
    op.create_index(
        "ix_pick_lists_warehouse_code_status", "pick_lists", ["warehouse_code", "status"], unique=False
    )
    op.create_table(
        "stock_levels",
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("bin_location", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_levels_on_hand_not_negative"),
        sa.CheckConstraint("reserved <= on_hand", name="ck_stock_levels_reserved_within_on_hand"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_levels_reserved_not_negative"),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_stock_levels_sku_products"),
        sa.ForeignKeyConstraint(
            ["warehouse_code"], ["warehouses.code"], name="fk_stock_levels_warehouse_code_warehouses"
        ),
        sa.PrimaryKeyConstraint("warehouse_code", "sku", name="pk_stock_levels"),
    )
    op.create_index("ix_stock_levels_sku", "stock_levels", ["sku"], unique=False)
    op.create_table(
        "pick_list_lines",
        sa.Column("pick_list_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("bin_location", sa.String(length=64), nullable=True),
        sa.Column("picked", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "picked IS NULL OR (picked >= 0 AND picked <= quantity)",
            name="ck_pick_list_lines_picked_within_quantity",
        ),
        sa.CheckConstraint("quantity > 0", name="ck_pick_list_lines_quantity_positive"),
        sa.ForeignKeyConstraint(
            ["pick_list_id"], ["pick_lists.id"], name="fk_pick_list_lines_pick_list_id_pick_lists"
        ),
        sa.PrimaryKeyConstraint("pick_list_id", "position", name="pk_pick_list_lines"),
    )
    op.create_table(
        "shipments",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("pick_list_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("carrier_code", sa.String(length=64), nullable=True),
        sa.Column("service_code", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("label_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("promised_by", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("handed_over_at", UtcDateTime(), nullable=True),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('packed', 'label_created', 'handed_over', 'in_transit', 'out_for_delivery', "
            "'delivered', 'exception')",
            name="ck_shipments_status_known",
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_shipments_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["pick_list_id"], ["pick_lists.id"], name="fk_shipments_pick_list_id_pick_lists"
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_code"], ["warehouses.code"], name="fk_shipments_warehouse_code_warehouses"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_shipments"),
        sa.UniqueConstraint("tracking_number", name="uq_shipments_tracking_number"),
    )
    op.create_index("ix_shipments_order_id", "shipments", ["order_id"], unique=False)
    op.create_index("ix_shipments_status", "shipments", ["status"], unique=False)
    op.create_table(
        "tracking_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "type IN ('in_transit', 'out_for_delivery', 'delivered', 'exception')",
            name="ck_tracking_events_type_known",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name="fk_tracking_events_shipment_id_shipments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tracking_events"),
        sa.UniqueConstraint("shipment_id", "type", "at", name="uq_tracking_events_shipment_id_type_at"),
    )


def downgrade() -> None:

    op.drop_table("tracking_events")
    op.drop_index("ix_shipments_status", table_name="shipments")
    op.drop_index("ix_shipments_order_id", table_name="shipments")
    op.drop_table("shipments")
    op.drop_table("pick_list_lines")
    op.drop_index("ix_stock_levels_sku", table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_index("ix_pick_lists_warehouse_code_status", table_name="pick_lists")
    op.drop_index("ix_pick_lists_order_id", table_name="pick_lists")
    op.drop_table("pick_lists")
    op.drop_index("ix_payment_entries_order_id", table_name="payment_entries")
    op.drop_table("payment_entries")
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.drop_table("order_lines")
    op.drop_table("stock_transfers")
    op.drop_index("ix_products_category_code", table_name="products")
    op.drop_table("products")
    op.drop_index("ix_orders_status_created_at", table_name="orders")
    op.drop_index("ix_orders_created_at_id", table_name="orders")
    op.drop_table("orders")
    op.drop_table("warehouses")
    op.drop_index("ix_stock_movements_warehouse_code_sku_id", table_name="stock_movements")
    op.drop_index("ix_stock_movements_reference_type_reference_id", table_name="stock_movements")
    op.drop_index("ix_stock_movements_at", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_table("sales_channels")
    op.drop_index("ix_reservations_warehouse_code_sku_state", table_name="reservations")
    op.drop_index("ix_reservations_order_id", table_name="reservations")
    op.drop_table("reservations")
    op.drop_table("categories")
    op.drop_table("carriers")
