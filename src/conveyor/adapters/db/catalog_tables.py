"""The catalog and configuration tables: categories, products, warehouses, channels, carriers.

They live on the same ``metadata`` as ``tables.py`` (migration 0003 creates
them). Codes and SKUs are the primary keys: they are what people type, what
the YAML configuration names, and what every other table refers to, and
they never change (a renamed warehouse is a new warehouse).

Money is stored as an integer count of the currency's minor units next to its
currency code, so it is exact on both databases without relying on SQLite's
decimal handling. A carrier's services (zones, weight bands, transit days)
are read and written whole, so they are one JSON document per carrier.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import UtcDateTime

CODE = 64  # identifiers.py: 1-64 characters

categories = Table(
    "categories",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("attribute_schema", JSON, nullable=False),
    Column("serial_tracked", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("sku", String(CODE), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("category_code", String(CODE), ForeignKey("categories.code"), nullable=False, index=True),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("weight_grams", Integer, nullable=False),
    Column("length_mm", Integer, nullable=False),
    Column("width_mm", Integer, nullable=False),
    Column("height_mm", Integer, nullable=False),
    Column("attributes", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("price_minor >= 0", name="price_not_negative"),
    CheckConstraint("weight_grams > 0", name="weight_positive"),
    CheckConstraint("length_mm > 0 AND width_mm > 0 AND height_mm > 0", name="dimensions_positive"),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address", JSON, nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("capabilities", JSON, nullable=False),
    Column("auto_confirm_picks", Boolean, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="coordinates_valid"
    ),
)

sales_channels = Table(
    "sales_channels",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("process_id", String(128), nullable=False),
    Column("quality_check_threshold_minor", BigInteger, nullable=True),
    Column("allocation_strategy", String(32), nullable=False),
    Column("warehouse_priority", JSON, nullable=False),
    Column("partial_shipments_allowed", Boolean, nullable=False),
    Column("promised_delivery_days", Integer, nullable=True),
    Column("notification_milestones", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("connector", JSON, nullable=True),  # migration 0009: the platform connector's settings
    CheckConstraint(
        "allocation_strategy IN ('nearest_first', 'fewest_shipments', 'priority_list')",
        name="allocation_strategy_known",
    ),
)

carriers = Table(
    "carriers",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    # [{"code", "name", "zones": {dest: zone}, "rates": {zone: [{max_weight_grams, price}]},
    #   "transit_days": {zone: days}, "volumetric_divisor", "currency"}]
    Column("services", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
