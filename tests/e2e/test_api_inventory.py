"""Inventory over HTTP: receipts, adjustments, transfers, levels, the ledger with a cursor, bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from conveyor.domain.auth import Role
from conveyor.services.configuration import default_configuration

Issue = Callable[[Role], str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(client: TestClient, issue_token: Issue) -> dict[str, str]:
    manager = bearer(issue_token(Role.MANAGER))
    assert client.post("/api/v1/config", json=default_configuration(), headers=manager).status_code == 200
    return bearer(issue_token(Role.WAREHOUSE))


def _receive(client: TestClient, headers: dict[str, str], warehouse: str, sku: str, quantity: int) -> None:
    body = {"warehouse": warehouse, "sku": sku, "quantity": quantity, "reference": "PO-1"}
    response = client.post("/api/v1/inventory/receipts", json=body, headers=headers)
    assert response.status_code == 201, response.text


def _consistent(client: TestClient, headers: dict[str, str]) -> None:
    check = client.get("/api/v1/inventory/ledger-check", headers=headers).json()
    assert check == {"consistent": True, "violations": []}


def test_warehouse_staff_receive_adjust_and_transfer_stock_and_see_it_in_levels_and_ledger(
    client: TestClient, staff: dict[str, str]
) -> None:
    receipt = {"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": 20, "bin_location": "B-07"}
    level = client.post("/api/v1/inventory/receipts", json=receipt, headers=staff).json()
    assert (level["on_hand"], level["available"], level["bin_location"]) == (20, 20, "B-07")
    adjustment = {"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": -2, "reason": "damaged"}
    adjusted = client.post("/api/v1/inventory/adjustments", json=adjustment, headers=staff).json()
    assert adjusted["on_hand"] == 18
    lines = [{"sku": "MUG-STONE", "quantity": 8}]
    transfer = {"from_warehouse": "BER-1", "to_warehouse": "LYS-1", "lines": lines}
    moved = client.post("/api/v1/inventory/transfers", json=transfer, headers=staff)
    assert moved.status_code == 201
    levels = client.get("/api/v1/inventory/levels", params={"sku": "MUG-STONE"}, headers=staff).json()
    assert {(lv["warehouse"], lv["on_hand"]) for lv in levels["data"]} == {("BER-1", 10), ("LYS-1", 8)}
    by_transfer = {"reference_id": moved.json()["id"]}
    ledger = client.get("/api/v1/inventory/movements", params=by_transfer, headers=staff)
    assert [m["type"] for m in ledger.json()["data"]] == ["transfer_out", "transfer_in"]
    _consistent(client, staff)


def test_the_ledger_pages_with_a_cursor(client: TestClient, staff: dict[str, str]) -> None:
    for quantity in (1, 2, 3):
        _receive(client, staff, "WAW-1", "KNIFE-CHEF", quantity)
    first = client.get("/api/v1/inventory/movements", params={"limit": 2}, headers=staff).json()
    assert [m["quantity"] for m in first["data"]] == [1, 2]
    rest = client.get("/api/v1/inventory/movements", params={"limit": 2, "after": first["next_cursor"]},
                      headers=staff).json()  # fmt: skip
    assert [m["quantity"] for m in rest["data"]] == [3]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"warehouse": "BER-1", "sku": "NOPE-1", "quantity": 1}, 404, "sku"),
        ({"warehouse": "XXX-9", "sku": "MUG-STONE", "quantity": 1}, 404, "warehouse"),
        ({"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": 0}, 422, "quantity"),
        ({"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": -5}, 422, "quantity"),
        ({"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": "lots"}, 422, "quantity"),
    ],
    ids=["unknown-sku", "unknown-warehouse", "zero", "negative", "not-a-number"],
)
def test_a_bad_receipt_names_the_field_and_writes_nothing(
    client: TestClient, staff: dict[str, str], body: dict[str, object], status: int, field: str
) -> None:
    response = client.post("/api/v1/inventory/receipts", json=body, headers=staff)
    assert response.status_code == status, response.text
    assert field in [str(e["loc"][-1]) for e in response.json()["errors"]]
    assert client.get("/api/v1/inventory/movements", headers=staff).json()["count"] == 0
    assert client.get("/api/v1/inventory/levels", headers=staff).json()["count"] == 0


def test_a_transfer_beyond_what_is_unreserved_is_refused_as_a_business_rule(
    client: TestClient, staff: dict[str, str]
) -> None:
    _receive(client, staff, "BER-1", "TEE-BLK-M", 3)
    lines = [{"sku": "TEE-BLK-M", "quantity": 4}]
    transfer = {"from_warehouse": "BER-1", "to_warehouse": "WAW-1", "lines": lines}
    response = client.post("/api/v1/inventory/transfers", json=transfer, headers=staff)
    assert (response.status_code, response.json()["code"]) == (422, "insufficient_stock")
    assert response.json()["errors"][0]["path"] == "lines[0].quantity"
    _consistent(client, staff)


def test_viewers_read_stock_but_cannot_receive_it(
    client: TestClient, staff: dict[str, str], issue_token: Issue
) -> None:
    viewer = bearer(issue_token(Role.VIEWER))
    assert client.get("/api/v1/inventory/levels", headers=viewer).status_code == 200
    body = {"warehouse": "BER-1", "sku": "MUG-STONE", "quantity": 1}
    assert client.post("/api/v1/inventory/receipts", json=body, headers=viewer).status_code == 403
