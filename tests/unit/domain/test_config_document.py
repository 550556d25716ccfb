"""The configuration document is validated whole, with every problem's path."""

import copy

import pytest
import yaml

from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.config_document import (
    ExistingConfiguration,
    parse_config_document,
    validate_config_document,
)
from conveyor.domain.config_export import document_to_mapping
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.money import Money
from conveyor.domain.order_status import OrderStatus

DOCUMENT = yaml.safe_load("""
currency: EUR
categories:
  - code: apparel
    name: Apparel
    attribute_schema:
      type: object
      required: [size]
      properties: {size: {enum: [S, M, L]}, colour: {type: string}}
  - code: electronics
    name: Electronics
    serial_tracked: true
products:
  - {sku: TS-RED-M, name: Red T-shirt, category: apparel, price: 19.99, weight_grams: 200,
     dimensions_mm: [300, 250, 20], attributes: {size: M, colour: red}}
  - {sku: PHONE-1, name: Phone, category: electronics, price: "499.00", weight_grams: 180,
     dimensions_mm: [160, 80, 10]}
warehouses:
  - code: BER
    name: Berlin
    address: {line1: Lagerstrasse 1, city: Berlin, postal_code: "10115", country: DE}
    coordinates: {lat: 52.52, lon: 13.405}
    priority: 1
  - code: MUC
    name: Munich
    address: {line1: Hallenweg 5, city: Munich, country: DE}
    coordinates: {lat: 48.137, lon: 11.575}
    auto_confirm_picks: true
    capabilities: [hazmat]
channels:
  - code: web
    name: Web shop
    quality_check_threshold: "500.00"
    allocation_strategy: priority_list
    warehouse_priority: [MUC, BER]
    promised_delivery_days: 3
    notification_milestones: [shipped, delivered]
carriers:
  - code: dhl
    name: DHL
    services:
      - code: parcel
        name: Paket
        zones: {DE: domestic, AT: eu, "*": world}
        transit_days: {domestic: 2, eu: 4, world: 10}
        rates:
          domestic: [{max_weight_grams: 2000, price: "4.99"}, {max_weight_grams: 31500, price: "9.99"}]
          eu: [{max_weight_grams: 31500, price: "16.99"}]
          world: [{max_weight_grams: 31500, price: "39.99"}]
        volumetric_divisor: 5000
""")


def broken(change):
    data = copy.deepcopy(DOCUMENT)
    change(data)
    return {problem.path: problem.message for problem in validate_config_document(data)}


def test_a_good_document_becomes_typed_configuration():
    document = parse_config_document(DOCUMENT)
    assert [c.code for c in document.categories] == ["apparel", "electronics"]
    assert document.products[0].price == Money.parse("19.99", "EUR")
    assert document.warehouses[1].auto_confirm_picks and document.warehouses[1].can("hazmat")
    channel = document.channels[0]
    assert channel.process_id == "order-fulfillment"
    assert channel.allocation_strategy is AllocationStrategy.PRIORITY_LIST
    assert channel.warehouse_priority == ("MUC", "BER")
    assert channel.notification_milestones == {OrderStatus.SHIPPED, OrderStatus.DELIVERED}
    assert document.carriers[0].services[0].price_for("domestic", 2500) == Money.parse("9.99", "EUR")


def test_out_of_range_coordinates_are_named_by_their_path():
    problems = broken(lambda d: d["warehouses"][1]["coordinates"].update(lat=95))
    assert problems == {"warehouses[1].coordinates.lat": "must be between -90 and 90, got 95"}


def test_an_unknown_category_suggests_the_close_one():
    problems = broken(lambda d: d["products"][0].update(category="apparel2"))
    assert problems == {"products[0].category": "unknown category 'apparel2' (did you mean 'apparel'?)"}


def test_a_channel_that_names_an_unknown_warehouse_is_a_broken_reference():
    problems = broken(lambda d: d["channels"][0].update(warehouse_priority=["MUC", "HAM"]))
    assert problems == {"channels[0].warehouse_priority[1]": "unknown warehouse 'HAM'"}


def test_a_channel_process_must_be_deployed_when_the_deployed_processes_are_known():
    found = validate_config_document(DOCUMENT, known_processes={"order-fulfilment-v2", "returns"})
    assert [(p.path, p.message) for p in found] == [
        ("channels[0].process", "no deployed process has the id 'order-fulfillment' "
                                "(did you mean 'order-fulfilment-v2'?)"),
    ]


def test_every_problem_in_the_document_is_reported_at_once():
    def damage(d):
        d["products"][1]["price"] = "499.999"
        d["products"][1]["weight_grams"] = 0
        d["warehouses"][0]["address"]["country"] = "Germany"
        d["channels"][0]["allocation_strategy"] = "nearest"
        d["carriers"][0]["services"][0]["rates"]["eu"] = []
        d["categories"].append({"code": "apparel", "name": "Again"})
        d["warehouse"] = []

    problems = broken(damage)
    assert set(problems) == {
        "products[1].price", "products[1].weight_grams", "warehouses[0].address.country",
        "channels[0].allocation_strategy", "carriers[0].services[0].rates.eu", "categories[2].code",
        "warehouse",
    }
    assert problems["warehouse"] == "unknown section (did you mean 'warehouses'?)"
    assert problems["categories[2].code"] == "'apparel' is already defined at categories[0]"
    assert "did you mean 'nearest_first'" in problems["channels[0].allocation_strategy"]
    assert "499.999 has more decimals than EUR allows" in problems["products[1].price"]


def test_parse_raises_one_error_carrying_every_problem():
    data = copy.deepcopy(DOCUMENT)
    data["products"][0]["category"] = "shoes"
    data["warehouses"][0]["coordinates"]["lon"] = 200
    with pytest.raises(InvalidConfigDocument) as caught:
        parse_config_document(data)
    paths = [e["path"] for e in caught.value.errors]
    assert paths == ["warehouses[0].coordinates.lon", "products[0].category"]
    assert caught.value.code == "invalid_config"


def test_references_may_point_at_configuration_that_already_exists():
    data = {"products": [{"sku": "X-1", "name": "X", "category": "garden", "price": "1", "currency": "EUR",
                          "weight_grams": 1, "dimensions_mm": [1, 1, 1]}],
            "channels": [{"code": "b2b", "name": "B2B", "currency": "EUR", "warehouse_priority": ["HAM"]}]}
    existing = ExistingConfiguration(categories={"garden": {}}, warehouses={"HAM"})
    assert validate_config_document(data, existing=existing) == []
    assert len(validate_config_document(data)) == 2


def test_product_attributes_are_checked_by_the_given_schema_validator():
    def size_required(schema, attributes):
        missing = [name for name in schema.get("required", []) if name not in attributes]
        return [((name,), "is required by the category") for name in missing]

    data = copy.deepcopy(DOCUMENT)
    del data["products"][0]["attributes"]["size"]
    found = validate_config_document(data, attribute_validator=size_required)
    assert [(p.path, p.message) for p in found] == [
        ("products[0].attributes.size", "is required by the category")
    ]


def test_an_exported_document_applies_back_unchanged():
    document = parse_config_document(DOCUMENT)
    exported = document_to_mapping(document)
    assert parse_config_document(yaml.safe_load(yaml.safe_dump(exported))) == document
