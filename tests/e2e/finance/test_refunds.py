"""Refunds through the API: the ledger, partial refunds per line and shipping, approval, retries, races."""

from __future__ import annotations

import threading
from decimal import Decimal

from finance_support import event_types, events_of, problem, shipped_order
from order_flow_support import ShopApi

from conveyor.domain.auth import Role
from conveyor.services import finance


def test_a_partial_refund_per_line_plus_shipping_is_issued_and_shows_in_the_ledger(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF1", [("MUG-STONE", 2)])
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert (ledger["authorized"], ledger["captured"], ledger["refunded"]) == ("29.99", "29.99", "0.00")
    assert ledger["refundable"] == "29.99" and ledger["balance"] == "29.99"

    body = {
        "order_id": order_id,
        "lines": [{"line_no": 1, "quantity": 1}],
        "shipping": "4.99",
        "reason": "One mug arrived cracked",
    }
    refund = shop_api.post("/refunds", body, Role.SUPPORT, 201)
    assert refund["status"] == "issued" and refund["amount"] == "17.49"
    assert refund["transaction_id"].startswith("sbx_ref_")
    assert refund["lines"] == [{"line_no": 1, "sku": "MUG-STONE", "quantity": 1, "amount": "12.50"}]

    ledger = shop_api.get("/payments", order_id=order_id)
    assert (ledger["captured"], ledger["refunded"], ledger["refundable"], ledger["balance"]) == (
        "29.99",
        "17.49",
        "12.50",
        "12.50",
    )
    assert [e["kind"] for e in ledger["entries"]] == ["authorization", "capture", "refund"]
    types = event_types(shop_api, order_id)
    assert types.index("refund.requested") < types.index("refund.issued")
    issued = next(e for e in events_of(shop_api, order_id) if e["type"] == "refund.issued")
    assert issued["data"]["amount"] == "17.49" and issued["data"]["balance"] == "12.50"
    # the shipping was given back once: a second shipping refund is refused naming the field
    status, body = problem(
        shop_api,
        "POST",
        "/refunds",
        Role.SUPPORT,
        {"order_id": order_id, "shipping": "1.00", "reason": "again"},
    )
    assert status == 422 and body["errors"][0]["path"] == "shipping"


def test_a_refund_above_the_threshold_waits_for_finance_approval(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF2", [("KNIFE-CHEF", 2)])  # 128.00 + 4.99
    refund = shop_api.post(
        "/refunds",
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 2}], "reason": "Both knives blunt"},
        Role.SUPPORT,
        201,
    )
    assert refund["status"] == "awaiting_approval"
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert ledger["pending_refunds"] == "128.00" and ledger["refundable"] == "4.99"
    [task] = shop_api.get("/tasks", process_instance_id=refund["process_instance_id"])["data"]
    assert task["candidate_groups"] == ["finance"]
    # support may not approve it; finance may
    status, _ = problem(
        shop_api, "POST", f"/tasks/{task['id']}/complete", Role.SUPPORT, {"variables": {"approved": True}}
    )
    assert status == 403
    shop_api.post(f"/tasks/{task['id']}/complete", {"variables": {"approved": True}}, Role.FINANCE)
    after = shop_api.get(f"/refunds/{refund['id']}")
    assert after["status"] == "issued" and after["decided_by"]
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "128.00"


def test_a_rejected_refund_releases_its_claim(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF3", [("KNIFE-CHEF", 2)])
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "120.00", "reason": "goodwill"}, Role.FINANCE, 201
    )
    status, body = problem(
        shop_api, "POST", f"/refunds/{refund['id']}/decision", Role.FINANCE, {"approved": False}
    )
    assert status == 422 and body["errors"][0]["path"] == "reason"
    # from the inbox without a reason: the form's requiredWhen refuses it, the task stays open
    [task] = shop_api.get("/tasks", process_instance_id=refund["process_instance_id"])["data"]
    status, body = problem(
        shop_api, "POST", f"/tasks/{task['id']}/complete", Role.FINANCE, {"variables": {"approved": False}}
    )
    assert status == 422 and [e["path"] for e in body["errors"]] == ["variables.reason"]
    [again] = shop_api.get("/tasks", process_instance_id=refund["process_instance_id"])["data"]
    assert (
        again["id"] == task["id"]
        and shop_api.get(f"/refunds/{refund['id']}")["status"] == "awaiting_approval"
    )
    status, _ = problem(
        shop_api,
        "POST",
        f"/refunds/{refund['id']}/decision",
        Role.SUPPORT,
        {"approved": False, "reason": "no"},
    )
    assert status == 403
    decided = shop_api.post(
        f"/refunds/{refund['id']}/decision", {"approved": False, "reason": "too generous"}, Role.FINANCE
    )
    assert decided["status"] == "rejected" and decided["decision_reason"] == "too generous"
    status, body = problem(
        shop_api, "POST", f"/refunds/{refund['id']}/decision", Role.FINANCE, {"approved": True}
    )
    assert status == 409
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert (ledger["refunded"], ledger["pending_refunds"], ledger["refundable"]) == ("0.00", "0.00", "132.99")
    assert "refund.rejected" in event_types(shop_api, order_id)


def test_a_refund_above_what_was_captured_is_refused_naming_the_amount_and_writes_nothing(
    shop_api: ShopApi,
) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF4", [("MUG-STONE", 1)])  # 17.49 captured
    before = event_types(shop_api, order_id)
    status, body = problem(
        shop_api,
        "POST",
        "/refunds",
        Role.SUPPORT,
        {"order_id": order_id, "amount": "20.00", "reason": "too much"},
    )
    assert status == 422 and body["code"] == "refund_exceeds_captured"
    assert "20.00" in body["detail"] and body["errors"][0]["path"] == "amount"
    status, body = problem(
        shop_api,
        "POST",
        "/refunds",
        Role.SUPPORT,
        {"order_id": order_id, "lines": [{"line_no": 1, "quantity": 3}], "reason": "x"},
    )
    assert status == 422 and body["errors"][0]["path"] == "lines[0].quantity"
    status, body = problem(
        shop_api,
        "POST",
        "/refunds",
        Role.SUPPORT,
        {"order_id": order_id, "lines": [{"line_no": 7, "quantity": 1}], "reason": "x"},
    )
    assert status == 422 and body["errors"][0]["path"] == "lines[0].line_no"
    status, _ = problem(
        shop_api, "POST", "/refunds", Role.SUPPORT, {"order_id": "ORD-NOPE", "amount": "1", "reason": "x"}
    )
    assert status == 404
    status, _ = problem(
        shop_api, "POST", "/refunds", Role.WAREHOUSE, {"order_id": order_id, "amount": "1", "reason": "x"}
    )
    assert status == 403
    assert shop_api.get("/refunds", order_id=order_id)["count"] == 0
    assert event_types(shop_api, order_id) == before
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "0.00"


def test_a_provider_outage_is_retried_and_then_becomes_an_incident(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF5", [("MUG-STONE", 1)], token="tok_refund_error")
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "5.00", "reason": "late"}, Role.SUPPORT, 201
    )
    assert refund["status"] == "approved"  # not paid out yet: the provider failed, a retry is scheduled
    for day in range(1, 4):  # each retry waits for its backoff
        shop_api.run_timers(days=day)
    incidents = shop_api.get("/incidents", Role.MANAGER, process_instance_id=refund["process_instance_id"])
    assert incidents["count"] == 1 and "refund_processing_error" in incidents["data"][0]["error"]
    assert incidents["data"][0]["node"] == "issue_refund"
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "0.00"
    assert shop_api.get(f"/orders/{order_id}/payments")["pending_refunds"] == "5.00"


def test_a_transient_provider_failure_is_retried_until_the_refund_is_paid(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF6", [("MUG-STONE", 1)])
    finance.sandbox_provider().fail_next_refunds(1)
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "5.00", "reason": "late"}, Role.SUPPORT, 201
    )
    assert refund["status"] == "approved"
    shop_api.run_timers(days=1)
    assert shop_api.get(f"/refunds/{refund['id']}")["status"] == "issued"
    assert shop_api.get(f"/orders/{order_id}/payments")["refunded"] == "5.00"


def test_a_refused_refund_fails_and_releases_its_claim(shop_api: ShopApi) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF7", [("MUG-STONE", 1)], token="tok_refund_declined")
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "5.00", "reason": "late"}, Role.SUPPORT, 201
    )
    assert refund["status"] == "failed"
    assert shop_api.get(f"/orders/{order_id}/payments")["refundable"] == "17.49"
    assert "refund.failed" in event_types(shop_api, order_id)


def test_two_refunds_racing_for_the_last_refundable_amount_one_wins_the_other_gets_409(
    shop_api: ShopApi,
) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RF8", [("MUG-STONE", 1)])  # 17.49 captured
    shop_api.post("/refunds", {"order_id": order_id, "amount": "7.49", "reason": "first"}, Role.SUPPORT, 201)
    barrier = threading.Barrier(2)
    results: list[tuple[int, dict[str, object]]] = []

    def race() -> None:
        barrier.wait()
        results.append(
            problem(
                shop_api,
                "POST",
                "/refunds",
                Role.SUPPORT,
                {"order_id": order_id, "amount": "10.00", "reason": "race"},
            )
        )

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in results) == [201, 409]
    loser = next(body for status, body in results if status == 409)
    assert loser["code"] == "refund_conflict"
    ledger = shop_api.get(f"/orders/{order_id}/payments")
    assert (ledger["refunded"], ledger["refundable"], ledger["balance"]) == ("17.49", "0.00", "0.00")
    assert [Decimal(r["amount"]) for r in ledger["refunds"]] == [Decimal("7.49"), Decimal("10.00")]
    assert event_types(shop_api, order_id).count("refund.issued") == 2
