"""Orders the API refuses: every problem named by its field, nothing written. And idempotent placing."""

from __future__ import annotations

from typing import Any

import pytest
from order_flow_support import ShopApi, draft, shop_api
from sqlalchemy import text

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _stored_rows(api: ShopApi) -> tuple[int, int, int]:
    with api.runtime.engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("orders", "process_instances", "reservations")
        )


def _broken(change: str) -> dict[str, Any]:
    body = draft("WEB-BAD", [("MUG-STONE", 1)])
    if change == "unknown sku":
        body["lines"][0]["sku"] = "NO-SUCH-SKU"
    elif change == "zero quantity":
        body["lines"][0]["quantity"] = 0
    elif change == "negative quantity":
        body["lines"][0]["quantity"] = -2
    elif change == "unknown channel":
        body["channel"] = "tiktok"
    elif change == "malformed address":
        body["shipping_address"] = {"name": "Ada", "line1": "", "city": "Berlin", "country": "Germany"}
    elif change == "too many decimals":
        body["lines"][0]["unit_price"] = "12.505"
    return body


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ("unknown sku", 422, "lines.0.sku"),
        ("zero quantity", 422, "lines.0.quantity"),
        ("negative quantity", 422, "lines.0.quantity"),
        ("unknown channel", 404, "channel"),
        ("malformed address", 422, "shipping_address.country"),
        ("too many decimals", 422, "lines.0.unit_price"),
    ],
)
def test_a_bad_order_is_refused_naming_the_field_and_nothing_is_written(
    shop_api: ShopApi, change: str, status: int, field: str
) -> None:
    shop_api.receive("BER-1", "MUG-STONE", 5)
    before = _stored_rows(shop_api)
    response = shop_api.client.post(
        "/api/v1/orders", json=_broken(change), headers=shop_api.headers(Role.INTEGRATION)
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    named = {
        ".".join(str(part) for part in error.get("loc", [])) for error in response.json().get("errors", [])
    }
    named |= {str(error.get("path", "")) for error in response.json().get("errors", [])}
    assert any(name.endswith(field) or name == field for name in named), named
    assert _stored_rows(shop_api) == before


def test_placing_the_same_order_twice_returns_the_first_and_starts_one_process(shop_api: ShopApi) -> None:
    shop_api.receive("BER-1", "MUG-STONE", 5)
    first = shop_api.post("/orders", draft("WEB-TWICE", [("MUG-STONE", 1)]), Role.INTEGRATION, expect=201)
    again = shop_api.post("/orders", draft("WEB-TWICE", [("MUG-STONE", 1)]), Role.INTEGRATION, expect=200)
    assert again["id"] == first["id"]
    assert _stored_rows(shop_api) == (1, 1, 1)


def test_an_idempotency_key_finds_the_order_again(shop_api: ShopApi) -> None:
    shop_api.receive("BER-1", "MUG-STONE", 5)
    first = shop_api.post(
        "/orders", draft("WEB-K1", [("MUG-STONE", 1)]), Role.INTEGRATION, 201, **{"Idempotency-Key": "k-1"}
    )
    again = shop_api.post(
        "/orders", draft("WEB-K1", [("MUG-STONE", 1)]), Role.INTEGRATION, 200, **{"Idempotency-Key": "k-1"}
    )
    assert again["id"] == first["id"]
    reused = shop_api.client.post(
        "/api/v1/orders",
        json=draft("WEB-K2", [("MUG-STONE", 1)]),
        headers={**shop_api.headers(Role.INTEGRATION), "Idempotency-Key": "k-1"},
    )
    assert reused.status_code == 409


def test_a_viewer_may_read_orders_but_not_place_them(shop_api: ShopApi) -> None:
    response = shop_api.client.post(
        "/api/v1/orders", json=draft("WEB-V", [("MUG-STONE", 1)]), headers=shop_api.headers(Role.VIEWER)
    )
    assert response.status_code == 403
    assert shop_api.get("/orders")["data"] == []


def test_the_order_list_pages_with_a_cursor_and_filters_by_status(shop_api: ShopApi) -> None:
    shop_api.receive("BER-1", "MUG-STONE", 50)
    ids = {
        shop_api.post("/orders", draft(f"WEB-P{n}", [("MUG-STONE", 1)]), Role.INTEGRATION, 201)["id"]
        for n in range(5)
    }
    seen: list[str] = []
    cursor = None
    while True:
        page = shop_api.get("/orders", limit=2, **({"after": cursor} if cursor else {}))
        seen += [o["id"] for o in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert len(shop_api.get("/orders", status="picking")["data"]) == 5
    assert shop_api.get("/orders", status="completed")["data"] == []
