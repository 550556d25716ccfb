"""Cancelling an order through the API: BPMN compensation undoes the work, newest first, all or nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from order_changes_support import assert_nothing_negative, event_types, payment_ledger, stock
from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role
from conveyor.services import order_changes
from conveyor.services.workflow.handlers import default_registry

__all__ = ["shop_api"]


def _cancel(
    api: ShopApi, order_id: str, reason: Any = "customer changed their mind", expect: int = 200
) -> Any:
    return api.post(f"/orders/{order_id}/cancel", {"reason": reason}, Role.SUPPORT, expect=expect)


def test_cancelling_while_picking_releases_stock_cancels_pick_lists_and_voids_the_payment(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10, bin_location="A-3")
    api.receive("LYS-1", "KNIFE-CHEF", 4, bin_location="K-1")
    placed = api.post(
        "/orders", draft("WEB-CXL-1", [("MUG-STONE", 2), ("KNIFE-CHEF", 1)]), Role.INTEGRATION, 201
    )
    order_id = placed["id"]
    assert placed["status"] == "picking" and len(placed["pick_lists"]) == 2
    assert stock(api, "BER-1", "MUG-STONE") == (10, 2)
    assert payment_ledger(api, order_id).capturable.as_string() == placed["amounts"]["total"]
    before = len(event_types(api, order_id))

    cancelled = _cancel(api, order_id)

    assert cancelled["status"] == "cancelled"
    assert {p["status"] for p in cancelled["pick_lists"]} == {"cancelled"}
    assert {a["state"] for a in cancelled["allocations"]} == {"released"}
    assert cancelled["open_tasks"] == [] and cancelled["workflow"]["waiting_at"] == []
    assert stock(api, "BER-1", "MUG-STONE") == (10, 0)
    assert stock(api, "LYS-1", "KNIFE-CHEF") == (4, 0)
    ledger = payment_ledger(api, order_id)
    assert ledger.capturable.is_zero and ledger.captured.is_zero and ledger.balance.is_zero
    assert ledger.voided == ledger.authorized
    # newest first: the pick lists (created last) are cancelled before the stock is released,
    # the payment (verified first) is voided last, then the cancellation is recorded
    new = event_types(api, order_id)[before:]
    assert new.index("pick_list.cancelled") < new.index("inventory.released") < new.index("payment.voided")
    assert new.index("payment.voided") < new.index("order.cancelled")
    assert new.count("inventory.released") == 2 and new.count("pick_list.cancelled") == 2
    assert "exception.recorded" in new
    [cancelled_event] = api.get("/events", subject=order_id, type="order.cancelled")["items"]
    assert cancelled_event["data"]["reason"] == "customer changed their mind"
    changes = api.get(f"/orders/{order_id}/changes")["data"]
    assert [(c["kind"], c["reason"]) for c in changes] == [("cancellation", "customer changed their mind")]
    exceptions = api.get("/events", type="exception.recorded", subject=order_id)["items"]
    assert exceptions[-1]["data"]["exception_type"] == "order.cancelled"
    api.assert_ledger_consistent()
    assert_nothing_negative(api)


def test_cancelling_at_the_quality_check_and_cancelling_twice(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 3)
    placed = api.post("/orders", draft("WEB-CXL-QC", [("LAPTOP-14", 1)]), Role.INTEGRATION, 201)
    assert placed["status"] == "awaiting_quality_check"
    cancelled = _cancel(api, placed["id"], reason="duplicate order")
    assert cancelled["status"] == "cancelled" and cancelled["open_tasks"] == []
    assert stock(api, "BER-1", "LAPTOP-14") == (3, 0)

    again = _cancel(api, placed["id"], expect=409)
    assert again["code"] == "order_not_cancellable" and "already cancelled" in again["detail"]
    assert len(api.get(f"/orders/{placed['id']}/changes")["data"]) == 1
    api.assert_ledger_consistent()


def test_a_shipped_order_cannot_be_cancelled_and_nothing_is_written(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("WAW-1", "SPEAKER-MINI", 2)
    warsaw = {"name": "Jan Kowalski", "line1": "ul. Marszałkowska 10", "city": "Warszawa", "country": "PL"}
    placed = api.post(
        "/orders", draft("WEB-CXL-SHIP", [("SPEAKER-MINI", 1)], address=warsaw), Role.INTEGRATION, 201
    )
    assert placed["status"] == "shipped"
    events_before = event_types(api, placed["id"])

    refused = _cancel(api, placed["id"], expect=409)

    assert refused["code"] == "order_not_cancellable"
    assert "handed over" in refused["detail"]
    assert api.order(placed["id"])["status"] == "shipped"
    assert event_types(api, placed["id"]) == events_before
    assert api.get(f"/orders/{placed['id']}/changes")["data"] == []
    assert payment_ledger(api, placed["id"]).balance.as_string() == placed["amounts"]["total"]
    api.assert_ledger_consistent()


@pytest.mark.parametrize(
    ("body", "field"), [({"reason": ""}, "reason"), ({}, "reason"), ({"reason": "x" * 501}, "reason")]
)
def test_a_cancellation_without_a_proper_reason_is_refused(
    shop_api: ShopApi, body: dict[str, Any], field: str
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post("/orders", draft("WEB-CXL-BAD", [("MUG-STONE", 1)]), Role.INTEGRATION, 201)
    problem = api.post(f"/orders/{placed['id']}/cancel", body, Role.SUPPORT, expect=422)
    assert problem["errors"][0]["loc"][-1] == field
    assert api.order(placed["id"])["status"] == "picking"
    api.post("/orders/ORD-NOPE/cancel", {"reason": "why not"}, Role.SUPPORT, expect=404)
    api.post(f"/orders/{placed['id']}/cancel", {"reason": "no"}, Role.WAREHOUSE, expect=403)


def test_a_failure_in_the_middle_of_compensation_rolls_everything_back(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    placed = api.post("/orders", draft("WEB-CXL-FAIL", [("MUG-STONE", 3)]), Role.INTEGRATION, 201)
    order_id = placed["id"]
    events_before = event_types(api, order_id)

    def broken(ctx: Any, uow: Any) -> None:
        raise RuntimeError("the payment provider is down")

    # the pick lists are cancelled and the stock released before the payment step fails
    registry = default_registry()
    registry.register("payment.void", broken)
    try:
        problem = _cancel(api, order_id, expect=409)
    finally:
        order_changes.register(registry)

    assert problem["code"] == "cancellation_failed" and "void_payment" in problem["detail"], problem
    order = api.order(order_id)
    assert order["status"] == "picking"
    assert {p["status"] for p in order["pick_lists"]} == {"open"}
    assert {a["state"] for a in order["allocations"]} == {"open"}
    assert stock(api, "BER-1", "MUG-STONE") == (10, 3)
    assert event_types(api, order_id) == events_before  # no event of the failed attempt exists
    assert api.get(f"/orders/{order_id}/changes")["data"] == []
    assert payment_ledger(api, order_id).voided.is_zero

    assert _cancel(api, order_id)["status"] == "cancelled"  # the provider is back: it works
    assert stock(api, "BER-1", "MUG-STONE") == (10, 0)
    api.assert_ledger_consistent()


def test_a_cancellation_racing_the_pick_confirmation_one_wins_nothing_counted_twice(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 10)
    placed = api.post("/orders", draft("WEB-CXL-RACE", [("MUG-STONE", 2)]), Role.INTEGRATION, 201)
    [pick_list] = placed["pick_lists"]
    results: dict[str, int] = {}
    start = threading.Barrier(2)

    def confirm() -> None:
        start.wait()
        response = api.client.post(
            f"/api/v1/pick-lists/{pick_list['id']}/confirm",
            json={"picked": {"MUG-STONE": 2}},
            headers=api.headers(Role.WAREHOUSE),
        )
        results["pick"] = response.status_code

    def cancel() -> None:
        start.wait()
        response = api.client.post(
            f"/api/v1/orders/{placed['id']}/cancel",
            json={"reason": "race"},
            headers=api.headers(Role.SUPPORT),
        )
        results["cancel"] = response.status_code

    threads = [threading.Thread(target=confirm), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results.values()) == [200, 409], results
    order = api.order(placed["id"])
    on_hand, reserved = stock(api, "BER-1", "MUG-STONE")
    ledger = payment_ledger(api, placed["id"])
    if results["pick"] == 200:  # picked and shipped; the cancellation came too late
        assert order["status"] == "shipped"
        assert (on_hand, reserved) == (8, 0)
        assert ledger.captured == ledger.authorized and ledger.voided.is_zero
    else:  # cancelled first; the pick list was cancelled under the picker
        assert order["status"] == "cancelled"
        assert (on_hand, reserved) == (10, 0)
        assert ledger.voided == ledger.authorized and ledger.captured.is_zero
    api.assert_ledger_consistent()
    assert_nothing_negative(api)
