"""Categories, products, warehouses, channels and carriers in and out of their tables.

Rows become the domain's objects (``Category``, ``Product``, ``Warehouse``,
``SalesChannel``, ``Carrier``), so what the configuration service compares,
exports and validates is the same thing the document parser produces.
``save_*`` inserts or replaces a whole entry by its code; nothing is ever
deleted except a category no product refers to (the others are deactivated:
stock, orders and the ledger keep pointing at them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.catalog_tables import carriers, categories, products, sales_channels, warehouses
from conveyor.adapters.db.workflow_tables import process_definitions
from conveyor.domain.addresses import Address
from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.carriers import Carrier
from conveyor.domain.catalog import Category, Product
from conveyor.domain.channel_mappers.connector import ChannelConnector, connector_to_mapping, read_connector
from conveyor.domain.channels import SalesChannel
from conveyor.domain.config_export import service_to_mapping
from conveyor.domain.config_sections import read_carrier
from conveyor.domain.errors import InvalidCarrier, InvalidChannel
from conveyor.domain.geo import Coordinates
from conveyor.domain.money import Money
from conveyor.domain.order_status import OrderStatus
from conveyor.domain.problems import Problems
from conveyor.domain.warehouse import Warehouse

Mapped = Mapping[Any, Any]


def _category(m: Mapped) -> Category:
    return Category(m["code"], m["name"], dict(m["attribute_schema"]), bool(m["serial_tracked"]))


def _product(m: Mapped) -> Product:
    return Product(
        sku=m["sku"], name=m["name"], category=m["category_code"],
        price=Money.from_minor(m["price_minor"], m["currency"]), weight_grams=m["weight_grams"],
        dimensions_mm=(m["length_mm"], m["width_mm"], m["height_mm"]),
        attributes=dict(m["attributes"]), active=bool(m["active"]),
    )  # fmt: skip


def _warehouse(m: Mapped) -> Warehouse:
    return Warehouse(
        code=m["code"], name=m["name"], address=Address.from_mapping(m["address"]),
        coordinates=Coordinates(m["latitude"], m["longitude"]), active=bool(m["active"]),
        capabilities=frozenset(m["capabilities"]), auto_confirm_picks=bool(m["auto_confirm_picks"]),
        priority=m["priority"],
    )  # fmt: skip


def _channel(m: Mapped) -> SalesChannel:
    threshold = m["quality_check_threshold_minor"]
    return SalesChannel(
        code=m["code"], name=m["name"], currency=m["currency"], process_id=m["process_id"],
        quality_check_threshold=None if threshold is None else Money.from_minor(threshold, m["currency"]),
        allocation_strategy=AllocationStrategy(m["allocation_strategy"]),
        warehouse_priority=tuple(m["warehouse_priority"]),
        partial_shipments_allowed=bool(m["partial_shipments_allowed"]),
        promised_delivery_days=m["promised_delivery_days"],
        notification_milestones=frozenset(OrderStatus(s) for s in m["notification_milestones"]),
        active=bool(m["active"]), connector=_connector(m["code"], m["connector"]),
    )  # fmt: skip


def _connector(code: str, stored: Any) -> ChannelConnector | None:
    problems = Problems()
    connector = read_connector(stored, ("channels", code, "connector"), problems)
    problems.raise_if_any(InvalidChannel, f"The stored connector of channel {code!r} is not valid")
    return connector


def _carrier(m: Mapped) -> Carrier:
    problems = Problems()
    data = {"code": m["code"], "name": m["name"], "active": bool(m["active"]), "services": m["services"]}
    carrier = read_carrier(data, ("carriers", m["code"]), problems, None)
    problems.raise_if_any(InvalidCarrier, f"The stored carrier {m['code']!r} is not valid")
    assert carrier is not None
    return carrier


class SqlConfiguration:
    """The configuration tables of one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # --- reading --------------------------------------------------------------------

    def _rows(self, table: Table, key: str, code: str | None = None) -> list[Mapped]:
        query = select(table).order_by(table.c[key])
        if code is not None:
            query = query.where(table.c[key] == code)
        return [row._mapping for row in self._session.execute(query)]

    def categories(self) -> list[Category]:
        return [_category(m) for m in self._rows(categories, "code")]

    def products(self, *, category: str | None = None, active: bool | None = None) -> list[Product]:
        query = select(products).order_by(products.c.sku)
        if category is not None:
            query = query.where(products.c.category_code == category)
        if active is not None:
            query = query.where(products.c.active == active)
        return [_product(row._mapping) for row in self._session.execute(query)]

    def warehouses(self) -> list[Warehouse]:
        return [_warehouse(m) for m in self._rows(warehouses, "code")]

    def channels(self) -> list[SalesChannel]:
        return [_channel(m) for m in self._rows(sales_channels, "code")]

    def carriers(self) -> list[Carrier]:
        return [_carrier(m) for m in self._rows(carriers, "code")]

    def category(self, code: str) -> Category | None:
        found = self._rows(categories, "code", code)
        return _category(found[0]) if found else None

    def product(self, sku: str) -> Product | None:
        found = self._rows(products, "sku", sku)
        return _product(found[0]) if found else None

    def warehouse(self, code: str) -> Warehouse | None:
        found = self._rows(warehouses, "code", code)
        return _warehouse(found[0]) if found else None

    def channel(self, code: str) -> SalesChannel | None:
        found = self._rows(sales_channels, "code", code)
        return _channel(found[0]) if found else None

    def carrier(self, code: str) -> Carrier | None:
        found = self._rows(carriers, "code", code)
        return _carrier(found[0]) if found else None

    def active_warehouse_sites(self) -> list[tuple[str, Coordinates, int]]:
        """(code, coordinates, priority) of every active warehouse: what allocation needs, cheaply."""
        return [
            (row.code, Coordinates(row.latitude, row.longitude), row.priority)
            for row in self._session.connection().execute(_ACTIVE_SITES)
        ]

    def deployed_process_keys(self) -> set[str] | None:
        """The ids of the deployed BPMN processes, or None when none is deployed yet."""
        query = select(process_definitions.c.key).where(process_definitions.c.kind == "bpmn").distinct()
        keys = set(self._session.execute(query).scalars())
        return keys or None

    def known_skus(self, skus: list[str]) -> set[str]:
        query = select(products.c.sku).where(products.c.sku.in_(skus))
        return set(self._session.execute(query).scalars())

    def products_in_category(self, code: str) -> int:
        query = select(func.count()).select_from(products).where(products.c.category_code == code)
        return int(self._session.execute(query).scalar_one())

    # --- writing (whole entries, by code) -----------------------------------------------

    def _save(self, table: Table, key: str, values: dict[str, Any]) -> None:
        column = table.c[key]
        result = self._session.execute(update(table).where(column == values[key]).values(**values))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            self._session.execute(insert(table).values(**values))

    def save_category(self, category: Category, at: datetime) -> None:
        self._save(categories, "code", {
            "code": category.code, "name": category.name, "attribute_schema": dict(category.attribute_schema),
            "serial_tracked": category.serial_tracked, "updated_at": at,
        })  # fmt: skip

    def save_product(self, product: Product, at: datetime) -> None:
        length, width, height = product.dimensions_mm
        self._save(products, "sku", {
            "sku": product.sku, "name": product.name, "category_code": product.category,
            "price_minor": product.price.minor_units, "currency": product.price.currency,
            "weight_grams": product.weight_grams, "length_mm": length, "width_mm": width,
            "height_mm": height, "attributes": dict(product.attributes), "active": product.active,
            "updated_at": at,
        })  # fmt: skip

    def save_warehouse(self, warehouse: Warehouse, at: datetime) -> None:
        address = warehouse.address.as_mapping()
        address.pop("coordinates", None)
        self._save(warehouses, "code", {
            "code": warehouse.code, "name": warehouse.name, "address": address,
            "latitude": warehouse.coordinates.lat, "longitude": warehouse.coordinates.lon,
            "active": warehouse.active, "capabilities": sorted(warehouse.capabilities),
            "auto_confirm_picks": warehouse.auto_confirm_picks, "priority": warehouse.priority,
            "updated_at": at,
        })  # fmt: skip

    def save_channel(self, channel: SalesChannel, at: datetime) -> None:
        threshold = channel.quality_check_threshold
        self._save(sales_channels, "code", {
            "code": channel.code, "name": channel.name, "currency": channel.currency,
            "process_id": channel.process_id,
            "quality_check_threshold_minor": None if threshold is None else threshold.minor_units,
            "allocation_strategy": channel.allocation_strategy.value,
            "warehouse_priority": list(channel.warehouse_priority),
            "partial_shipments_allowed": channel.partial_shipments_allowed,
            "promised_delivery_days": channel.promised_delivery_days,
            "notification_milestones": sorted(s.value for s in channel.notification_milestones),
            "active": channel.active, "updated_at": at,
            "connector": None if channel.connector is None else connector_to_mapping(channel.connector),
        })  # fmt: skip

    def save_carrier(self, carrier: Carrier, at: datetime) -> None:
        self._save(carriers, "code", {
            "code": carrier.code, "name": carrier.name, "active": carrier.active,
            "services": [service_to_mapping(s) for s in carrier.services], "updated_at": at,
        })  # fmt: skip

    def delete_category(self, code: str) -> None:
        self._session.execute(delete(categories).where(categories.c.code == code))

    def deactivate(self, section: str, code: str, at: datetime) -> None:
        """Switch off a product, warehouse, channel or carrier (rows others refer to stay)."""
        table, key = _ACTIVE_TABLES[section]
        self._session.execute(update(table).where(table.c[key] == code).values(active=False, updated_at=at))


_ACTIVE_SITES = (
    select(warehouses.c.code, warehouses.c.latitude, warehouses.c.longitude, warehouses.c.priority)
    .where(warehouses.c.active.is_(True))
    .order_by(warehouses.c.code)
)

_ACTIVE_TABLES: dict[str, tuple[Table, str]] = {
    "products": (products, "sku"),
    "warehouses": (warehouses, "code"),
    "channels": (sales_channels, "code"),
    "carriers": (carriers, "code"),
}
