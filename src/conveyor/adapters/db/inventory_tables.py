"""Inventory tables: stock levels, the append-only movement ledger, reservations, transfers.

Stock safety lives in the schema as well as in the code:

- ``stock_levels`` has CHECK constraints ``on_hand >= 0``, ``reserved >= 0`` and
  ``reserved <= on_hand`` on both databases, so even a buggy writer cannot
  oversell; writers change the numbers only with guarded SQL updates
  (``adapters/repositories/stock.py``), never read-modify-write in Python.
- ``stock_movements`` is append-only: nothing updates or deletes a row, and
  the sum of its deltas per warehouse and SKU equals the level at all times
  (``check_ledger_invariant``).
- ``reservations`` remembers which order line holds which units where, so a
  release or a shipment consumes exactly what was reserved.

Reservations refer to orders by id without a foreign key: the inventory
does not depend on how orders are stored, and a transfer may hold stock too.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

MOVEMENT_TYPES = (
    "'receipt', 'reservation', 'release', 'pick', 'shipment', 'return', 'adjustment', "
    "'transfer_out', 'transfer_in'"
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("warehouse_code", String(64), ForeignKey("warehouses.code"), primary_key=True),
    Column("sku", String(64), ForeignKey("products.sku"), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("bin_location", String(64), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    Index("ix_stock_levels_sku", "sku"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("warehouse_code", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("type", String(16), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("on_hand_delta", Integer, nullable=False),
    Column("reserved_delta", Integer, nullable=False),
    Column("reference_type", String(16), nullable=False),
    Column("reference_id", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    CheckConstraint(f"type IN ({MOVEMENT_TYPES})", name="type_known"),
    Index("ix_stock_movements_warehouse_code_sku_id", "warehouse_code", "sku", "id"),
    Index("ix_stock_movements_reference_type_reference_id", "reference_type", "reference_id"),
    Index("ix_stock_movements_at", "at"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(100), nullable=False),
    Column("line_no", Integer, nullable=True),
    Column("warehouse_code", String(64), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("state IN ('open', 'released', 'consumed')", name="state_known"),
    Index("ix_reservations_order_id", "order_id"),
    Index("ix_reservations_warehouse_code_sku_state", "warehouse_code", "sku", "state"),
)

stock_transfers = Table(
    "stock_transfers",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("from_warehouse", String(64), ForeignKey("warehouses.code"), nullable=False),
    Column("to_warehouse", String(64), ForeignKey("warehouses.code"), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("from_warehouse <> to_warehouse", name="different_warehouses"),
)
