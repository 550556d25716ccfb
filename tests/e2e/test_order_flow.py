"""An order from ``POST /orders`` to completed, over the API, driven by the bundled process."""

from __future__ import annotations

from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _open_task(api: ShopApi, order: dict, node: str) -> dict:
    tasks = [t for t in order["open_tasks"] if t["node"] == node]
    assert tasks, f"no open {node} task; the order waits at {order['workflow']['waiting_at']}"
    return tasks[0]


def test_an_order_above_the_threshold_goes_through_qc_picking_label_tracking_and_follow_up(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 5, bin_location="C-12")
    api.receive("BER-1", "MUG-STONE", 20, bin_location="A-3")

    placed = api.post(
        "/orders", draft("WEB-1", [("LAPTOP-14", 1), ("MUG-STONE", 2)]), Role.INTEGRATION, expect=201
    )
    order_id = placed["id"]
    assert placed["status"] == "awaiting_quality_check"
    assert placed["amounts"]["total"] == "1178.99"
    assert {(a["warehouse"], a["sku"], a["quantity"]) for a in placed["allocations"]} == {
        ("BER-1", "LAPTOP-14", 1),
        ("BER-1", "MUG-STONE", 2),
    }
    qc_task = _open_task(api, placed, "quality_check")
    assert qc_task["candidate_groups"] == ["quality"]

    api.post(f"/tasks/{qc_task['id']}/complete", {"variables": {"approved": True}}, Role.MANAGER)
    order = api.order(order_id)
    assert order["status"] == "picking"
    [pick_list] = order["pick_lists"]
    assert [line["bin_location"] for line in pick_list["lines"]] == ["A-3", "C-12"]  # walking order
    assert _open_task(api, order, "confirm_pick")["candidate_groups"] == ["warehouse"]

    api.post(
        f"/pick-lists/{pick_list['id']}/confirm", {"picked": {"LAPTOP-14": 1, "MUG-STONE": 2}}, Role.WAREHOUSE
    )
    order = api.order(order_id)
    assert order["status"] == "shipped"
    [shipment] = order["shipments"]
    assert shipment["status"] == "handed_over" and shipment["carrier"] and shipment["tracking_number"]
    assert [
        w["node"] for w in order["workflow"]["waiting_at"] if not w["node"].startswith("delivery_late")
    ] == ["wait_for_delivery"]

    label = api.client.get(f"/api/v1/shipments/{shipment['id']}/label", headers=api.headers(Role.WAREHOUSE))
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    assert label.content.startswith(b"%PDF-") and label.content.rstrip().endswith(b"%%EOF")

    for event, at in (("in_transit", "2030-01-01T08:00:00Z"), ("out_for_delivery", "2030-01-02T07:00:00Z")):
        api.post(
            f"/shipments/{shipment['id']}/tracking",
            {"type": event, "at": at, "location": "Berlin"},
            Role.INTEGRATION,
        )
        assert api.order(order_id)["status"] == "shipped"
    api.post(
        f"/shipments/{shipment['id']}/tracking",
        {"type": "delivered", "at": "2030-01-02T15:00:00Z"},
        Role.INTEGRATION,
    )
    order = api.order(order_id)
    assert order["status"] == "delivered"
    assert [w["node"] for w in order["workflow"]["waiting_at"]] == ["follow_up_due"]

    api.run_timers(days=6)
    assert api.order(order_id)["status"] == "delivered"  # the follow-up is seven days after delivery
    api.run_timers(days=8)
    order = api.order(order_id)
    assert order["status"] == "completed"
    assert order["workflow"]["waiting_at"] == [] and order["open_tasks"] == []
    timeline = api.get(f"/orders/{order_id}/timeline")["data"]
    assert timeline[0]["event"] == "order.placed"
    assert {"pick_list.picked", "shipment.handed_over", "shipment.delivered"} <= {
        e["event"] for e in timeline
    }

    movements = api.get("/inventory/movements", reference_id=order_id)["data"]
    assert sorted(m["type"] for m in movements) == ["reservation", "reservation"]
    shipped = api.get("/inventory/movements", reference_id=shipment["id"])["data"]
    assert sorted((m["sku"], m["quantity"]) for m in shipped) == [("LAPTOP-14", 1), ("MUG-STONE", 2)]
    levels = {
        (lv["sku"]): (lv["on_hand"], lv["reserved"])
        for lv in api.get("/inventory/levels", warehouse="BER-1")["data"]
    }
    assert levels == {"LAPTOP-14": (4, 0), "MUG-STONE": (18, 0)}
    api.assert_ledger_consistent()
