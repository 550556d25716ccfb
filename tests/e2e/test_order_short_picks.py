"""Short picks: the missing units are written off, filed, and picked in another warehouse or backordered."""

from __future__ import annotations

from order_changes_support import assert_nothing_negative, event_types, payment_ledger, stock
from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def test_a_short_pick_writes_off_the_missing_units_and_picks_them_in_another_warehouse(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3, bin_location="A-1")
    api.receive("LYS-1", "MUG-STONE", 5, bin_location="M-9")
    placed = api.post("/orders", draft("WEB-SHORT-1", [("MUG-STONE", 3)]), Role.INTEGRATION, 201)
    order_id = placed["id"]
    [berlin] = placed["pick_lists"]
    assert berlin["warehouse"] == "BER-1"

    api.post(f"/pick-lists/{berlin['id']}/confirm", {"picked": {"MUG-STONE": 1}}, Role.WAREHOUSE)

    order = api.order(order_id)
    assert order["status"] == "picking"
    assert stock(api, "BER-1", "MUG-STONE") == (1, 1)  # 2 written off: the shelf did not have them
    assert stock(api, "LYS-1", "MUG-STONE") == (5, 2)  # re-allocated where they are
    lyon = [p for p in order["pick_lists"] if p["warehouse"] == "LYS-1"]
    assert [(p["status"], p["lines"][0]["quantity"]) for p in lyon] == [("open", 2)]
    assert order["lines"][0]["backordered"] == 0
    movements = api.get("/inventory/movements", warehouse="BER-1", sku="MUG-STONE")["data"]
    adjustment = [m for m in movements if m["type"] == "adjustment"]
    assert [(m["quantity"], "short pick" in m["reason"]) for m in adjustment] == [(-2, True)]
    recorded = api.get("/events", subject=order_id, type="exception.recorded")["items"]
    assert [(e["data"]["exception_type"], e["data"]["category"]) for e in recorded] == [
        ("pick.short", "stock_accuracy")
    ]
    assert [c["kind"] for c in api.get(f"/orders/{order_id}/changes")["data"]] == [
        "short_pick",
        "reallocation",
    ]

    api.post(f"/pick-lists/{lyon[0]['id']}/confirm", {"picked": {"MUG-STONE": 2}}, Role.WAREHOUSE)
    order = api.order(order_id)
    assert order["status"] == "shipped"
    assert sorted((s["warehouse"], s["status"]) for s in order["shipments"]) == [
        ("BER-1", "handed_over"),
        ("LYS-1", "handed_over"),
    ]
    assert stock(api, "BER-1", "MUG-STONE") == (0, 0) and stock(api, "LYS-1", "MUG-STONE") == (3, 0)
    ledger = payment_ledger(api, order_id)
    assert ledger.captured == ledger.authorized
    assert event_types(api, order_id).count("shipment.handed_over") == 2
    api.assert_ledger_consistent()
    assert_nothing_negative(api)


def test_a_short_pick_with_no_stock_elsewhere_ships_what_was_found_and_backorders_the_rest(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "KNIFE-CHEF", 2)
    placed = api.post("/orders", draft("WEB-SHORT-2", [("KNIFE-CHEF", 2)]), Role.INTEGRATION, 201)
    [pick_list] = placed["pick_lists"]

    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"KNIFE-CHEF": 1}}, Role.WAREHOUSE)

    order = api.order(placed["id"])
    assert order["status"] == "partially_shipped"  # the web channel ships what there is
    assert order["lines"][0]["backordered"] == 1
    assert [w["node"] for w in order["workflow"]["waiting_at"] if w["kind"] != "timer"] == ["wait_for_stock"]
    assert stock(api, "BER-1", "KNIFE-CHEF") == (0, 0)  # 1 shipped, 1 written off

    api.receive("BER-1", "KNIFE-CHEF", 4)  # the rest arrives: the order is allocated at once
    order = api.order(placed["id"])
    assert order["status"] == "picking" and order["lines"][0]["backordered"] == 0
    second = [p for p in order["pick_lists"] if p["status"] == "open"]
    assert [p["lines"][0]["quantity"] for p in second] == [1]
    api.post(f"/pick-lists/{second[0]['id']}/confirm", {"picked": {"KNIFE-CHEF": 1}}, Role.WAREHOUSE)
    order = api.order(placed["id"])
    assert order["status"] == "shipped" and len(order["shipments"]) == 2
    assert stock(api, "BER-1", "KNIFE-CHEF") == (3, 0)
    api.assert_ledger_consistent()
    assert_nothing_negative(api)
