"""Carrier exceptions through the API: tracking problems become support cases; reship, refund or wait."""

from __future__ import annotations

from finance_support import deliver, event_types, problem, shipped_order
from order_flow_support import ShopApi

from conveyor.domain.auth import Role


def _exception(api: ShopApi, shipment_id: str, code: str, at: str = "2030-01-01T09:00:00Z") -> None:
    event = {"type": "exception", "at": at, "location": "Leipzig hub", "details": {"code": code}}
    api.post(f"/shipments/{shipment_id}/tracking", event, Role.INTEGRATION)


def test_a_lost_parcel_opens_a_case_support_reships_and_the_carrier_record_counts_it(
    shop_api: ShopApi,
) -> None:
    order_id, [shipment_id] = shipped_order(shop_api, "WEB-CX1", [("MUG-STONE", 2)])
    carrier = shop_api.get(f"/shipments/{shipment_id}")["carrier"]
    before = shop_api.get(f"/carriers/{carrier}/performance")
    _exception(shop_api, shipment_id, "LOST")
    [case] = shop_api.get("/carrier-exceptions", order_id=order_id)["data"]
    assert (case["kind"], case["status"], case["carrier"], case["shipment_id"]) == (
        "lost",
        "open",
        carrier,
        shipment_id,
    )
    after = shop_api.get(f"/carriers/{carrier}/performance")
    assert after["exceptions"] == before["exceptions"] + 1 and after["lost"] == before["lost"] + 1
    assert after["shipments"] >= 1 and after["lost_rate"] is not None
    record = shop_api.get(f"/exceptions/{case['exception_id']}", Role.SUPPORT)
    assert (record["category"], record["type"], record["carrier_code"]) == (
        "carrier",
        "shipment.lost",
        carrier,
    )
    [task] = shop_api.get("/tasks", process_instance_id=case["process_instance_id"])["data"]
    assert task["candidate_groups"] == ["support"]

    status, body = problem(
        shop_api, "POST", f"/carrier-exceptions/{case['id']}/decision", Role.SUPPORT, {"decision": "panic"}
    )
    assert status == 422 and body["errors"][0]["path"] == "decision"
    status, _ = problem(
        shop_api, "POST", f"/carrier-exceptions/{case['id']}/decision", Role.WAREHOUSE, {"decision": "reship"}
    )
    assert status == 403
    decided = shop_api.post(
        f"/carrier-exceptions/{case['id']}/decision", {"decision": "reship"}, Role.SUPPORT
    )
    assert decided["status"] == "reshipped" and decided["replacement_order_id"]
    replacement = shop_api.order(decided["replacement_order_id"])
    assert [(line["sku"], line["quantity"]) for line in replacement["lines"]] == [("MUG-STONE", 2)]
    assert replacement["status"] not in ("cancelled", "payment_failed")
    assert shop_api.get(f"/exceptions/{case['exception_id']}", Role.SUPPORT)["status"] == "resolved"
    types = event_types(shop_api, order_id)
    assert types.index("carrier_exception.opened") < types.index("carrier_exception.decided")
    assert "order.replacement_created" in types
    shop_api.assert_ledger_consistent()


def test_a_damaged_parcel_is_refunded_through_the_refund_process(shop_api: ShopApi) -> None:
    order_id, [shipment_id] = shipped_order(shop_api, "WEB-CX2", [("MUG-STONE", 1)])
    _exception(shop_api, shipment_id, "damaged")
    [case] = shop_api.get("/carrier-exceptions", order_id=order_id)["data"]
    assert case["kind"] == "damaged"
    decided = shop_api.post(
        f"/carrier-exceptions/{case['id']}/decision", {"decision": "refund"}, Role.SUPPORT
    )
    assert decided["status"] == "refunded"
    refund = shop_api.get(f"/refunds/{decided['refund_id']}")
    assert (refund["status"], refund["amount"], refund["carrier_exception_id"]) == (
        "issued",
        "12.50",
        case["id"],
    )
    assert shop_api.get(f"/orders/{order_id}/payments")["balance"] == "4.99"


def test_waiting_asks_again_unless_the_parcel_was_delivered_meanwhile(shop_api: ShopApi) -> None:
    order_id, [shipment_id] = shipped_order(shop_api, "WEB-CX3", [("MUG-STONE", 1)])
    _exception(shop_api, shipment_id, "address_unreadable")
    [case] = shop_api.get("/carrier-exceptions", order_id=order_id)["data"]
    assert case["kind"] == "exception"
    waiting = shop_api.post(
        f"/carrier-exceptions/{case['id']}/decision", {"decision": "wait", "wait_days": 2}, Role.SUPPORT
    )
    assert waiting["status"] == "waiting"
    shop_api.run_timers(days=3)
    [again] = shop_api.get("/tasks", process_instance_id=case["process_instance_id"])["data"]
    assert again["node"] == "decide_carrier_exception"  # not delivered: support decides again
    shop_api.post(
        f"/carrier-exceptions/{case['id']}/decision", {"decision": "wait", "wait_days": 1}, Role.SUPPORT
    )
    deliver(shop_api, [shipment_id], at="2030-01-03T10:00:00Z")
    shop_api.run_timers(days=5)
    assert shop_api.get("/tasks", process_instance_id=case["process_instance_id"])["data"] == []
    assert "carrier_exception.closed" in event_types(shop_api, order_id)
    instance = shop_api.get(f"/process-instances/{case['process_instance_id']}", Role.MANAGER)
    assert instance["state"] == "completed"


def test_support_reports_a_late_delivery_and_bad_reports_are_refused(shop_api: ShopApi) -> None:
    order_id, [shipment_id] = shipped_order(shop_api, "WEB-CX4", [("MUG-STONE", 1)])
    carrier = shop_api.get(f"/shipments/{shipment_id}")["carrier"]
    before = shop_api.get(f"/carriers/{carrier}/performance")
    case = shop_api.post(
        "/carrier-exceptions",
        {"order_id": order_id, "kind": "late", "note": "customer called"},
        Role.SUPPORT,
        201,
    )
    assert (case["kind"], case["shipment_id"]) == ("late", shipment_id)
    assert shop_api.get(f"/carriers/{carrier}/performance")["late"] == before["late"] + 1
    status, body = problem(
        shop_api, "POST", "/carrier-exceptions", Role.SUPPORT, {"order_id": order_id, "kind": "x"}
    )
    assert status == 422 and body["errors"][0]["path"] == "kind"
    status, _ = problem(
        shop_api, "POST", "/carrier-exceptions", Role.SUPPORT, {"order_id": "NOPE", "kind": "late"}
    )
    assert status == 404
    status, _ = problem(shop_api, "GET", "/carriers/nope/performance", Role.VIEWER)
    assert status == 404
    assert shop_api.get("/carrier-exceptions", order_id=order_id)["count"] == 1


LATE_PROBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:conveyor="http://conveyor.dev/schema/bpmn" id="late_probe_defs" targetNamespace="http://conveyor.dev/t">
  <bpmn:process id="late-probe" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="report" conveyor:handler="carrier_exception.report_late"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="report"/>
    <bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_order_process_can_report_its_late_delivery_once(shop_api: ShopApi) -> None:
    from conveyor.services.workflow import workflow_for

    order_id, [shipment_id] = shipped_order(shop_api, "WEB-CX5", [("MUG-STONE", 1)])
    workflow = workflow_for(shop_api.runtime)
    workflow.deploy(LATE_PROBE, file_name="late-probe.bpmn")
    workflow.start("late-probe", {"order_id": order_id})
    workflow.start("late-probe", {"order_id": order_id})  # the timer of another path: no second case
    [case] = shop_api.get("/carrier-exceptions", order_id=order_id)["data"]
    assert (case["kind"], case["shipment_id"], case["status"]) == ("late", shipment_id, "open")
    record = shop_api.get(f"/exceptions/{case['exception_id']}", Role.SUPPORT)
    assert (record["type"], record["category"]) == ("delivery.late", "carrier")
