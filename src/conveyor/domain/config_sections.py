"""Readers for each section of the configuration document: one entry -> one domain object.

Each reader records every problem of its entry under the entry's path
(``warehouses[2].coordinates.lat``) and returns None when the entry is
broken. References *between* sections (a product's category, a channel's
warehouses) are checked by ``conveyor.domain.config_document``.
"""

from __future__ import annotations

from typing import Any

from conveyor.domain.addresses import Address
from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.carriers import Carrier, CarrierService, WeightBand
from conveyor.domain.catalog import Category, Product
from conveyor.domain.channel_mappers.connector import read_connector
from conveyor.domain.channels import DEFAULT_PROCESS_ID, SalesChannel
from conveyor.domain.config_reading import Entry, read_money
from conveyor.domain.currencies import MINOR_UNITS
from conveyor.domain.errors import InvalidAddress, InvalidCoordinates
from conveyor.domain.geo import Coordinates
from conveyor.domain.order_status import OrderStatus
from conveyor.domain.problems import PathPart, Problems, did_you_mean, problems_of
from conveyor.domain.warehouse import Warehouse

Loc = tuple[PathPart, ...]

CATEGORY_FIELDS = frozenset({"code", "name", "attribute_schema", "serial_tracked"})
PRODUCT_FIELDS = frozenset(
    {"sku", "name", "category", "price", "currency", "weight_grams", "dimensions_mm", "attributes", "active"}
)
WAREHOUSE_FIELDS = frozenset(
    {"code", "name", "address", "coordinates", "active", "capabilities", "auto_confirm_picks", "priority"}
)
CHANNEL_FIELDS = frozenset({
    "code", "name", "currency", "process", "quality_check_threshold", "allocation_strategy",
    "warehouse_priority", "partial_shipments", "promised_delivery_days", "notification_milestones", "active",
    "connector",
})  # fmt: skip
CARRIER_FIELDS = frozenset({"code", "name", "services", "active"})
SERVICE_FIELDS = frozenset(
    {"code", "name", "currency", "zones", "rates", "transit_days", "volumetric_divisor"}
)
BAND_FIELDS = frozenset({"max_weight_grams", "price"})


def _currency(entry: Entry, default: str | None) -> str | None:
    if not entry.has("currency"):
        if default is None:
            entry.add("currency", "is required (or set a document-wide 'currency')")
        return default
    currency = entry.text("currency")
    if currency not in MINOR_UNITS:
        entry.add("currency", f"unknown currency {currency!r}: use an ISO 4217 code such as 'EUR'")
        return None
    return currency


def read_category(data: Any, loc: Loc, problems: Problems) -> Category | None:
    entry = Entry(data, loc, problems, CATEGORY_FIELDS)
    code, name = entry.text("code"), entry.text("name")
    schema = entry.mapping("attribute_schema")
    serial = entry.boolean("serial_tracked", False)
    return entry.build(lambda: Category(code, name, dict(schema), serial))


def read_product(data: Any, loc: Loc, problems: Problems, currency: str | None) -> Product | None:
    entry = Entry(data, loc, problems, PRODUCT_FIELDS)
    sku, name, category = entry.text("sku"), entry.text("name"), entry.text("category")
    price = entry.money("price", _currency(entry, currency))
    weight = entry.integer("weight_grams", minimum=1)
    dims = entry.items("dimensions_mm", required=True)
    if entry.has("dimensions_mm") and len(dims) != 3:
        entry.add("dimensions_mm", f"must be [length, width, height] in millimetres, got {dims!r}")
    attributes = entry.mapping("attributes")
    active = entry.boolean("active", True)
    if price is None or weight is None:
        return None
    size = (dims[0], dims[1], dims[2]) if len(dims) == 3 else (0, 0, 0)
    return entry.build(lambda: Product(sku, name, category, price, weight, size, dict(attributes), active))


def read_coordinates(entry: Entry, key: str, *, required: bool) -> Coordinates | None:
    raw = entry.mapping(key, required=required)
    if not raw:
        return None
    extra = set(raw) - {"lat", "lon"}
    if extra:
        entry.add(key, f"has unknown fields {sorted(extra)}: write {{lat: ..., lon: ...}}")
    try:
        return Coordinates(raw.get("lat"), raw.get("lon"))  # type: ignore[arg-type]
    except InvalidCoordinates as err:
        entry.problems.extend(problems_of(err), *entry.loc, key)
        return None


def read_warehouse(data: Any, loc: Loc, problems: Problems) -> Warehouse | None:
    entry = Entry(data, loc, problems, WAREHOUSE_FIELDS)
    code, name = entry.text("code"), entry.text("name")
    raw_address = dict(entry.mapping("address", required=True))
    address: Address | None = None
    if raw_address:
        raw_address.setdefault("name", name)
        try:
            address = Address.from_mapping(raw_address)
        except InvalidAddress as err:
            problems.extend(problems_of(err), *loc, "address")
    coordinates = read_coordinates(entry, "coordinates", required=True)
    active = entry.boolean("active", True)
    capabilities = entry.items("capabilities")
    auto_confirm = entry.boolean("auto_confirm_picks", False)
    priority = entry.integer("priority", default=100, minimum=0)
    if address is None or coordinates is None or priority is None:
        return None
    tags = frozenset(str(tag) for tag in capabilities)
    return entry.build(
        lambda: Warehouse(code, name, address, coordinates, active, tags, auto_confirm, priority)
    )


def read_channel(data: Any, loc: Loc, problems: Problems, currency: str | None) -> SalesChannel | None:
    entry = Entry(data, loc, problems, CHANNEL_FIELDS)
    code, name = entry.text("code"), entry.text("name")
    channel_currency = _currency(entry, currency)
    process = entry.text("process", required=False, default=DEFAULT_PROCESS_ID)
    threshold = entry.money("quality_check_threshold", channel_currency, required=False)
    raw_strategy = entry.text("allocation_strategy", required=False, default=AllocationStrategy.NEAREST_FIRST)
    strategies = [s.value for s in AllocationStrategy]
    if raw_strategy not in strategies:
        entry.add("allocation_strategy", f"must be one of {strategies}, got {raw_strategy!r}"
                  f"{did_you_mean(raw_strategy, strategies)}")  # fmt: skip
    priority = [str(code) for code in entry.items("warehouse_priority")]
    partial = entry.boolean("partial_shipments", True)
    days = entry.optional_integer("promised_delivery_days", minimum=1)
    milestones: list[OrderStatus] = []
    statuses = [s.value for s in OrderStatus]
    for index, raw in enumerate(entry.items("notification_milestones")):
        if raw in statuses:
            milestones.append(OrderStatus(raw))
        else:
            entry.add(("notification_milestones", index),
                      f"unknown order status {raw!r}{did_you_mean(str(raw), statuses)}")  # fmt: skip
    active = entry.boolean("active", True)
    connector = read_connector(entry.data.get("connector"), (*loc, "connector"), problems)
    if channel_currency is None:
        return None
    return entry.build(lambda: SalesChannel(
        code, name, channel_currency, process, threshold, AllocationStrategy(raw_strategy), tuple(priority),
        partial, days, frozenset(milestones), active, connector,
    ))  # fmt: skip


def read_carrier(data: Any, loc: Loc, problems: Problems, currency: str | None) -> Carrier | None:
    entry = Entry(data, loc, problems, CARRIER_FIELDS)
    code, name = entry.text("code"), entry.text("name")
    services = [
        read_service(raw, (*loc, "services", index), problems, currency)
        for index, raw in enumerate(entry.items("services", required=True))
    ]
    active = entry.boolean("active", True)
    return entry.build(lambda: Carrier(code, name, tuple(s for s in services if s is not None), active))


def read_service(data: Any, loc: Loc, problems: Problems, currency: str | None) -> CarrierService | None:
    entry = Entry(data, loc, problems, SERVICE_FIELDS)
    code, name = entry.text("code"), entry.text("name")
    service_currency = _currency(entry, currency)
    zones = {str(k): str(v) for k, v in entry.mapping("zones", required=True).items()}
    transit: dict[str, int] = {}
    for zone, days in entry.mapping("transit_days", required=True).items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            entry.add(("transit_days", str(zone)), f"must be a whole number of days, got {days!r}")
        else:
            transit[str(zone)] = days
    rates: dict[str, tuple[WeightBand, ...]] = {}
    for zone, raw_bands in entry.mapping("rates", required=True).items():
        rates[str(zone)] = _bands(raw_bands, (*loc, "rates", str(zone)), problems, service_currency)
    divisor = entry.optional_integer("volumetric_divisor", minimum=1)
    return entry.build(lambda: CarrierService(code, name, zones, rates, transit, divisor))


def _bands(raw: Any, loc: Loc, problems: Problems, currency: str | None) -> tuple[WeightBand, ...]:
    if not isinstance(raw, list):
        problems.add(loc, "must be a list of {max_weight_grams, price} bands")
        return ()
    bands: list[WeightBand] = []
    for index, item in enumerate(raw):
        band = Entry(item, (*loc, index), problems, BAND_FIELDS)
        limit = band.integer("max_weight_grams", minimum=1)
        price = read_money(band.data.get("price"), currency, (*loc, index, "price"), problems)
        if limit is not None and price is not None:
            bands.append(WeightBand(limit, price))
    return tuple(bands)
