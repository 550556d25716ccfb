"""Categories, products and warehouses refuse what plain Python can check."""

import pytest

from conveyor.domain.addresses import Address
from conveyor.domain.catalog import Category, Product
from conveyor.domain.errors import InvalidCatalogEntry, InvalidWarehouse
from conveyor.domain.geo import Coordinates
from conveyor.domain.money import Money
from conveyor.domain.warehouse import Warehouse

PRICE = Money.parse("19.99", "EUR")


def test_a_product_names_each_broken_field():
    with pytest.raises(InvalidCatalogEntry) as caught:
        Product("bad sku!", "", "apparel", -PRICE, 0, (300, 0, 20))
    paths = [e["path"] for e in caught.value.errors]
    assert paths == ["sku", "name", "price", "weight_grams", "dimensions_mm[1]"]


def test_a_valid_product_knows_its_volume():
    product = Product("TS-RED-M", "T-shirt", "apparel", PRICE, 200, (300, 250, 20), {"size": "M"})
    assert product.volume_mm3 == 1_500_000 and product.active


def test_a_category_code_must_be_a_code():
    with pytest.raises(InvalidCatalogEntry, match="code: 'home & garden' is not a category code"):
        Category("home & garden", "Home")
    assert Category("electronics", "Electronics", serial_tracked=True).serial_tracked


def test_a_warehouse_checks_its_code_priority_and_capability_tags():
    address = Address("Berlin DC", "Lagerstr. 1", "Berlin", "DE")
    here = Coordinates(52.5, 13.4)
    with pytest.raises(InvalidWarehouse) as caught:
        Warehouse("BER 1", "Berlin", address, here, priority=-1, capabilities=frozenset({"cold chain"}))
    assert [e["path"] for e in caught.value.errors] == ["code", "priority", "capabilities"]
    warehouse = Warehouse("BER", "Berlin", address, here, capabilities=frozenset({"hazmat"}))
    assert warehouse.can("hazmat") and not warehouse.can("hazmat", "cold_chain")
