"""The configuration document: applied whole or not at all, diffed, exported and re-applied unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from conveyor.adapters.db.catalog_tables import categories, products, sales_channels, warehouses
from conveyor.bootstrap import Runtime
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.services import configuration
from conveyor.services.configuration import apply_configuration, export_configuration

Document = dict[str, Any]


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (categories, products, warehouses, sales_channels)
        }


def _errors(err: pytest.ExceptionInfo[InvalidConfigDocument]) -> dict[str, str]:
    return {item["path"]: item["msg"] for item in err.value.errors}


def test_applying_the_default_configuration_creates_everything_and_again_changes_nothing(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    first = apply_configuration(migrated_runtime.unit_of_work(), default_document)
    assert first.applied
    assert len(first.sections["products"].added) == len(default_document["products"])
    assert _counts(migrated_runtime) == {"categories": 3, "products": 8, "warehouses": 3, "sales_channels": 3}
    again = apply_configuration(migrated_runtime.unit_of_work(), default_document)
    assert again.is_empty and not again.applied


def test_export_then_apply_is_a_no_op(migrated_runtime: Runtime, default_document: Document) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    exported = export_configuration(migrated_runtime.unit_of_work())
    assert configuration.diff_configuration(migrated_runtime.unit_of_work(), exported).is_empty
    assert [p["sku"] for p in exported["products"]] == sorted(p["sku"] for p in default_document["products"])
    laptop = next(p for p in exported["products"] if p["sku"] == "LAPTOP-14")
    assert (laptop["price"], laptop["currency"]) == ("1149.00", "EUR")


def test_a_dry_run_lists_added_changed_and_removed_entries_and_writes_nothing(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    edited = export_configuration(migrated_runtime.unit_of_work())
    edited["products"][0]["price"] = "26.90"
    dropped = edited["products"].pop()["sku"]
    edited["warehouses"].append({
        "code": "MAD-1", "name": "Madrid", "coordinates": {"lat": 40.4168, "lon": -3.7038},
        "address": {"line1": "Calle de Alcalá 1", "city": "Madrid", "country": "ES"},
    })  # fmt: skip
    before = export_configuration(migrated_runtime.unit_of_work())

    changes = apply_configuration(migrated_runtime.unit_of_work(), edited, dry_run=True)

    assert not changes.applied
    assert changes.sections["warehouses"].added == ("MAD-1",)
    first_sku = edited["products"][0]["sku"]
    assert dict(changes.sections["products"].changed) == {first_sku: ("price",)}
    assert changes.sections["products"].removed == (dropped,)
    assert f"~ products: {first_sku} (price)" in changes.lines()
    assert export_configuration(migrated_runtime.unit_of_work()) == before


def test_a_removed_product_is_deactivated_not_deleted(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    gone = default_document["products"].pop()["sku"]
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    exported = {p["sku"]: p for p in export_configuration(migrated_runtime.unit_of_work())["products"]}
    assert exported[gone]["active"] is False


def test_every_problem_names_its_path_and_nothing_is_applied(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    broken = default_document
    broken["products"][0]["attributes"]["size"] = "XXXL"
    broken["products"][3]["category"] = "electronix"
    broken["products"][6]["price"] = "12.505"
    broken["channels"][2]["warehouse_priority"] = ["BER-1", "MUC-1"]
    broken["categories"][2]["attribute_schema"] = {"type": "objekt"}

    with pytest.raises(InvalidConfigDocument) as refused:
        apply_configuration(migrated_runtime.unit_of_work(), broken)

    errors = _errors(refused)
    assert errors["products[0].attributes.size"].startswith("'XXXL' is not one of ['XS', 'S', 'M'")
    assert "unknown category 'electronix' (did you mean 'electronics'?)" in errors["products[3].category"]
    assert "products[6].price" in errors
    assert "unknown warehouse 'MUC-1'" in errors["channels[2].warehouse_priority[1]"]
    assert "not a valid JSON Schema" in errors["categories[2].attribute_schema.type"]
    assert "products[0].attributes.size: 'XXXL' is not one of" in refused.value.detail
    assert _counts(migrated_runtime) == {"categories": 0, "products": 0, "warehouses": 0, "sales_channels": 0}


def test_a_category_that_products_still_use_cannot_be_dropped(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    without_home = {"categories": [c for c in default_document["categories"] if c["code"] != "home"]}
    with pytest.raises(InvalidConfigDocument) as refused:
        apply_configuration(migrated_runtime.unit_of_work(), without_home)
    assert "category 'home' is missing but products still belong to it" in refused.value.detail
    assert _counts(migrated_runtime)["categories"] == 3


def test_a_document_with_only_some_sections_leaves_the_others_alone(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_document)
    new_product = {"sku": "MUG-BLUE", "name": "Blue mug", "category": "home", "price": "13.00",
                   "currency": "EUR", "weight_grams": 350, "dimensions_mm": [120, 90, 100]}  # fmt: skip
    products_only = {"currency": "EUR", "products": [*default_document["products"], new_product]}
    changes = apply_configuration(migrated_runtime.unit_of_work(), products_only)
    assert list(changes.sections) == ["products"]
    assert changes.sections["products"].added == ("MUG-BLUE",)
    assert _counts(migrated_runtime)["warehouses"] == 3


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(InvalidConfigDocument) as refused:
        configuration.load_document("categories:\n  - code: a\n   name: b\n", "config.yaml")
    assert "config.yaml is not valid YAML at line 3" in refused.value.detail


def test_once_processes_are_deployed_a_channel_must_name_one_of_them(
    migrated_runtime: Runtime, default_document: Document
) -> None:
    from conveyor.bootstrap import deploy_bundled_processes

    deploy_bundled_processes(migrated_runtime)
    default_document["channels"][0]["process"] = "order-fulfilment"
    with pytest.raises(InvalidConfigDocument) as refused:
        apply_configuration(migrated_runtime.unit_of_work(), default_document)
    message = _errors(refused)["channels[0].process"]
    assert "no deployed process has the id 'order-fulfilment' (did you mean 'order-fulfillment'?)" in message
    default_document["channels"][0]["process"] = "order-fulfillment"
    assert apply_configuration(migrated_runtime.unit_of_work(), default_document).applied
