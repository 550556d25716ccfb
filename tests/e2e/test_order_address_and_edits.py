"""Address corrections and line edits over the API: re-allocation, pick lists replaced, payment adjusted."""

from __future__ import annotations

from typing import Any

import pytest
from order_changes_support import assert_nothing_negative, event_types, payment_ledger, stock
from order_flow_support import LYON, ShopApi, draft, shop_api

from conveyor.domain.auth import Role
from conveyor.services import fulfilment_handlers
from conveyor.services.workflow.handlers import default_registry

__all__ = ["shop_api"]


def _open_picks(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in order["pick_lists"] if p["status"] == "open"]


def _recorded(api: ShopApi, order_id: str) -> list[tuple[str, str]]:
    items = api.get("/events", subject=order_id, type="exception.recorded")["items"]
    return [(e["data"]["exception_type"], e["data"]["category"]) for e in items]


def test_a_corrected_address_moves_the_reservations_to_the_nearest_warehouse(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    api.receive("LYS-1", "MUG-STONE", 5)
    placed = api.post("/orders", draft("WEB-ADDR-1", [("MUG-STONE", 2)]), Role.INTEGRATION, 201)
    order_id = placed["id"]
    assert [p["warehouse"] for p in placed["pick_lists"]] == ["BER-1"]

    order = api.post(
        f"/orders/{order_id}/shipping-address", {"shipping_address": LYON, "reason": "moved"}, Role.SUPPORT
    )

    assert order["shipping_address"]["city"] == "Lyon"
    assert stock(api, "BER-1", "MUG-STONE") == (5, 0) and stock(api, "LYS-1", "MUG-STONE") == (5, 2)
    assert [p["warehouse"] for p in _open_picks(order)] == ["LYS-1"]
    assert [p["status"] for p in order["pick_lists"] if p["warehouse"] == "BER-1"] == ["cancelled"]
    assert [t["node"] for t in order["open_tasks"]] == ["confirm_pick"]
    assert ("address.corrected", "address") in _recorded(api, order_id)
    assert "order.address_corrected" in event_types(api, order_id)

    [lyon] = _open_picks(order)
    api.post(f"/pick-lists/{lyon['id']}/confirm", {"picked": {"MUG-STONE": 2}}, Role.WAREHOUSE)
    order = api.order(order_id)
    assert order["status"] == "shipped" and [s["warehouse"] for s in order["shipments"]] == ["LYS-1"]
    assert stock(api, "LYS-1", "MUG-STONE") == (3, 0)
    api.assert_ledger_consistent()
    assert_nothing_negative(api)


def test_a_corrected_address_at_the_quality_check_keeps_the_check(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 2)
    api.receive("LYS-1", "LAPTOP-14", 2)
    placed = api.post("/orders", draft("WEB-ADDR-QC", [("LAPTOP-14", 1)]), Role.INTEGRATION, 201)
    assert placed["status"] == "awaiting_quality_check"
    order = api.post(f"/orders/{placed['id']}/shipping-address", {"shipping_address": LYON}, Role.SUPPORT)
    assert order["status"] == "awaiting_quality_check"
    assert [(a["warehouse"], a["state"]) for a in order["allocations"] if a["state"] == "open"] == [
        ("LYS-1", "open")
    ]
    [task] = order["open_tasks"]
    api.post(f"/tasks/{task['id']}/complete", {"variables": {"approved": True}}, Role.MANAGER)
    assert [p["warehouse"] for p in api.order(placed["id"])["pick_lists"]] == ["LYS-1"]
    api.assert_ledger_consistent()


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({**LYON, "country": "XX"}, "country"),
        ({**LYON, "city": ""}, "city"),
        ({**LYON, "city": "Atlantis"}, "shipping_address"),
        ("Lyon", "shipping_address"),
    ],
)
def test_a_malformed_address_is_refused_and_nothing_changes(
    shop_api: ShopApi, address: Any, field: str
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post("/orders", draft("WEB-ADDR-BAD", [("MUG-STONE", 1)]), Role.INTEGRATION, 201)
    problem = api.post(
        f"/orders/{placed['id']}/shipping-address", {"shipping_address": address}, Role.SUPPORT, 422
    )
    assert field in str(problem["errors"]), problem
    order = api.order(placed["id"])
    assert order["shipping_address"]["city"] == "Berlin" and _open_picks(order) == placed["pick_lists"]
    assert api.get(f"/orders/{placed['id']}/changes")["data"] == []


def test_after_hand_over_the_address_cannot_change(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("WAW-1", "SPEAKER-MINI", 2)
    warsaw = {"name": "Jan Kowalski", "line1": "ul. Marszałkowska 10", "city": "Warszawa", "country": "PL"}
    placed = api.post(
        "/orders", draft("WEB-ADDR-SHIP", [("SPEAKER-MINI", 1)], address=warsaw), Role.INTEGRATION, 201
    )
    problem = api.post(
        f"/orders/{placed['id']}/shipping-address", {"shipping_address": LYON}, Role.SUPPORT, 409
    )
    assert problem["code"] == "address_change_refused" and "handed over" in problem["detail"]
    assert api.order(placed["id"])["shipping_address"]["city"] == "Warszawa"


def test_after_the_label_support_asks_the_carrier_to_intercept(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post("/orders", draft("WEB-ADDR-LBL", [("MUG-STONE", 1)]), Role.INTEGRATION, 201)
    registry = default_registry()

    def courier_not_here(ctx: Any, uow: Any) -> None:
        raise RuntimeError("the courier has not come yet")

    registry.register("shipping.hand_over", courier_not_here)
    try:
        [pick_list] = placed["pick_lists"]
        api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 1}}, Role.WAREHOUSE)
        order = api.order(placed["id"])
        assert order["shipments"][0]["has_label"] and order["status"] == "packed"
        api.post(f"/orders/{placed['id']}/shipping-address", {"shipping_address": LYON}, Role.SUPPORT)
    finally:
        fulfilment_handlers.register_order_handlers(registry)

    tasks = api.get("/tasks", Role.SUPPORT, candidate_group="support")["data"]
    [task] = [t for t in tasks if t["node"] == "ask_carrier_to_intercept"]
    api.post(
        f"/tasks/{task['id']}/complete", {"variables": {"intercepted": True, "note": "ref 123"}}, Role.SUPPORT
    )
    order = api.order(placed["id"])
    assert order["shipping_address"]["city"] == "Lyon"
    outcomes = [c["outcome"] for c in api.get(f"/orders/{placed['id']}/changes")["data"]]
    assert outcomes == ["intercept_requested", "intercepted"]
    assert "order.address_intercepted" in event_types(api, placed["id"])


def test_an_edit_before_picking_reserves_the_difference_and_authorizes_the_increase(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    api.receive("BER-1", "KNIFE-CHEF", 3)
    placed = api.post("/orders", draft("WEB-EDIT-1", [("MUG-STONE", 2)]), Role.INTEGRATION, 201)
    order_id = placed["id"]
    assert placed["amounts"]["total"] == "29.99"

    order = api.post(
        f"/orders/{order_id}/edits",
        {
            "lines": [{"sku": "MUG-STONE", "quantity": 3}, {"sku": "KNIFE-CHEF", "quantity": 1}],
            "reason": "phone",
        },
        Role.SUPPORT,
    )

    assert order["amounts"]["total"] == "106.49"  # 3 x 12.50 + 64.00 + 4.99
    assert sorted((line["sku"], line["quantity"]) for line in order["lines"]) == [
        ("KNIFE-CHEF", 1),
        ("MUG-STONE", 3),
    ]
    assert stock(api, "BER-1", "MUG-STONE") == (10, 3) and stock(api, "BER-1", "KNIFE-CHEF") == (3, 1)
    [pick_list] = _open_picks(order)
    assert sorted((line["sku"], line["quantity"]) for line in pick_list["lines"]) == [
        ("KNIFE-CHEF", 1),
        ("MUG-STONE", 3),
    ]
    ledger = payment_ledger(api, order_id)
    assert ledger.authorized.as_string() == "106.49" and ledger.capturable.as_string() == "106.49"
    assert ("order.edited", "customer_change") in _recorded(api, order_id)
    assert "order.edited" in event_types(api, order_id)

    picked = {"MUG-STONE": 3, "KNIFE-CHEF": 1}
    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": picked}, Role.WAREHOUSE)
    order = api.order(order_id)
    assert order["status"] == "shipped"
    assert payment_ledger(api, order_id).captured.as_string() == "106.49"
    api.assert_ledger_consistent()


def test_an_edit_that_lowers_the_total_voids_the_difference(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    api.receive("BER-1", "TEE-BLK-M", 10)
    placed = api.post(
        "/orders", draft("WEB-EDIT-2", [("MUG-STONE", 2), ("TEE-BLK-M", 1)]), Role.INTEGRATION, 201
    )
    response = api.client.patch(
        f"/api/v1/orders/{placed['id']}",
        json={"lines": [{"sku": "TEE-BLK-M", "remove": True}, {"sku": "MUG-STONE", "quantity": 1}]},
        headers=api.headers(Role.SUPPORT),
    )
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["amounts"]["total"] == "17.49"
    assert stock(api, "BER-1", "TEE-BLK-M") == (10, 0) and stock(api, "BER-1", "MUG-STONE") == (10, 1)
    ledger = payment_ledger(api, placed["id"])
    assert ledger.capturable.as_string() == "17.49" and ledger.voided.as_string() == "37.40"
    [pick_list] = _open_picks(order)
    assert [(line["sku"], line["quantity"]) for line in pick_list["lines"]] == [("MUG-STONE", 1)]
    api.assert_ledger_consistent()


@pytest.mark.parametrize(
    ("lines", "where"),
    [
        ([{"sku": "NOPE-1", "quantity": 1}], ["lines", 0, "sku"]),
        ([{"sku": "MUG-STONE", "quantity": -1}], ["lines", 0, "quantity"]),
        ([{"sku": "MUG-STONE", "quantity": "2"}], ["lines", 0, "quantity"]),
        ([{"sku": "MUG-STONE", "quantity": 0}], ["lines", 0, "quantity"]),
        ([{"sku": "MUG-STONE", "remove": True}], ["lines"]),
        ([], ["lines"]),
    ],
)
def test_a_bad_edit_is_refused_naming_the_field_and_nothing_changes(
    shop_api: ShopApi, lines: list[Any], where: list[Any]
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    placed = api.post("/orders", draft("WEB-EDIT-BAD", [("MUG-STONE", 2)]), Role.INTEGRATION, 201)
    problem = api.post(f"/orders/{placed['id']}/edits", {"lines": lines}, Role.SUPPORT, 422)
    assert problem["errors"][0]["loc"][: len(where)] == where, problem
    order = api.order(placed["id"])
    assert order["lines"][0]["quantity"] == 2 and order["amounts"]["total"] == placed["amounts"]["total"]
    assert stock(api, "BER-1", "MUG-STONE") == (10, 2)
    assert api.get(f"/orders/{placed['id']}/changes")["data"] == []


def test_an_edit_beyond_the_stock_is_refused_whole(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3)
    api.receive("BER-1", "KNIFE-CHEF", 5)
    placed = api.post("/orders", draft("WEB-EDIT-OUT", [("MUG-STONE", 2)]), Role.INTEGRATION, 201)
    edit = {"lines": [{"sku": "KNIFE-CHEF", "quantity": 1}, {"sku": "MUG-STONE", "quantity": 5}]}
    problem = api.post(f"/orders/{placed['id']}/edits", edit, Role.SUPPORT, 422)
    assert problem["code"] == "insufficient_stock" and "MUG-STONE" in problem["detail"]
    assert stock(api, "BER-1", "MUG-STONE") == (3, 2) and stock(api, "BER-1", "KNIFE-CHEF") == (5, 0)
    assert [p["status"] for p in api.order(placed["id"])["pick_lists"]] == ["open"]
    assert payment_ledger(api, placed["id"]).authorized.as_string() == placed["amounts"]["total"]
    api.assert_ledger_consistent()


def test_once_picking_started_the_order_cannot_be_edited(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "TEE-BLK-M", 5)
    api.receive("LYS-1", "KNIFE-CHEF", 5)
    placed = api.post(
        "/orders", draft("WEB-EDIT-LATE", [("TEE-BLK-M", 1), ("KNIFE-CHEF", 1)]), Role.INTEGRATION, 201
    )
    first = placed["pick_lists"][0]
    api.post(f"/pick-lists/{first['id']}/confirm", {"picked": {first["lines"][0]["sku"]: 1}}, Role.WAREHOUSE)
    problem = api.post(f"/orders/{placed['id']}/edits", {"lines": [{"sku": "TEE-BLK-M", "quantity": 2}]},
                       Role.SUPPORT, 409)  # fmt: skip
    assert problem["code"] == "order_not_editable" and "Picking" in problem["detail"]
    assert api.get(f"/orders/{placed['id']}/changes")["data"] == []


def test_removing_the_backordered_line_lets_a_waiting_order_go_on(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3)
    draft_ = draft("MP-EDIT-BO", [("MUG-STONE", 3), ("HOODIE-GRY-M", 1)], channel="marketplace")
    placed = api.post("/orders", draft_, Role.INTEGRATION, 201)
    assert placed["status"] == "backordered" and placed["pick_lists"] == []  # the marketplace waits for all

    order = api.post(
        f"/orders/{placed['id']}/edits", {"lines": [{"sku": "HOODIE-GRY-M", "remove": True}]}, Role.SUPPORT
    )

    assert order["status"] == "picking" and [p["warehouse"] for p in _open_picks(order)] == ["BER-1"]
    assert order["amounts"]["total"] == "42.49"  # 3 x 12.50 + 4.99
    assert sum(line["backordered"] for line in order["lines"]) == 0
    ledger = payment_ledger(api, placed["id"])
    assert ledger.capturable.as_string() == "42.49" and ledger.voided.as_string() == "59.00"
    api.assert_ledger_consistent()


def test_an_order_waiting_for_a_new_card_can_be_edited_and_is_authorized_for_the_new_total(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    placed = api.post(
        "/orders", draft("WEB-EDIT-PM", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    order = api.post(
        f"/orders/{placed['id']}/edits", {"lines": [{"sku": "MUG-STONE", "quantity": 4}]}, Role.SUPPORT
    )
    assert order["status"] == "awaiting_payment_method" and order["amounts"]["total"] == "54.99"
    assert payment_ledger(api, placed["id"]).authorized.is_zero
    order = api.post(f"/orders/{placed['id']}/payment-method", {"payment_token": "tok_visa"}, Role.SUPPORT)
    assert (
        order["status"] == "picking" and payment_ledger(api, placed["id"]).authorized.as_string() == "54.99"
    )
    assert stock(api, "BER-1", "MUG-STONE") == (10, 4)
    api.assert_ledger_consistent()
