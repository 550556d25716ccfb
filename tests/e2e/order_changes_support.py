"""What the order-change e2e tests share: the payment ledger, the order's events, invariants."""

from __future__ import annotations

from typing import Any

from order_flow_support import ShopApi

from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.domain.money import Money
from conveyor.domain.payments import PaymentEntry, PaymentEntryKind, PaymentLedger


def payment_ledger(api: ShopApi, order_id: str) -> PaymentLedger:
    with api.runtime.unit_of_work() as uow:
        rows = SqlOrders(uow.session).payment_entries(order_id)
        order = SqlOrders(uow.session).get(order_id, with_lines=False)
    assert order is not None
    entries = tuple(
        PaymentEntry(
            PaymentEntryKind(r.kind),
            Money.from_minor(r.amount_minor, r.currency),
            r.transaction_id,
            r.at,
            r.reason,
        )
        for r in rows
    )
    return PaymentLedger(order_id, order.currency, entries)


def order_events(api: ShopApi, order_id: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = api.get("/events", subject=order_id, limit=1000)["items"]
    return data


def event_types(api: ShopApi, order_id: str) -> list[str]:
    return [event["type"] for event in order_events(api, order_id)]


def stock(api: ShopApi, warehouse: str, sku: str) -> tuple[int, int]:
    [level] = api.get("/inventory/levels", warehouse=warehouse, sku=sku)["data"]
    return level["on_hand"], level["reserved"]


def assert_nothing_negative(api: ShopApi) -> None:
    for level in api.get("/inventory/levels", limit=500)["data"]:
        assert level["on_hand"] >= 0 and level["reserved"] >= 0 and level["available"] >= 0, level
