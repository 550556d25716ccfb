"""Processes started and continued by events: the bundled customer notifications, carrier
manifests and demand signals, over the API, with the dispatcher the workers run."""

from __future__ import annotations

from typing import Any

from order_flow_support import ShopApi, draft, shop_api
from sqlalchemy import text

from conveyor.domain.auth import Role
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

__all__ = ["shop_api"]

WAIT_FOR_HANDOVER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:conveyor="http://conveyor.dev/schema/bpmn" id="d" targetNamespace="t">
  <bpmn:message id="m" name="order.shipped" conveyor:correlationKey="${order_id}"/>
  <bpmn:process id="wait-for-shipping" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
    <bpmn:receiveTask id="wait" messageRef="m"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


def dispatch(api: ShopApi) -> int:
    dispatcher = Dispatcher(workflow_for(api.runtime), name="e2e-dispatcher", settings=DeliverySettings())
    total = 0
    for _ in range(50):
        done = dispatcher.run_once()
        total += done
        if done == 0:
            return total
    raise AssertionError("the dispatcher never became idle")


def sql(api: ShopApi, query: str, **params: Any) -> list[Any]:
    with api.runtime.engine.connect() as connection:
        return list(connection.execute(text(query), params).all())


def ship(api: ShopApi, order_id: str) -> dict[str, Any]:
    order = api.order(order_id)
    for pick_list in order["pick_lists"]:
        picked = {line["sku"]: line["quantity"] for line in pick_list["lines"]}
        api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": picked}, Role.WAREHOUSE)
    order = api.order(order_id)
    assert order["status"] == "shipped", order["status"]
    return order


def test_each_order_created_starts_the_bundled_processes_and_they_record_what_they_are_for(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 20)
    api.receive("BER-1", "TEE-BLK-M", 10)
    a = api.post("/orders", draft("WEB-A", [("MUG-STONE", 2)]), Role.INTEGRATION, expect=201)["id"]
    b = api.post(
        "/orders", draft("WEB-B", [("MUG-STONE", 1), ("TEE-BLK-M", 3)]), Role.INTEGRATION, expect=201
    )["id"]
    c = api.post(
        "/orders", draft("MKT-C", [("MUG-STONE", 1)], channel="marketplace"), Role.INTEGRATION, expect=201
    )["id"]
    workflow = workflow_for(api.runtime)
    workflow.deploy(WAIT_FOR_HANDOVER, file_name="wait-for-shipping.bpmn")
    waiter = workflow.start("wait-for-shipping", {"order_id": a}, business_key=a)
    shipped_a, shipped_b = ship(api, a), ship(api, b)

    assert dispatch(api) > 0

    started = sql(
        api,
        "SELECT process_key, business_key FROM process_instances WHERE process_key IN "
        "('customer-notifications', 'demand-signals', 'carrier-manifest')",
    )
    for order_id in (a, b, c):
        assert ("customer-notifications", order_id) in started  # one per order.created (and more)
        assert ("demand-signals", order_id) in started
    per_order_created = sql(
        api,
        "SELECT count(*) FROM processed_events WHERE event_type = 'order.created' AND outcome = 'routed'",
    )
    assert per_order_created == [(3,)]
    assert sorted(k for k, bk in started if k == "carrier-manifest") == ["carrier-manifest"] * 2
    assert sql(api, "SELECT state FROM process_instances WHERE id = :id", id=waiter.id) == [
        ("completed",)
    ]  # the order.shipped event continued the instance waiting for it
    assert sql(api, "SELECT count(*) FROM incidents") == [(0,)]

    # customer notifications: web notifies at received and shipped, marketplace only at shipped
    notes = sql(api, "SELECT order_id, milestone, status FROM notification_requests ORDER BY id")
    assert sorted(notes) == sorted(
        [
            (a, "received", "sent"),
            (a, "shipped", "sent"),
            (b, "received", "sent"),
            (b, "shipped", "sent"),
            (c, "received", "skipped"),
        ]
    )
    queued = sql(api, "SELECT order_id, event_type, recipient FROM notifications ORDER BY id")
    assert sorted(queued) == sorted(
        [(o, kind, "ada@example.com") for o in (a, b) for kind in ("order.created", "shipment.handed_over")]
    )

    # the carrier's pickup manifest: both shipments, under their carrier, warehouse and day
    [shipment_a] = shipped_a["shipments"]
    [shipment_b] = shipped_b["shipments"]
    day = shipment_a["handed_over_at"][:10]
    manifests = api.get(f"/carriers/{shipment_a['carrier']}/manifests", date=day)
    [berlin] = [m for m in manifests["data"] if m["warehouse"] == "BER-1"]
    listed = {s["shipment_id"]: s for s in berlin["shipments"]}
    expected = {shipment_a["id"]} | (
        {shipment_b["id"]} if shipment_b["carrier"] == shipment_a["carrier"] else set()
    )
    assert set(listed) == expected
    assert berlin["parcels"] == len(expected)
    assert listed[shipment_a["id"]]["tracking_number"] == shipment_a["tracking_number"]
    assert api.get(f"/carriers/{shipment_a['carrier']}/manifests", date="2001-01-01")["data"] == []

    # demand signals: ordered per SKU (no warehouse yet), reserved per warehouse
    signals = api.get("/analytics/demand-signals")["data"]
    by_key = {(s["sku"], s["warehouse"]): s for s in signals}
    assert by_key[("MUG-STONE", None)]["ordered"] == 4
    assert by_key[("MUG-STONE", "BER-1")]["reserved"] == 4
    assert by_key[("TEE-BLK-M", None)]["ordered"] == 3
    assert by_key[("TEE-BLK-M", "BER-1")]["reserved"] == 3
    assert api.get("/analytics/demand-signals", sku="TEE-BLK-M")["count"] == 2

    # exactly once per event: a dispatcher that lost its cursor routes nothing twice
    before = sql(api, "SELECT count(*) FROM process_instances")
    with api.runtime.engine.begin() as connection:
        connection.execute(text("UPDATE dispatch_cursors SET position = 0 WHERE consumer = 'processes'"))
    dispatch(api)
    assert sql(api, "SELECT count(*) FROM process_instances") == before


def test_bad_manifest_and_demand_queries_are_422_naming_the_parameter(shop_api: ShopApi) -> None:
    api = shop_api
    headers = api.headers(Role.VIEWER)
    missing = api.client.get("/api/v1/carriers/dhl/manifests", headers=headers)
    assert missing.status_code == 422 and missing.json()["code"] == "invalid_input"
    assert "date" in str(missing.json()["errors"])
    bad_range = api.client.get(
        "/api/v1/analytics/demand-signals", params={"from": "2026-02-02", "to": "2026-02-01"}, headers=headers
    )
    assert bad_range.status_code == 422 and bad_range.json()["errors"][0]["loc"] == ["query", "to"]
    assert api.client.get("/api/v1/analytics/demand-signals").status_code == 401
