"""A new category, warehouse and channel, added by configuration alone, take stock and orders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conveyor.bootstrap import Runtime
from conveyor.domain.addresses import Address
from conveyor.services import allocation, inventory
from conveyor.services.allocation import LineToAllocate
from conveyor.services.configuration import apply_configuration, export_configuration

GARDEN = {
    "code": "garden",
    "name": "Garden",
    "attribute_schema": {
        "type": "object",
        "properties": {"length_m": {"type": "number", "exclusiveMinimum": 0}},
        "required": ["length_m"],
    },
}
HOSE = {"sku": "HOSE-25", "name": "Garden hose 25 m", "category": "garden", "price": "34.99",
        "currency": "EUR", "weight_grams": 2400, "dimensions_mm": [350, 350, 120],
        "attributes": {"length_m": 25}}  # fmt: skip
MADRID = {"code": "MAD-1", "name": "Madrid fulfilment centre",
          "coordinates": {"lat": 40.3889, "lon": -3.6394},
          "address": {"line1": "Calle de la Logística 3", "postal_code": "28021", "city": "Madrid",
                      "country": "ES"}}  # fmt: skip
IBERIA = {"code": "shop-es", "name": "Tienda online", "currency": "EUR",
          "allocation_strategy": "nearest_first", "quality_check_threshold": "300.00",
          "promised_delivery_days": 2}  # fmt: skip


def test_a_new_category_warehouse_and_channel_take_stock_and_reservations_without_code_changes(
    migrated_runtime: Runtime, default_document: dict[str, Any], check_ledger: Callable[[Runtime], None]
) -> None:
    uow = migrated_runtime.unit_of_work
    apply_configuration(uow(), default_document)
    document = export_configuration(uow())
    document["categories"].append(GARDEN)
    document["products"].append(HOSE)
    document["warehouses"].append(MADRID)
    document["channels"].append(IBERIA)
    changes = apply_configuration(uow(), document)
    assert [changes.sections[s].added for s in ("categories", "products", "warehouses", "channels")] == [
        ("garden",), ("HOSE-25",), ("MAD-1",), ("shop-es",)
    ]

    inventory.receive_stock(uow(), warehouse="MAD-1", sku="HOSE-25", quantity=4, bin_location="G-01")
    inventory.receive_stock(uow(), warehouse="BER-1", sku="HOSE-25", quantity=4)
    seville = Address(name="Lucía García", line1="Calle Sierpes 12", city="Sevilla", country="ES")
    with uow() as unit:
        outcome = allocation.allocate_order(
            unit.session, order_id="ES-1", lines=[LineToAllocate(1, "HOSE-25", 3)], destination=seville,
            channel="shop-es",
        )  # fmt: skip
        unit.commit()

    assert outcome.warehouses == ("MAD-1",)
    [level] = inventory.stock_levels(uow(), warehouse="MAD-1", sku="HOSE-25")
    assert (level.on_hand, level.reserved, level.available) == (4, 3, 1)
    check_ledger(migrated_runtime)
