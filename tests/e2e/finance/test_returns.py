"""Returns (RMA) through the API as support, customers (integration), the warehouse and carriers would."""

from __future__ import annotations

import threading
from typing import Any

from finance_support import deliver, event_types, problem, shipped_order
from order_flow_support import ShopApi

from conveyor.domain.auth import Role


def _level(api: ShopApi, warehouse: str, sku: str) -> dict[str, Any]:
    [level] = [
        row
        for row in api.get("/inventory/levels", warehouse=warehouse, sku=sku)["data"]
        if row["sku"] == sku and row["warehouse"] == warehouse
    ]
    return level


def test_a_return_is_auto_approved_labelled_received_restocked_and_refunded(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA1", [("MUG-STONE", 2)])
    deliver(shop_api, shipments)
    on_hand_before = _level(shop_api, "BER-1", "MUG-STONE")["on_hand"]
    body = {
        "order_id": order_id,
        "lines": [{"line_no": 1, "quantity": 1}],
        "reason_code": "damaged",
        "reason_text": "The handle broke off in the box",
    }
    rma = shop_api.post("/returns", body, Role.INTEGRATION, 201)
    assert rma["status"] == "approved" and rma["decided_by"] == "auto"  # 12.50 is below auto-approval
    assert rma["category"] == "product_quality" and rma["exception_id"]
    label = shop_api.client.get(
        f"/api/v1/returns/{rma['id']}/label.pdf", headers=shop_api.headers(Role.SUPPORT)
    )
    assert label.status_code == 200 and label.content.startswith(b"%PDF")

    received = shop_api.post(f"/returns/{rma['id']}/receive", {}, Role.WAREHOUSE)
    assert received["status"] == "received"
    [task] = shop_api.get("/tasks", process_instance_id=rma["process_instance_id"])["data"]
    assert task["node"] == "inspect_line" and task["candidate_groups"] == ["warehouse"]
    shop_api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"disposition": "restock", "resolution": "refund"}},
        Role.WAREHOUSE,
    )

    closed = shop_api.get(f"/returns/{rma['id']}")
    assert closed["status"] == "closed"
    [line] = closed["lines"]
    assert (line["disposition"], line["resolution"]) == ("restock", "refund") and line["refund_id"]
    assert shop_api.get(f"/refunds/{line['refund_id']}")["status"] == "issued"
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert (ledger["refunded"], ledger["balance"]) == ("12.50", "17.49")
    assert _level(shop_api, "BER-1", "MUG-STONE")["on_hand"] == on_hand_before + 1
    shop_api.assert_ledger_consistent()
    types = event_types(shop_api, order_id)
    expected = [
        "return.requested",
        "return.approved",
        "return.label_created",
        "return.received",
        "refund.issued",
        "return.line_inspected",
        "return.closed",
    ]
    assert [t for t in types if t in expected] == expected
    record = shop_api.get(f"/exceptions/{rma['exception_id']}", Role.SUPPORT)
    assert record["type"] == "return.requested" and record["status"] == "resolved"


def test_a_valuable_return_waits_for_support_who_may_reject_it_with_a_reason(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA2", [("KNIFE-CHEF", 1)])
    deliver(shop_api, shipments)
    request = {
        "order_id": order_id,
        "lines": [{"sku": "KNIFE-CHEF", "quantity": 1}],
        "reason_code": "changed_mind",
    }
    rma = shop_api.post("/returns", request, Role.SUPPORT, 201)
    assert rma["status"] == "requested" and rma["category"] == "customer_change"
    status, body = problem(
        shop_api, "POST", f"/returns/{rma['id']}/review", Role.SUPPORT, {"approved": False}
    )
    assert status == 422 and body["errors"][0]["path"] == "reason"
    status, _ = problem(
        shop_api,
        "POST",
        f"/returns/{rma['id']}/review",
        Role.WAREHOUSE,
        {"approved": False, "reason": "used"},
    )
    assert status == 403
    status, _ = problem(shop_api, "POST", f"/returns/{rma['id']}/receive", Role.WAREHOUSE)
    assert status == 409  # no label yet
    rejected = shop_api.post(
        f"/returns/{rma['id']}/review", {"approved": False, "reason": "knife was used"}, Role.SUPPORT
    )
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "knife was used"
    assert "return.rejected" in event_types(shop_api, order_id)
    # the rejected units may be asked for again
    again = shop_api.post(
        "/returns", {**request, "lines": [{"line_no": 1, "quantity": 1}]}, Role.SUPPORT, 201
    )
    approved = shop_api.post(f"/returns/{again['id']}/review", {"approved": True}, Role.SUPPORT)
    assert approved["status"] == "approved" and approved["decided_by"] and approved["tracking_number"]


def test_each_line_gets_its_own_disposition_and_resolution(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA3", [("MUG-STONE", 1), ("KNIFE-CHEF", 1)])
    deliver(shop_api, shipments)
    mugs, knives = _level(shop_api, "BER-1", "MUG-STONE"), _level(shop_api, "BER-1", "KNIFE-CHEF")
    body = {
        "order_id": order_id,
        "lines": [{"line_no": 1, "quantity": 1}, {"line_no": 2, "quantity": 1}],
        "reason_code": "defective",
    }
    rma = shop_api.post("/returns", body, Role.SUPPORT, 201)
    shop_api.post(f"/returns/{rma['id']}/review", {"approved": True}, Role.SUPPORT)
    shop_api.post(f"/returns/{rma['id']}/receive", {}, Role.INTEGRATION)
    tasks = shop_api.get("/tasks", process_instance_id=rma["process_instance_id"])["data"]
    assert len(tasks) == 2
    answers = [
        {"disposition": "quarantine", "resolution": "store_credit", "note": "chipped"},
        {"disposition": "scrap", "resolution": "replacement"},
    ]
    for task, answer in zip(tasks, answers, strict=True):
        shop_api.post(f"/tasks/{task['id']}/complete", {"variables": answer}, Role.WAREHOUSE)
    closed = shop_api.get(f"/returns/{rma['id']}")
    assert closed["status"] == "closed"
    by_resolution = {line["resolution"]: line for line in closed["lines"]}
    assert set(by_resolution) == {"store_credit", "replacement"}
    assert by_resolution["replacement"]["replacement_order_id"]
    replacement = shop_api.order(by_resolution["replacement"]["replacement_order_id"])
    assert replacement["status"] != "cancelled" and replacement["total"] == "0.00"
    assert {line["disposition"] for line in closed["lines"]} == {"quarantine", "scrap"}
    # quarantined and scrapped goods are in the ledger but never sellable: on hand unchanged
    assert _level(shop_api, "BER-1", "MUG-STONE")["on_hand"] == mugs["on_hand"]
    assert _level(shop_api, "BER-1", "KNIFE-CHEF")["on_hand"] <= knives["on_hand"]
    movements = shop_api.get("/inventory/movements", reference_type="return", reference_id=rma["id"])["data"]
    assert sorted(m["type"] for m in movements) == ["adjustment", "adjustment", "return", "return"]
    shop_api.assert_ledger_consistent()
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "0.00"  # nothing refunded
    assert "store_credit.issued" in event_types(shop_api, order_id)
    credit = shop_api.get("/store-credit", Role.SUPPORT, customer_email="Ada@Example.com")
    assert credit["balances"] == {"EUR": "12.50"} and credit["entries"][0]["return_id"] == rma["id"]


def test_a_return_can_be_received_without_any_refund(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA4", [("MUG-STONE", 1)])
    deliver(shop_api, shipments)
    rma = shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "size_fit"},
        Role.SUPPORT,
        201,
    )
    shop_api.post(f"/returns/{rma['id']}/receive", {}, Role.WAREHOUSE)
    [task] = shop_api.get("/tasks", process_instance_id=rma["process_instance_id"])["data"]
    shop_api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"disposition": "restock", "resolution": "none"}},
        Role.WAREHOUSE,
    )
    closed = shop_api.get(f"/returns/{rma['id']}")
    assert closed["status"] == "closed" and closed["lines"][0]["refund_id"] is None
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "0.00"
    shop_api.assert_ledger_consistent()


def test_a_form_missing_a_required_field_is_refused_naming_it(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA5", [("MUG-STONE", 1)])
    deliver(shop_api, shipments)
    rma = shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
        Role.SUPPORT,
        201,
    )
    shop_api.post(f"/returns/{rma['id']}/receive", {}, Role.WAREHOUSE)
    [task] = shop_api.get("/tasks", process_instance_id=rma["process_instance_id"])["data"]
    status, body = problem(
        shop_api,
        "POST",
        f"/tasks/{task['id']}/complete",
        Role.WAREHOUSE,
        {"variables": {"resolution": "refund"}},
    )
    assert status == 422 and "disposition" in str(body["errors"])
    status, _ = problem(
        shop_api,
        "POST",
        f"/tasks/{task['id']}/complete",
        Role.SUPPORT,
        {"variables": {"disposition": "restock", "resolution": "none"}},
    )
    assert status == 403  # someone else's task
    assert shop_api.get(f"/returns/{rma['id']}")["status"] == "received"


def test_a_return_received_twice_is_received_once(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA6", [("MUG-STONE", 1)])
    deliver(shop_api, shipments)
    rma = shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
        Role.SUPPORT,
        201,
    )
    barrier = threading.Barrier(2)
    results: list[int] = []

    def receive() -> None:
        barrier.wait()
        results.append(problem(shop_api, "POST", f"/returns/{rma['id']}/receive", Role.WAREHOUSE)[0])

    threads = [threading.Thread(target=receive) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    assert event_types(shop_api, order_id).count("return.received") == 1
    assert len(shop_api.get("/tasks", process_instance_id=rma["process_instance_id"])["data"]) == 1


def test_bad_returns_are_refused_naming_the_problem_and_nothing_is_written(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA7", [("MUG-STONE", 1)])
    deliver(shop_api, shipments, at="2020-01-02T10:00:00Z")  # long ago: the window is closed
    shop_api.receive("BER-1", "KNIFE-CHEF", 1)
    unshipped = shop_api.post(
        "/orders",
        {**_draft("WEB-RMA8"), "lines": [{"sku": "KNIFE-CHEF", "quantity": 1}]},
        Role.INTEGRATION,
        201,
    )["id"]
    before = event_types(shop_api, order_id)
    cases = [
        (
            {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
            422,
            "return_window_closed",
            "order_id",
        ),
        (
            {"order_id": unshipped, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
            422,
            "invalid_return",
            "lines[0]",
        ),
        (
            {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 2}], "reason_code": "damaged"},
            422,
            "invalid_return",
            "lines[0].quantity",
        ),
        (
            {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "bored"},
            422,
            "invalid_return",
            "reason_code",
        ),
        (
            {"order_id": order_id, "lines": [{"line_no": 9, "quantity": 1}], "reason_code": "damaged"},
            422,
            "invalid_return",
            "lines[0].line_no",
        ),
        (
            {"order_id": "ORD-NOPE", "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
            404,
            "not_found",
            "order_id",
        ),
    ]
    for body, status, code, path in cases:
        got, problem_body = problem(shop_api, "POST", "/returns", Role.SUPPORT, body)
        assert (got, problem_body["code"]) == (status, code), problem_body
        assert problem_body["errors"][0]["path"] == path, problem_body
    status, _ = problem(shop_api, "POST", "/returns", Role.WAREHOUSE, cases[0][0])
    assert status == 403
    assert shop_api.get("/returns", order_id=order_id)["count"] == 0
    assert shop_api.get("/returns", order_id=unshipped)["count"] == 0
    assert event_types(shop_api, order_id) == before


def test_a_parcel_that_never_arrives_closes_the_rma(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA9", [("MUG-STONE", 1)])
    deliver(shop_api, shipments)
    rma = shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
        Role.SUPPORT,
        201,
    )
    shop_api.run_timers(days=22)  # the default wait is 21 days
    assert shop_api.get(f"/returns/{rma['id']}")["status"] == "expired"
    assert "return.closed" in event_types(shop_api, order_id)
    status, body = problem(shop_api, "POST", f"/returns/{rma['id']}/receive", Role.WAREHOUSE)
    assert status == 409 and "expired" in body["detail"]
    # the units are free to be returned again
    shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "damaged"},
        Role.SUPPORT,
        201,
    )


def _draft(external_id: str) -> dict[str, Any]:
    from order_flow_support import draft

    return draft(external_id, [("KNIFE-CHEF", 1)])


def test_a_carrier_integration_may_announce_the_parcel_with_the_message(shop_api: ShopApi) -> None:
    order_id, shipments = shipped_order(shop_api, "WEB-RMA10", [("MUG-STONE", 1)])
    deliver(shop_api, shipments)
    rma = shop_api.post(
        "/returns",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}], "reason_code": "wrong_item"},
        Role.INTEGRATION,
        201,
    )
    assert rma["category"] == "stock_accuracy"
    message = {
        "name": "return.parcel_received",
        "correlation_key": rma["id"],
        "variables": {"received_by": "dhl"},
    }
    shop_api.post("/messages", message, Role.INTEGRATION, 201)
    received = shop_api.get(f"/returns/{rma['id']}")
    assert received["status"] == "received" and received["received_at"]
    assert event_types(shop_api, order_id).count("return.received") == 1
    status, _ = problem(shop_api, "POST", f"/returns/{rma['id']}/receive", Role.WAREHOUSE)
    assert status == 409
