"""Helpers for the finance, returns and carrier-exception e2e tests: orders shipped and delivered."""

from __future__ import annotations

from typing import Any

from order_flow_support import ShopApi, draft

from conveyor.domain.auth import Role


def shipped_order(
    api: ShopApi, external_id: str, lines: list[tuple[str, int]], *, token: str = "tok_visa"
) -> tuple[str, list[str]]:
    """An order placed, picked in full at BER-1 and handed over (payment captured): (id, shipment ids)."""
    for sku, quantity in lines:
        api.receive("BER-1", sku, quantity + 5)
    placed = api.post("/orders", draft(external_id, lines, token=token), Role.INTEGRATION, 201)
    for pick_list in placed["pick_lists"]:
        picked = {line["sku"]: line["quantity"] for line in pick_list["lines"]}
        api.post(f"/pick-lists/{pick_list['id']}/confirm", {"picked": picked}, Role.WAREHOUSE)
    order = api.order(placed["id"])
    assert order["status"] == "shipped", order["status"]
    return placed["id"], [s["id"] for s in order["shipments"]]


def deliver(api: ShopApi, shipment_ids: list[str], at: str = "2030-01-02T10:00:00Z") -> None:
    for shipment_id in shipment_ids:
        api.post(f"/shipments/{shipment_id}/tracking", {"type": "delivered", "at": at}, Role.INTEGRATION)


def events_of(api: ShopApi, order_id: str) -> list[dict[str, Any]]:
    """The order's events from the outbox feed, oldest first."""
    return list(api.get("/events", subject=order_id, limit=1000)["items"])


def event_types(api: ShopApi, order_id: str) -> list[str]:
    return [e["type"] for e in events_of(api, order_id)]


def problem(api: ShopApi, method: str, path: str, role: Role, body: Any = None) -> tuple[int, dict[str, Any]]:
    response = api.client.request(method, f"/api/v1{path}", json=body, headers=api.headers(role))
    return response.status_code, response.json()
