"""The service tasks of the bundled processes that events start (see ``services/dispatcher.py``):

- ``customer-notifications`` -> ``notify.customer``: at the milestones the order's
  channel enables (``notification_milestones``), hand a status message to the
  notification service (``conveyor.services.notifications.send_notification``
  or the notifier set with ``set_notifier``), which renders and queues the
  email in the same transaction; ``notification_requests`` records each
  decision (``sent`` with the notification id, or ``skipped`` and why).
- ``carrier-manifest`` -> ``carrier.manifest_add``: each handed-over shipment
  becomes a line of its carrier's pickup manifest for the warehouse and day.
- ``demand-signals`` -> ``demand.record_signals``: ordered, reserved and
  backordered quantities per SKU, warehouse and day (the forecast's input).

Each handler is idempotent on the event id it was started with, so a process
run twice for one event (a replay) records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.delivery_tables import (
    carrier_manifest_entries,
    demand_signals,
    notification_requests,
)
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.domain.order_status import DEFAULT_STATUS_BY_EVENT
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import InvalidInput, NotFound
from conveyor.logs import get_logger
from conveyor.services.notifications import send_notification
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.handlers import HandlerRegistry

log = get_logger(__name__)

Result = Mapping[str, Any] | None
#: ``send_notification(uow, *, event_type, channel_code, order_id, recipient, context) -> id``
Notifier = Callable[..., int]
_notifier: Notifier | None = None


def set_notifier(notifier: Notifier | None) -> None:
    """Use ``notifier`` to send customer notifications (None: the notification service)."""
    global _notifier
    _notifier = notifier


def _find_notifier() -> Notifier:
    return _notifier or send_notification


def _event(ctx: HandlerContext) -> dict[str, Any]:
    event = ctx.variables.get("event")
    if not isinstance(event, Mapping) or not event.get("id") or not event.get("type"):
        raise InvalidInput(
            "This task runs in a process started by an event: the variable 'event' (id, type) is missing"
        )
    return dict(event)


def _day(event: Mapping[str, Any], fallback: datetime | None = None) -> date:
    raw = event.get("time")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC).date()
        except ValueError:
            pass
    return (fallback or datetime.now(UTC)).astimezone(UTC).date()


def _at(event: Mapping[str, Any]) -> datetime:
    raw = event.get("time")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


# --- customer notifications ----------------------------------------------------------------------


def notify_customer(ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
    event = _event(ctx)
    session = uow.session
    if session.execute(
        select(notification_requests.c.id).where(notification_requests.c.event_id == event["id"])
    ).first():
        return {"notified": "already"}
    order_id = str(ctx.variables.get("order_id") or event.get("subject") or "")
    order = SqlOrders(session).get(order_id, with_lines=False) if order_id else None
    if order is None:
        raise NotFound(f"The event {event['type']} names no stored order ({order_id!r})")
    milestone = DEFAULT_STATUS_BY_EVENT.get(str(event["type"]))
    channel = SqlConfiguration(session).channel(order.channel)
    recipient = order.customer.get("email") if isinstance(order.customer, Mapping) else None
    context = {
        "order_id": order.id,
        "external_id": order.external_id,
        "milestone": milestone.value if milestone else None,
        "customer_name": order.customer.get("name") if isinstance(order.customer, Mapping) else None,
        "total": str(order.total),
        "currency": order.currency,
        **{
            key: ctx.variables.get(key)
            for key in ("shipment_id", "carrier", "tracking_number", "at")
            if ctx.variables.get(key) is not None
        },
    }
    status, notification_id, reason = "skipped", None, None
    if milestone is None or channel is None or not channel.notifies_at(milestone):
        status, reason = "skipped", f"channel {order.channel} does not notify at {event['type']}"
    elif not recipient:
        status, reason = "skipped", "the order has no customer email"
    else:
        notification_id = _find_notifier()(
            uow,
            event_type=str(event["type"]),
            channel_code=order.channel,
            order_id=order.id,
            recipient=str(recipient),
            context=context,
        )
        status = "sent"
    session.execute(
        insert(notification_requests).values(
            order_id=order.id,
            milestone=milestone.value if milestone else str(event["type"]),
            event_id=event["id"],
            event_type=event["type"],
            channel_code=order.channel,
            recipient=recipient,
            status=status,
            notification_id=notification_id,
            context={**context, **({"reason": reason} if reason else {})},
            created_at=_at(event),
        )
    )
    uow.record(
        {
            "type": f"customer.notification_{status}",
            "order_id": order.id,
            "milestone": context["milestone"],
            "event_type": event["type"],
            **({"reason": reason} if reason else {}),
        }
    )
    return {"notified": status}


# --- carrier manifests --------------------------------------------------------------------------


def add_to_manifest(ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
    event = _event(ctx)
    shipment_id = ctx.variables.get("shipment_id")
    if not shipment_id:
        raise InvalidInput(f"The event {event['type']} carries no shipment_id")
    session = uow.session
    if session.execute(
        select(carrier_manifest_entries.c.id).where(
            carrier_manifest_entries.c.shipment_id == str(shipment_id)
        )
    ).first():
        return {"manifested": "already"}
    repo = SqlOrders(session)
    shipment = repo.shipment(str(shipment_id))
    if shipment is None:
        raise NotFound(f"The event {event['type']} names no stored shipment ({shipment_id!r})")
    if not shipment.carrier:
        raise InvalidInput(f"Shipment {shipment.id} was handed over without a carrier")
    order = repo.get(shipment.order_id, with_lines=False)
    handed_over = shipment.handed_over_at or _at(event)
    day = handed_over.astimezone(UTC).date()
    country = order.shipping_address.get("country") if order is not None else None
    session.execute(
        insert(carrier_manifest_entries).values(
            carrier_code=shipment.carrier,
            warehouse_code=shipment.warehouse,
            manifest_date=day,
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            tracking_number=shipment.tracking_number,
            service=shipment.service,
            parcels=1,
            weight_grams=shipment.weight_grams,
            destination_country=country if isinstance(country, str) and len(country) == 2 else None,
            handed_over_at=handed_over,
            event_id=event["id"],
        )
    )
    uow.record(
        {
            "type": "carrier_manifest.updated",
            "key": f"{shipment.carrier}/{shipment.warehouse}/{day.isoformat()}",
            "carrier": shipment.carrier,
            "warehouse": shipment.warehouse,
            "date": day.isoformat(),
            "shipment_id": shipment.id,
        }
    )
    return {"manifested": True}


def manifests(session: Session, carrier: str, day: date) -> list[dict[str, Any]]:
    """The carrier's pickup manifests of ``day``, one per warehouse, with their shipments."""
    m = carrier_manifest_entries.c
    rows = session.execute(
        select(carrier_manifest_entries)
        .where(m.carrier_code == carrier, m.manifest_date == day)
        .order_by(m.warehouse_code, m.handed_over_at, m.id)
    )
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        manifest = found.setdefault(
            row.warehouse_code,
            {
                "carrier": carrier,
                "warehouse": row.warehouse_code,
                "date": day,
                "parcels": 0,
                "weight_grams": 0,
                "shipments": [],
            },
        )
        manifest["parcels"] += row.parcels
        manifest["weight_grams"] += row.weight_grams or 0
        manifest["shipments"].append(
            {
                "shipment_id": row.shipment_id,
                "order_id": row.order_id,
                "tracking_number": row.tracking_number,
                "service": row.service,
                "parcels": row.parcels,
                "weight_grams": row.weight_grams,
                "destination_country": row.destination_country,
                "handed_over_at": row.handed_over_at,
            }
        )
    return list(found.values())


# --- demand signals -----------------------------------------------------------------------------------


def record_demand(ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
    event = _event(ctx)
    session = uow.session
    if session.execute(select(demand_signals.c.id).where(demand_signals.c.event_id == event["id"])).first():
        return {"signals": "already"}
    kind_of = {
        "order.created": "ordered",
        "inventory.reserved": "reserved",
        "order.backordered": "backordered",
    }
    kind = kind_of.get(str(event["type"]))
    if kind is None:
        raise InvalidInput(f"demand.record_signals takes {', '.join(kind_of)} events, not {event['type']!r}")
    order_id = ctx.variables.get("order_id") or event.get("subject")
    quantities: dict[tuple[str, str], int] = {}
    if kind == "ordered":
        order = SqlOrders(session).get(str(order_id), with_lines=True) if order_id else None
        if order is None:
            raise NotFound(f"The event {event['type']} names no stored order ({order_id!r})")
        for line in order.lines:
            quantities[(line.sku, "")] = quantities.get((line.sku, ""), 0) + line.quantity
    elif kind == "reserved":
        sku, warehouse, quantity = (ctx.variables.get(k) for k in ("sku", "warehouse", "quantity"))
        if not sku or not isinstance(quantity, int):
            raise InvalidInput("an inventory.reserved event needs sku and quantity")
        quantities[(str(sku), str(warehouse or ""))] = quantity
    else:
        warehouse = str(ctx.variables.get("warehouse") or "")
        for line in ctx.variables.get("lines") or []:
            if isinstance(line, Mapping) and line.get("sku") and isinstance(line.get("quantity"), int):
                key = (str(line["sku"]), warehouse)
                quantities[key] = quantities.get(key, 0) + int(line["quantity"])
    day, now = _day(event), _at(event)
    rows = [
        {
            "day": day,
            "sku": sku,
            "warehouse_code": warehouse,
            "kind": kind,
            "quantity": quantity,
            "order_id": None if order_id is None else str(order_id),
            "event_id": event["id"],
            "recorded_at": now,
        }
        for (sku, warehouse), quantity in sorted(quantities.items())
        if quantity > 0
    ]
    if rows:
        session.execute(insert(demand_signals), rows)
        uow.record(
            {
                "type": "demand_signal.recorded",
                "order_id": order_id,
                "kind": kind,
                "day": day.isoformat(),
                "skus": sorted({row["sku"] for row in rows}),
            }
        )
    return {"signals": len(rows)}


def demand_summary(
    session: Session,
    *,
    start: date | None = None,
    end: date | None = None,
    sku: str | None = None,
    warehouse: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Quantities ordered, reserved and backordered per day, SKU and warehouse ('' = not yet allocated)."""
    d = demand_signals.c

    def total(kind: str) -> Any:
        return func.coalesce(func.sum(case((d.kind == kind, d.quantity), else_=0)), 0)

    query = select(
        d.day, d.sku, d.warehouse_code, total("ordered"), total("reserved"), total("backordered")
    ).group_by(d.day, d.sku, d.warehouse_code)
    if start is not None:
        query = query.where(d.day >= start)
    if end is not None:
        query = query.where(d.day <= end)
    if sku is not None:
        query = query.where(d.sku == sku)
    if warehouse is not None:
        query = query.where(d.warehouse_code == warehouse)
    rows = session.execute(query.order_by(d.day, d.sku, d.warehouse_code).limit(limit))
    return [
        {
            "day": row[0],
            "sku": row[1],
            "warehouse": row[2] or None,
            "ordered": int(row[3]),
            "reserved": int(row[4]),
            "backordered": int(row[5]),
        }
        for row in rows
    ]


EVENT_HANDLERS = {
    "notify.customer": notify_customer,
    "carrier.manifest_add": add_to_manifest,
    "demand.record_signals": record_demand,
}


def register_event_handlers(registry: HandlerRegistry) -> None:
    """Bind the bundled event processes' service tasks (the composition root calls it)."""
    for task_type, handler in EVENT_HANDLERS.items():
        if task_type not in registry:
            registry.register(task_type, handler)
