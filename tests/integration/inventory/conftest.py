"""A small network for inventory tests: one category, three products, warehouses in three cities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.bootstrap import Runtime
from conveyor.domain.addresses import Address
from conveyor.domain.catalog import Category, Product
from conveyor.domain.geo import Coordinates
from conveyor.domain.inventory import Violation
from conveyor.domain.money import Money
from conveyor.domain.warehouse import Warehouse
from conveyor.services.inventory import ledger_violations

CITIES = {
    "BER": ("Berlin", "DE", Coordinates(52.52, 13.405)),
    "LYS": ("Lyon", "FR", Coordinates(45.764, 4.8357)),
    "AUS": ("Austin", "US", Coordinates(30.2672, -97.7431)),
}
SKUS = ("MUG-1", "TEE-1", "LAMP-1")


@pytest.fixture
def network(migrated_runtime: Runtime) -> Runtime:
    """The migrated runtime with the catalog and warehouses in place (no stock yet)."""
    now = datetime.now(UTC)
    with migrated_runtime.unit_of_work() as uow:
        config = SqlConfiguration(uow.session)
        config.save_category(Category("general", "General goods"), now)
        for sku in SKUS:
            price = Money(Decimal("9.90"), "EUR")
            config.save_product(Product(sku, sku.title(), "general", price, 300, (100, 80, 60)), now)
        for code, (city, country, point) in CITIES.items():
            address = Address(name=f"{city} DC", line1="1 Dock Road", city=city, country=country)
            config.save_warehouse(Warehouse(code, f"{city} DC", address, point), now)
        uow.commit()
    return migrated_runtime


@pytest.fixture
def check_ledger() -> Callable[[Runtime], None]:
    """Call after a scenario: on hand = ledger, reserved = open reservations, nothing negative."""

    def check(runtime: Runtime) -> None:
        violations: list[Violation] = ledger_violations(runtime.unit_of_work())
        assert violations == [], "\n".join(str(v) for v in violations)

    return check
