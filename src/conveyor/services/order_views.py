"""Reading orders: the list with filters and a cursor, one order in full, its timeline.

What ``GET /orders/{id}`` shows is assembled here from the order tables, the
stock reservations and the workflow's side tables, so the API layer only
shapes JSON. Pages are newest first; the cursor is the opaque
``(created_at, id)`` of the last order of a page.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder, StoredPickList, StoredShipment
from conveyor.adapters.repositories.stock import SqlStock
from conveyor.domain.money import Money
from conveyor.errors import InvalidInput, NotFound
from conveyor.services import order_status
from conveyor.services.unit_of_work import SqlUnitOfWork


def _money(minor: int | None, currency: str | None) -> str | None:
    if minor is None or currency is None:
        return None
    return Money.from_minor(minor, currency).as_string()


def order_summary(order: StoredOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "channel": order.channel,
        "external_id": order.external_id,
        "status": order.status,
        "currency": order.currency,
        "total": _money(order.total_minor, order.currency),
        "customer": order.customer,
        "placed_at": order.placed_at,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "process_instance_id": order.process_instance_id,
    }


def order_detail(uow: SqlUnitOfWork, order_id: str) -> dict[str, Any]:
    """What ``GET /orders/{id}`` shows: lines, allocations, pick lists, shipments, workflow, timeline."""
    with uow:
        session = uow.session
        repo = SqlOrders(session)
        order = repo.get(order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id!r}; GET /api/v1/orders lists them")
        reservations = SqlStock(session).reservations_of(order_id, state=None)
        pick_lists = repo.pick_lists(order_id=order_id)
        shipments = repo.shipments(order_id=order_id)
        return detail_of(
            order,
            allocations=[
                {
                    "line_no": r.line_no,
                    "warehouse": r.warehouse,
                    "sku": r.sku,
                    "quantity": r.quantity,
                    "state": r.state,
                }
                for r in reservations
            ],
            pick_lists=pick_lists,
            shipments=shipments,
            waiting_at=order_status.waiting_nodes(session, order.process_instance_id),
            open_tasks=order_status.open_tasks(session, order.process_instance_id),
            timeline=order_status.timeline(session, order, pick_lists=pick_lists, shipments=shipments),
        )


def detail_of(
    order: StoredOrder,
    *,
    allocations: list[dict[str, Any]],
    pick_lists: list[StoredPickList],
    shipments: list[StoredShipment],
    waiting_at: list[dict[str, Any]],
    open_tasks: list[dict[str, Any]],
    timeline: list[dict[str, Any]],
) -> dict[str, Any]:
    """An order's detail from its parts (read by ``order_detail``, or just written by batched placement)."""
    detail = order_summary(order)
    detail.update(
        shipping_address=order.shipping_address,
        billing_address=order.billing_address,
        amounts={
            name: _money(getattr(order, f"{name}_minor"), order.currency)
            for name in ("subtotal", "shipping", "tax", "discount", "total")
        },
        lines=[
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price_minor, order.currency),
                "backordered": line.backordered,
            }
            for line in order.lines
        ],
        allocations=allocations,
        pick_lists=[pick_list_public(p) for p in pick_lists],
        shipments=[shipment_public(s) for s in shipments],
        workflow={"process_instance_id": order.process_instance_id, "waiting_at": waiting_at},
        open_tasks=open_tasks,
        timeline=timeline,
    )
    return detail


def order_timeline(uow: SqlUnitOfWork, order_id: str) -> list[dict[str, Any]]:
    with uow:
        order = SqlOrders(uow.session).get(order_id, with_lines=False)
        if order is None:
            raise NotFound(f"There is no order {order_id!r}; GET /api/v1/orders lists them")
        return order_status.timeline(uow.session, order)


def list_orders(
    uow: SqlUnitOfWork,
    *,
    status: str | None = None,
    channel: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of orders, newest first, and the cursor of the next page (None at the end)."""
    with uow:
        page = SqlOrders(uow.session).page(
            status=status, channel=channel, after=decode_cursor(after), limit=limit
        )
    cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(page) == limit else None
    return [order_summary(o) for o in page], cursor


def encode_cursor(at: datetime, order_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{order_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, order_id = text.split("|", 1)
        return datetime.fromisoformat(at), order_id
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput(
            "The cursor is not one this API gave out; pass the next_cursor of the previous page",
            errors=[{"loc": ["query", "after"], "path": "after", "msg": "invalid cursor"}],
        ) from err


def pick_list_public(p: StoredPickList) -> dict[str, Any]:
    return {
        "id": p.id,
        "order_id": p.order_id,
        "warehouse": p.warehouse,
        "status": p.status,
        "created_at": p.created_at,
        "confirmed_at": p.confirmed_at,
        "confirmed_by": p.confirmed_by,
        "lines": [
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "bin_location": line.bin_location,
                "picked": line.picked,
            }
            for line in p.lines
        ],
    }


def shipment_public(s: StoredShipment) -> dict[str, Any]:
    return {
        "id": s.id,
        "order_id": s.order_id,
        "warehouse": s.warehouse,
        "pick_list_id": s.pick_list_id,
        "status": s.status,
        "carrier": s.carrier,
        "service": s.service,
        "tracking_number": s.tracking_number,
        "weight_grams": s.weight_grams,
        "price": _money(s.price_minor, s.currency),
        "promised_by": s.promised_by,
        "created_at": s.created_at,
        "handed_over_at": s.handed_over_at,
        "delivered_at": s.delivered_at,
        "has_label": s.has_label,
    }
