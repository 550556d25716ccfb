"""Catalog and configuration over HTTP: CRUD with role checks, the config document, field errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conveyor.domain.auth import Role
from conveyor.services.configuration import default_configuration

Issue = Callable[[Role], str]
PRODUCT = {"sku": "MUG-RED", "name": "Red mug", "category": "home", "price": "12.50", "currency": "EUR",
           "weight_grams": 350, "dimensions_mm": [120, 90, 100],
           "attributes": {"material": "ceramic"}}  # fmt: skip


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def manager(issue_token: Issue) -> dict[str, str]:
    return bearer(issue_token(Role.MANAGER))


@pytest.fixture
def configured(client: TestClient, manager: dict[str, str]) -> TestClient:
    response = client.post("/api/v1/config", json=default_configuration(), headers=manager)
    assert response.status_code == 200, response.text
    return client


def test_a_manager_applies_the_configuration_and_any_role_reads_it(
    configured: TestClient, issue_token: Issue
) -> None:
    viewer = bearer(issue_token(Role.VIEWER))
    warehouses = configured.get("/api/v1/warehouses", headers=viewer).json()
    assert {w["code"] for w in warehouses["data"]} == {"BER-1", "LYS-1", "WAW-1"}
    laptop = configured.get("/api/v1/products/LAPTOP-14", headers=viewer).json()
    assert (laptop["price"], laptop["currency"], laptop["category"]) == ("1149.00", "EUR", "electronics")
    apparel = configured.get("/api/v1/products", params={"category": "apparel"}, headers=viewer).json()
    assert apparel["count"] == 3
    channel = configured.get("/api/v1/channels/web", headers=viewer).json()
    assert (channel["quality_check_threshold"], channel["allocation_strategy"]) == ("500.00", "nearest_first")
    dhl = configured.get("/api/v1/carriers/dhl", headers=viewer).json()
    assert dhl["services"][0]["rates"]["domestic"][0] == {"max_weight_grams": 2000, "price": "4.99"}


def test_a_product_is_created_replaced_and_deactivated_by_a_manager(
    configured: TestClient, manager: dict[str, str]
) -> None:
    created = configured.post("/api/v1/products", json=PRODUCT, headers=manager)
    assert created.status_code == 201, created.text
    assert configured.post("/api/v1/products", json=PRODUCT, headers=manager).status_code == 409
    replaced = configured.put("/api/v1/products/MUG-RED", json={**PRODUCT, "price": "13.00"}, headers=manager)
    assert replaced.json()["price"] == "13.00"
    assert configured.delete("/api/v1/products/MUG-RED", headers=manager).status_code == 204
    assert configured.get("/api/v1/products/MUG-RED", headers=manager).json()["active"] is False


def test_roles_other_than_manager_and_admin_cannot_change_the_catalog(
    configured: TestClient, issue_token: Issue
) -> None:
    for role in (Role.WAREHOUSE, Role.SUPPORT, Role.VIEWER):
        response = configured.post("/api/v1/products", json=PRODUCT, headers=bearer(issue_token(role)))
        assert response.status_code == 403
    admin = bearer(issue_token(Role.ADMIN))
    assert configured.post("/api/v1/products", json=PRODUCT, headers=admin).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "12.505"}, "price"),
        ({"price": 12.5}, "price"),
        ({"category": "garden"}, "category"),
        ({"attributes": {"material": "plastic"}}, "attributes.material"),
        ({"weight_grams": 0}, "weight_grams"),
        ({"colour": "red"}, "colour"),
    ],
    ids=["decimals", "float-price", "unknown-category", "attribute-schema", "zero-weight", "unknown-field"],
)
def test_a_bad_product_is_refused_naming_the_field_and_nothing_is_written(
    configured: TestClient, manager: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = configured.post("/api/v1/products", json={**PRODUCT, **change}, headers=manager)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    paths = [e.get("path") or ".".join(str(p) for p in e["loc"] if p != "body") for e in errors]
    assert field in paths
    assert configured.get("/api/v1/products/MUG-RED", headers=manager).status_code == 404


def test_a_category_in_use_cannot_be_deleted(configured: TestClient, manager: dict[str, str]) -> None:
    response = configured.delete("/api/v1/categories/home", headers=manager)
    assert response.status_code == 409
    assert "still has" in response.json()["detail"]


def test_a_config_dry_run_reports_changes_and_writes_nothing(
    configured: TestClient, manager: dict[str, str]
) -> None:
    document = configured.get("/api/v1/config", headers=manager).json()
    document["channels"][0]["quality_check_threshold"] = "750.00"
    dry = configured.post("/api/v1/config", params={"dry_run": "true"}, json=document, headers=manager).json()
    assert dry["applied"] is False
    assert dry["changes"]["channels"]["changed"] == [
        {"code": document["channels"][0]["code"], "fields": ["quality_check_threshold"]}
    ]
    stored = configured.get(f"/api/v1/channels/{document['channels'][0]['code']}", headers=manager).json()
    assert stored["quality_check_threshold"] != "750.00"


def test_a_config_document_with_a_broken_reference_is_refused_whole(
    configured: TestClient, manager: dict[str, str]
) -> None:
    document = configured.get("/api/v1/config", headers=manager).json()
    document["channels"][1]["warehouse_priority"] = ["NOPE-1"]
    document["products"][0]["name"] = "Renamed"
    response = configured.post("/api/v1/config", json=document, headers=manager)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_config"
    assert [e["path"] for e in response.json()["errors"]] == ["channels[1].warehouse_priority[0]"]
    sku = document["products"][0]["sku"]
    assert configured.get(f"/api/v1/products/{sku}", headers=manager).json()["name"] != "Renamed"


def test_the_configuration_exports_as_yaml(configured: TestClient, manager: dict[str, str]) -> None:
    response = configured.get("/api/v1/config", params={"format": "yaml"}, headers=manager)
    assert response.headers["content-type"].startswith("application/yaml")
    assert "code: BER-1" in response.text
