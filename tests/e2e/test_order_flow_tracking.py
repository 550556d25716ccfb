"""Tracking after hand-over: late deliveries escalate, exceptions show, repeats are ignored."""

from __future__ import annotations

from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _shipped_order(api: ShopApi, external_id: str) -> tuple[str, str]:
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post("/orders", draft(external_id, [("MUG-STONE", 1)]), Role.INTEGRATION, 201)
    [pick_list] = placed["pick_lists"]
    api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"MUG-STONE": 1}}, Role.WAREHOUSE)
    [shipment] = api.order(placed["id"])["shipments"]
    return placed["id"], shipment["id"]


def test_a_late_delivery_opens_a_carrier_case_while_the_order_keeps_waiting(shop_api: ShopApi) -> None:
    order_id, shipment_id = _shipped_order(shop_api, "WEB-LATE")
    carrier = shop_api.order(order_id)["shipments"][0]["carrier"]
    before = shop_api.get(f"/carriers/{carrier}/performance")
    shop_api.run_timers(days=10)  # far past the promised transit days
    order = shop_api.order(order_id)
    assert order["status"] == "shipped" and order["open_tasks"] == []
    assert "wait_for_delivery" in [w["node"] for w in order["workflow"]["waiting_at"]]
    [case] = shop_api.get("/carrier-exceptions", order_id=order_id)["data"]
    assert (case["kind"], case["shipment_id"], case["status"]) == ("late", shipment_id, "open")
    assert shop_api.get(f"/carriers/{carrier}/performance")["late"] == before["late"] + 1
    record = shop_api.get(f"/exceptions/{case['exception_id']}", Role.SUPPORT)
    assert (record["type"], record["category"]) == ("delivery.late", "carrier")
    [decision] = [
        t for t in shop_api.get("/tasks", Role.SUPPORT)["data"] if t["node"] == "decide_carrier_exception"
    ]
    assert decision["candidate_groups"] == ["support"]

    shop_api.post(
        f"/tasks/{decision['id']}/complete", {"variables": {"decision": "wait", "wait_days": 2}}, Role.SUPPORT
    )
    shop_api.post(
        f"/shipments/{shipment_id}/tracking",
        {"type": "delivered", "at": "2030-02-01T12:00:00Z"},
        Role.INTEGRATION,
    )
    assert shop_api.order(order_id)["status"] == "delivered"


def test_a_carrier_exception_shows_on_the_order_and_a_repeated_event_is_ignored(shop_api: ShopApi) -> None:
    order_id, shipment_id = _shipped_order(shop_api, "WEB-EXC")
    event = {"type": "exception", "at": "2030-01-01T09:00:00Z", "location": "Hub: address unreadable"}
    shop_api.post(f"/shipments/{shipment_id}/tracking", event, Role.INTEGRATION)
    again = shop_api.post(f"/shipments/{shipment_id}/tracking", event, Role.INTEGRATION)
    assert again["status"] == "exception"
    assert shop_api.order(order_id)["status"] == "exception"
    timeline = shop_api.get(f"/orders/{order_id}/timeline")["data"]
    assert [e["event"] for e in timeline].count("shipment.exception") == 1


def test_tracking_of_an_unknown_type_or_after_delivery_is_refused(shop_api: ShopApi) -> None:
    _, shipment_id = _shipped_order(shop_api, "WEB-REF")
    bad_type = shop_api.client.post(
        f"/api/v1/shipments/{shipment_id}/tracking",
        json={"type": "teleported", "at": "2030-01-01T09:00:00Z"},
        headers=shop_api.headers(Role.INTEGRATION),
    )
    assert bad_type.status_code == 422 and "type" in bad_type.text
    delivered = {"type": "delivered", "at": "2030-01-02T09:00:00Z"}
    shop_api.post(f"/shipments/{shipment_id}/tracking", delivered, Role.INTEGRATION)
    after = shop_api.client.post(
        f"/api/v1/shipments/{shipment_id}/tracking",
        json={"type": "in_transit", "at": "2030-01-03T09:00:00Z"},
        headers=shop_api.headers(Role.INTEGRATION),
    )
    assert after.status_code == 409 and "delivered" in after.json()["detail"]
    problem = after.json()
    assert problem["status"] == 409  # the HTTP status, not the shipment's
    assert problem["shipment_status"] == "delivered" and problem["event"] == "in_transit"
    assert problem["errors"][0]["path"] == "type"
    missing = shop_api.client.get("/api/v1/shipments/SHP-NOPE/label", headers=shop_api.headers(Role.VIEWER))
    assert missing.status_code == 404
