"""Declined cards wait for a new payment method (then pay, or are cancelled by the timer); outages retry."""

from __future__ import annotations

import pytest
from order_changes_support import event_types, payment_ledger, stock
from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.problems import problems_of
from conveyor.services import configuration

__all__ = ["shop_api"]


def test_a_declined_card_notifies_the_customer_and_a_new_card_lets_the_order_go_on(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post(
        "/orders", draft("WEB-PAY-1", [("MUG-STONE", 2)], token="tok_decline"), Role.INTEGRATION, 201
    )
    order_id = placed["id"]
    assert placed["status"] == "awaiting_payment_method"
    assert placed["allocations"] == [] and stock(api, "BER-1", "MUG-STONE") == (5, 0)
    [declined] = api.get("/events", subject=order_id, type="payment.declined")["items"]
    assert declined["data"]["reason"] == "card_declined" and declined["data"]["email"] == "ada@example.com"
    recorded = api.get("/events", subject=order_id, type="exception.recorded")["items"]
    assert [e["data"]["exception_type"] for e in recorded] == ["payment.declined"]
    assert recorded[0]["data"]["category"] == "payment"
    assert payment_ledger(api, order_id).authorized.is_zero

    order = api.post(f"/orders/{order_id}/payment-method", {"payment_token": "tok_visa"}, Role.SUPPORT)

    assert order["status"] == "picking"
    assert sum(a["quantity"] for a in order["allocations"]) == 2
    ledger = payment_ledger(api, order_id)
    assert ledger.authorized.as_string() == order["amounts"]["total"]
    assert ledger.capturable == ledger.authorized
    types = event_types(api, order_id)
    assert types.index("payment.declined") < types.index("order.payment_method_updated")
    assert types.index("order.payment_method_updated") < types.index("payment.authorized")
    # the order does not wait for a payment method any more
    again = api.post(f"/orders/{order_id}/payment-method", {"payment_token": "tok_visa"}, Role.SUPPORT, 409)
    assert again["code"] == "payment_method_not_awaited"
    api.assert_ledger_consistent()


def test_a_second_decline_waits_again_and_the_timer_cancels_the_order(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    decline = draft("WEB-PAY-2", [("MUG-STONE", 1)], token="tok_insufficient_funds")
    placed = api.post("/orders", decline, Role.INTEGRATION, 201)
    order_id = placed["id"]
    order = api.post(f"/orders/{order_id}/payment-method", {"payment_token": "tok_decline"}, Role.SUPPORT)
    assert order["status"] == "awaiting_payment_method"

    api.run_timers(days=1)
    assert api.order(order_id)["status"] == "awaiting_payment_method"  # within the configured P3D
    api.run_timers(days=3.5)

    order = api.order(order_id)
    assert order["status"] == "cancelled" and order["workflow"]["waiting_at"] == []
    assert stock(api, "BER-1", "MUG-STONE") == (5, 0)
    ledger = payment_ledger(api, order_id)
    assert ledger.authorized.is_zero and ledger.balance.is_zero
    types = event_types(api, order_id)
    assert types.count("payment.declined") == 2 and types[-1] in ("order.cancelled", "exception.recorded")
    refused = api.post(f"/orders/{order_id}/payment-method", {"payment_token": "tok_visa"}, Role.SUPPORT, 409)
    assert refused["code"] == "payment_method_not_awaited"
    api.assert_ledger_consistent()


def test_a_payment_method_must_be_a_token(shop_api: ShopApi) -> None:
    api = shop_api
    placed = api.post(
        "/orders", draft("WEB-PAY-3", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    for body in ({}, {"payment_token": ""}, {"payment_token": 42}):
        problem = api.post(f"/orders/{placed['id']}/payment-method", body, Role.SUPPORT, 422)
        assert problem["errors"][0]["loc"] == ["payment_token"]
    assert api.order(placed["id"])["status"] == "awaiting_payment_method"
    assert "order.payment_method_updated" not in event_types(api, placed["id"])


def test_provider_errors_are_retried_and_become_an_incident(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 5)
    placed = api.post(
        "/orders", draft("WEB-PAY-4", [("MUG-STONE", 1)], token="tok_error"), Role.INTEGRATION, 201
    )
    order_id = placed["id"]
    assert placed["allocations"] == []
    for day in range(1, 6):  # each retry is due after its back-off: all of them fail
        api.run_timers(days=day)
    incidents = api.get("/incidents", Role.MANAGER)["data"]
    mine = [i for i in incidents if i["instance_id"] == placed["process_instance_id"]]
    assert [i["node"] for i in mine] == ["verify_payment"]
    assert "processing_error" in mine[0]["error"]
    recorded = api.get("/events", subject=order_id, type="exception.recorded")["items"]
    assert [(e["data"]["exception_type"], e["data"]["category"]) for e in recorded] == [
        ("incident.created", "system")
    ]
    assert payment_ledger(api, order_id).authorized.is_zero
    # the order can still be cancelled while its payment step is an incident
    cancelled = api.post(f"/orders/{order_id}/cancel", {"reason": "provider outage"}, Role.SUPPORT)
    assert cancelled["status"] == "cancelled"
    api.assert_ledger_consistent()


def test_the_wait_for_a_new_payment_method_is_configuration(shop_api: ShopApi) -> None:
    api = shop_api
    with pytest.raises(InvalidConfigDocument) as refused:
        configuration.apply_configuration(
            api.runtime.unit_of_work(), {"order_changes": {"payment_method_wait": "three days"}}
        )
    assert [p.path for p in problems_of(refused.value)] == ["order_changes.payment_method_wait"]
    configuration.apply_configuration(
        api.runtime.unit_of_work(), {"order_changes": {"payment_method_wait": "PT12H"}}
    )
    exported = configuration.export_configuration(api.runtime.unit_of_work())
    assert exported["order_changes"] == {"payment_method_wait": "PT12H"}

    placed = api.post(
        "/orders", draft("WEB-PAY-5", [("MUG-STONE", 1)], token="tok_decline"), Role.INTEGRATION, 201
    )
    api.run_timers(days=0.6)
    assert api.order(placed["id"])["status"] == "cancelled"
