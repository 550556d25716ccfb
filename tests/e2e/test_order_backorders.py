"""Backorders: receipts re-allocate waiting orders oldest first; a timer asks support; partial shipments."""

from __future__ import annotations

from typing import Any

from order_changes_support import assert_nothing_negative, event_types, payment_ledger, stock
from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _waiting(order: dict[str, Any]) -> list[str]:
    return [w["node"] for w in order["workflow"]["waiting_at"] if w["kind"] != "timer"]


def _task(api: ShopApi, order_id: str, node: str) -> dict[str, Any]:
    tasks = [t for t in api.order(order_id)["open_tasks"] if t["node"] == node]
    assert tasks, api.order(order_id)["workflow"]
    return tasks[0]


def test_a_receipt_re_allocates_the_waiting_orders_oldest_first(shop_api: ShopApi) -> None:
    api = shop_api
    older = api.post("/orders", draft("WEB-BO-OLD", [("HOODIE-GRY-M", 2)]), Role.INTEGRATION, 201)
    newer = api.post("/orders", draft("WEB-BO-NEW", [("HOODIE-GRY-M", 2)]), Role.INTEGRATION, 201)
    for placed in (older, newer):
        assert placed["status"] == "backordered" and _waiting(placed) == ["wait_for_stock"]
        assert placed["lines"][0]["backordered"] == 2
        recorded = api.get("/events", subject=placed["id"], type="exception.recorded")["items"]
        assert [e["data"]["exception_type"] for e in recorded] == ["backorder.waiting"]

    api.receive("BER-1", "HOODIE-GRY-M", 2)  # enough for one of them: the older one

    old, new = api.order(older["id"]), api.order(newer["id"])
    assert old["status"] == "picking" and old["lines"][0]["backordered"] == 0
    assert new["status"] == "backordered" and _waiting(new) == ["wait_for_stock"] and new["allocations"] == []
    assert stock(api, "BER-1", "HOODIE-GRY-M") == (2, 2)

    api.receive("LYS-1", "HOODIE-GRY-M", 5)
    new = api.order(newer["id"])
    assert new["status"] == "picking" and [p["warehouse"] for p in new["pick_lists"]] == ["LYS-1"]
    assert stock(api, "LYS-1", "HOODIE-GRY-M") == (5, 2)
    api.assert_ledger_consistent()


def test_a_transfer_wakes_a_waiting_order_too(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("LYS-1", "MUG-STONE", 5)  # wholesale ships from BER-1 or WAW-1 only (priority list)
    placed = api.post(
        "/orders", draft("WHS-BO-TR", [("MUG-STONE", 2)], channel="wholesale"), Role.INTEGRATION, 201
    )
    assert placed["status"] == "backordered" and placed["allocations"] == []
    bad = {"from_warehouse": "LYS-1", "to_warehouse": "BER-1", "lines": [{"sku": "MUG-STONE", "quantity": 0}]}
    api.post("/inventory/transfers", bad, Role.WAREHOUSE, 422)  # bad input: nothing moves, nobody wakes
    assert api.order(placed["id"])["status"] == "backordered"

    transfer = {
        "from_warehouse": "LYS-1",
        "to_warehouse": "BER-1",
        "lines": [{"sku": "MUG-STONE", "quantity": 3}],
    }
    api.post("/inventory/transfers", transfer, Role.WAREHOUSE, 201)

    order = api.order(placed["id"])
    assert order["status"] == "picking" and [p["warehouse"] for p in order["pick_lists"]] == ["BER-1"]
    assert stock(api, "BER-1", "MUG-STONE") == (3, 2) and stock(api, "LYS-1", "MUG-STONE") == (2, 0)
    api.assert_ledger_consistent()
    assert_nothing_negative(api)


def test_a_cancellation_while_waiting_for_a_payment_method_or_for_stock(shop_api: ShopApi) -> None:
    api = shop_api
    declined = api.post(
        "/orders", draft("WEB-BO-PM", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    waiting = api.post("/orders", draft("WEB-BO-W", [("HOODIE-GRY-M", 1)]), Role.INTEGRATION, 201)
    for placed in (declined, waiting):
        order = api.post(f"/orders/{placed['id']}/cancel", {"reason": "no longer wanted"}, Role.SUPPORT)
        assert order["status"] == "cancelled" and order["workflow"]["waiting_at"] == []
        assert payment_ledger(api, placed["id"]).balance.is_zero
    api.receive("BER-1", "HOODIE-GRY-M", 2)  # nobody waits for it any more
    assert stock(api, "BER-1", "HOODIE-GRY-M") == (2, 0)
    assert api.run_timers(days=30) == 0  # no timer of theirs is left
    api.assert_ledger_consistent()


def test_the_marketplace_waits_for_everything_before_picking(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 3)
    placed = api.post(
        "/orders", draft("MP-BO-1", [("MUG-STONE", 5)], channel="marketplace"), Role.INTEGRATION, 201
    )
    assert placed["status"] == "backordered" and placed["pick_lists"] == []
    assert sum(a["quantity"] for a in placed["allocations"]) == 3  # held while it waits for the rest
    assert _waiting(placed) == ["wait_for_stock"]

    api.receive("BER-1", "MUG-STONE", 2)
    order = api.order(placed["id"])
    assert order["status"] == "picking" and order["lines"][0]["backordered"] == 0
    assert [line["quantity"] for line in order["pick_lists"][0]["lines"]] == [5]
    assert stock(api, "BER-1", "MUG-STONE") == (5, 5)
    api.assert_ledger_consistent()


def test_the_web_channel_ships_what_there_is_and_the_rest_when_it_arrives(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "TEE-BLK-M", 2)
    placed = api.post("/orders", draft("WEB-BO-PART", [("TEE-BLK-M", 5)]), Role.INTEGRATION, 201)
    [first] = placed["pick_lists"]
    api.post(f"/pick-lists/{first['id']}/confirm", {"picked": {"TEE-BLK-M": 2}}, Role.WAREHOUSE)
    order = api.order(placed["id"])
    assert order["status"] == "partially_shipped" and _waiting(order) == ["wait_for_stock"]
    assert order["lines"][0]["backordered"] == 3

    api.receive("BER-1", "TEE-BLK-M", 10)
    order = api.order(placed["id"])
    [second] = [p for p in order["pick_lists"] if p["status"] == "open"]
    api.post(f"/pick-lists/{second['id']}/confirm", {"picked": {"TEE-BLK-M": 3}}, Role.WAREHOUSE)
    order = api.order(placed["id"])
    assert order["status"] == "shipped" and len(order["shipments"]) == 2
    assert stock(api, "BER-1", "TEE-BLK-M") == (7, 0)
    types = event_types(api, placed["id"])
    assert types.count("order.partially_shipped") == 1 and types.count("order.shipped") == 1
    ledger = payment_ledger(api, placed["id"])
    assert ledger.captured == ledger.authorized
    api.assert_ledger_consistent()


def test_after_the_wait_support_cancels_the_backordered_order(shop_api: ShopApi) -> None:
    api = shop_api
    placed = api.post("/orders", draft("WEB-BO-CXL", [("HOODIE-GRY-M", 1)]), Role.INTEGRATION, 201)
    api.run_timers(days=10)
    assert api.order(placed["id"])["open_tasks"] == []  # the configured wait is P14D
    api.run_timers(days=15)
    task = _task(api, placed["id"], "backorder_decision")
    assert task["candidate_groups"] == ["support"]
    problem = api.post(
        f"/tasks/{task['id']}/complete", {"variables": {"decision": "maybe"}}, Role.SUPPORT, 422
    )
    assert problem["errors"][0]["loc"][-1] == "decision"

    api.post(f"/tasks/{task['id']}/complete", {"variables": {"decision": "keep_waiting"}}, Role.SUPPORT)
    order = api.order(placed["id"])
    assert order["status"] == "backordered" and _waiting(order) == ["wait_for_stock"]

    api.run_timers(days=30)
    task = _task(api, placed["id"], "backorder_decision")
    api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"decision": "cancel_lines", "note": "supplier discontinued it"}},
        Role.SUPPORT,
    )
    order = api.order(placed["id"])
    assert order["status"] == "cancelled" and order["workflow"]["waiting_at"] == []
    ledger = payment_ledger(api, placed["id"])
    assert ledger.capturable.is_zero and ledger.balance.is_zero and ledger.voided == ledger.authorized
    decisions = [c["outcome"] for c in api.get(f"/orders/{placed['id']}/changes")["data"]]
    assert decisions == ["keep_waiting", "lines_cancelled"]
    api.receive("BER-1", "HOODIE-GRY-M", 3)  # nobody waits any more
    assert stock(api, "BER-1", "HOODIE-GRY-M") == (3, 0)
    api.assert_ledger_consistent()


def test_cancelling_the_backordered_rest_of_a_partly_shipped_order_refunds_it(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 1)
    placed = api.post("/orders", draft("WEB-BO-REST", [("MUG-STONE", 3)]), Role.INTEGRATION, 201)
    [pick_list] = placed["pick_lists"]
    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 1}}, Role.WAREHOUSE)
    assert api.order(placed["id"])["status"] == "partially_shipped"
    api.run_timers(days=15)
    task = _task(api, placed["id"], "backorder_decision")
    api.post(f"/tasks/{task['id']}/complete", {"variables": {"decision": "cancel_lines"}}, Role.SUPPORT)

    order = api.order(placed["id"])
    assert order["status"] == "shipped" and order["lines"][0]["backordered"] == 0
    assert _waiting(order) == ["wait_for_delivery"]
    ledger = payment_ledger(api, placed["id"])
    assert ledger.refunded.as_string() == "25.00"  # 2 x 12.50 never shipped
    assert ledger.balance == ledger.captured - ledger.refunded
    api.assert_ledger_consistent()
