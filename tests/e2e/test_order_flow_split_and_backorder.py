"""Split shipments from two warehouses, backordered lines, and orders that wait for stock."""

from __future__ import annotations

from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _deliver(api: ShopApi, shipment_id: str, at: str) -> None:
    api.post(f"/shipments/{shipment_id}/tracking", {"type": "delivered", "at": at}, Role.INTEGRATION)


def test_an_order_split_over_two_warehouses_ships_twice_and_is_delivered_when_both_arrive(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "TEE-BLK-M", 5)
    api.receive("LYS-1", "KNIFE-CHEF", 5)

    placed = api.post(
        "/orders", draft("WEB-SPLIT", [("TEE-BLK-M", 1), ("KNIFE-CHEF", 1)]), Role.INTEGRATION, 201
    )
    assert placed["status"] == "picking"
    assert sorted(p["warehouse"] for p in placed["pick_lists"]) == ["BER-1", "LYS-1"]
    assert len([t for t in placed["open_tasks"] if t["node"] == "confirm_pick"]) == 2

    first, second = placed["pick_lists"]
    api.post(f"/pick-lists/{first['id']}/confirm", {"picked": {first["lines"][0]["sku"]: 1}}, Role.WAREHOUSE)
    assert api.order(placed["id"])["shipments"] == []  # packing waits for every list
    api.post(
        f"/pick-lists/{second['id']}/confirm", {"picked": {second["lines"][0]["sku"]: 1}}, Role.WAREHOUSE
    )

    order = api.order(placed["id"])
    assert order["status"] == "shipped"
    assert sorted(s["warehouse"] for s in order["shipments"]) == ["BER-1", "LYS-1"]
    assert all(s["status"] == "handed_over" and s["has_label"] for s in order["shipments"])

    _deliver(api, order["shipments"][0]["id"], "2030-01-02T10:00:00Z")
    order = api.order(placed["id"])
    assert order["status"] == "shipped"  # one parcel of two does not deliver the order
    assert [w["node"] for w in order["workflow"]["waiting_at"] if w["kind"] != "timer"] == [
        "wait_for_delivery"
    ]
    _deliver(api, order["shipments"][1]["id"], "2030-01-03T10:00:00Z")
    assert api.order(placed["id"])["status"] == "delivered"
    api.assert_ledger_consistent()


def test_a_line_with_too_little_stock_ships_what_there_is_and_backorders_the_rest(shop_api: ShopApi) -> None:
    """(tests/e2e/test_order_backorders.py follows the rest until it ships.)"""
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3)
    placed = api.post("/orders", draft("WEB-BO", [("MUG-STONE", 5)]), Role.INTEGRATION, 201)
    assert placed["lines"][0]["backordered"] == 2
    assert sum(a["quantity"] for a in placed["allocations"]) == 3
    [pick_list] = placed["pick_lists"]
    assert pick_list["lines"][0]["quantity"] == 3

    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 3}}, Role.WAREHOUSE)
    order = api.order(placed["id"])
    assert order["status"] == "partially_shipped"
    assert [w["node"] for w in order["workflow"]["waiting_at"] if w["kind"] != "timer"] == ["wait_for_stock"]
    assert order["shipments"][0]["weight_grams"] == 150 + 3 * 350
    levels = api.get("/inventory/levels", warehouse="BER-1", sku="MUG-STONE")["data"]
    assert (levels[0]["on_hand"], levels[0]["reserved"]) == (0, 0)
    api.assert_ledger_consistent()


def test_a_short_pick_releases_the_missing_units_and_backorders_them(shop_api: ShopApi) -> None:
    """The missing unit is written off and, with no other warehouse holding it, backordered
    (tests/e2e/test_order_short_picks.py has another warehouse picking it)."""
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    placed = api.post("/orders", draft("WEB-SHORT", [("MUG-STONE", 4)]), Role.INTEGRATION, 201)
    [pick_list] = placed["pick_lists"]
    confirmed = api.post(
        f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 3}}, Role.WAREHOUSE
    )
    assert confirmed["status"] == "short_picked"
    order = api.order(placed["id"])
    assert order["lines"][0]["backordered"] == 1 and order["status"] == "partially_shipped"
    levels = api.get("/inventory/levels", warehouse="BER-1", sku="MUG-STONE")["data"]
    assert (levels[0]["on_hand"], levels[0]["reserved"]) == (6, 0)  # 3 shipped, the missing one written off
    api.assert_ledger_consistent()


def test_an_order_with_nothing_in_stock_waits_and_is_allocated_once_stock_arrives(shop_api: ShopApi) -> None:
    api = shop_api
    placed = api.post("/orders", draft("WEB-WAIT", [("HOODIE-GRY-M", 2)]), Role.INTEGRATION, 201)
    assert placed["status"] == "backordered"
    assert [w["node"] for w in placed["workflow"]["waiting_at"] if w["kind"] != "timer"] == ["wait_for_stock"]
    assert placed["pick_lists"] == []

    api.run_timers(days=1.1)
    assert api.order(placed["id"])["status"] == "backordered"  # still nothing: it keeps waiting
    api.receive("LYS-1", "HOODIE-GRY-M", 4)  # the receipt allocates the waiting order at once
    order = api.order(placed["id"])
    assert order["status"] == "picking"
    assert [p["warehouse"] for p in order["pick_lists"]] == ["LYS-1"]
    api.assert_ledger_consistent()


def test_a_warehouse_that_confirms_picks_itself_ships_without_a_person(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("WAW-1", "SPEAKER-MINI", 3)
    warsaw = {"name": "Jan Kowalski", "line1": "ul. Marszałkowska 10", "city": "Warszawa", "country": "PL"}
    placed = api.post(
        "/orders", draft("WEB-WAW", [("SPEAKER-MINI", 1)], address=warsaw), Role.INTEGRATION, 201
    )
    assert placed["status"] == "shipped"
    assert placed["pick_lists"][0]["status"] == "picked" and placed["open_tasks"] == []
    api.assert_ledger_consistent()


def test_a_declined_card_reserves_nothing_and_waits_for_a_new_payment_method(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3)
    placed = api.post(
        "/orders", draft("WEB-DECL", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    assert placed["status"] == "awaiting_payment_method"  # tests/e2e/test_order_payment_failures.py goes on
    assert placed["allocations"] == []
    assert [w["node"] for w in placed["workflow"]["waiting_at"] if w["kind"] != "timer"] == [
        "wait_for_payment_method"
    ]
    api.assert_ledger_consistent()


def test_a_rejected_quality_check_cancels_the_order_and_releases_its_stock(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 2)
    placed = api.post("/orders", draft("WEB-REJ", [("LAPTOP-14", 1)]), Role.INTEGRATION, 201)
    [task] = [t for t in placed["open_tasks"] if t["node"] == "quality_check"]
    api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"approved": False, "reason": "fraud suspected"}},
        Role.MANAGER,
    )
    order = api.order(placed["id"])
    assert order["status"] == "cancelled"
    assert {a["state"] for a in order["allocations"]} == {"released"}
    levels = api.get("/inventory/levels", warehouse="BER-1", sku="LAPTOP-14")["data"]
    assert (levels[0]["on_hand"], levels[0]["reserved"]) == (2, 0)
    api.assert_ledger_consistent()
