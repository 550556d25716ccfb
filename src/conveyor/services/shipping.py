"""Shipping an order: pack, choose carrier and service, label, hand over, follow the carrier's tracking.

One shipment per picked pick list (a split order ships in several parcels).
Carrier selection is the domain's rule: the cheapest service that meets the
channel's promised delivery days for the destination zone; when none meets
the promise the cheapest that serves the destination is used and the
shipment is flagged (``shipment.promise_at_risk``) rather than left unshipped.
Hand-over consumes the reservations (the units leave the building: a
``shipment`` movement in the ledger) and captures the payment.

Tracking events arrive from carriers at least once (``POST
/shipments/{id}/tracking``): a repeat of the same type and time is ignored.
When every shipment of an order is delivered, the order's workflow gets the
``shipment.delivered`` message correlated by the order id.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Protocol

from conveyor.adapters.labels import ShippingLabel, render_label
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder, StoredShipment
from conveyor.domain.carriers import Quote, select_service
from conveyor.domain.errors import NoCarrierServiceFits
from conveyor.domain.inventory import ReferenceType
from conveyor.domain.parcel import Parcel, pack
from conveyor.domain.shipments import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent, TrackingEventType
from conveyor.errors import InvalidInput, NotFound
from conveyor.services import carrier_exceptions, order_status
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

DELIVERED_MESSAGE = "shipment.delivered"
#: days past the promised transit time before a late delivery is escalated
LATE_GRACE_DAYS = 1


class Correlator(Protocol):
    def correlate(
        self,
        name: str,
        correlation_key: Any = None,
        variables: dict[str, Any] | None = None,
        *,
        ttl_seconds: float | None = None,
        buffer: bool = True,
        uow: SqlUnitOfWork | None = None,
    ) -> Any: ...


def _order(repo: SqlOrders, order_id: str) -> StoredOrder:
    order = repo.get(order_id, with_lines=False)
    if order is None:
        raise NotFound(f"There is no order {order_id!r}")
    return order


def _parcel(uow: SqlUnitOfWork, pick_list_id: str | None) -> tuple[Parcel, list[ShipmentLine]]:
    repo, config = SqlOrders(uow.session), SqlConfiguration(uow.session)
    pick_list = repo.pick_list(pick_list_id) if pick_list_id else None
    lines = [
        ShipmentLine(line.sku, line.picked or 0)
        for line in (pick_list.lines if pick_list else ())
        if line.picked
    ]
    items = [(product, line.quantity) for line in lines if (product := config.product(line.sku)) is not None]
    return pack(items), lines


def pack_order(uow: SqlUnitOfWork, order_id: str, now: datetime) -> list[str]:
    """A packed shipment for each picked list of the order that has none yet."""
    repo = SqlOrders(uow.session)
    shipped_lists = {s.pick_list_id for s in repo.shipments(order_id=order_id)}
    created: list[str] = []
    for pick_list in repo.pick_lists(order_id=order_id):
        if pick_list.status not in ("picked", "short_picked") or pick_list.id in shipped_lists:
            continue
        parcel, lines = _parcel(uow, pick_list.id)
        if not lines:
            continue  # nothing was found: nothing to ship from this warehouse
        shipment_id = f"SHP-{uuid.uuid4().hex[:12].upper()}"
        repo.add_shipment(shipment_id, order_id, pick_list.warehouse, pick_list.id, parcel.weight_grams, now)
        order_status.milestone(
            uow, order_id, "shipment.packed", now, shipment_id=shipment_id, weight_grams=parcel.weight_grams
        )
        created.append(shipment_id)
    return created


def _quote(uow: SqlUnitOfWork, order: StoredOrder, parcel: Parcel, now: datetime, shipment_id: str) -> Quote:
    config = SqlConfiguration(uow.session)
    channel = config.channel(order.channel)
    promise = channel.promised_delivery_days if channel else None
    destination = order.destination
    try:
        return select_service(
            config.carriers(),
            parcel,
            country=destination.country,
            region=destination.region,
            promised_days=promise,
        )
    except NoCarrierServiceFits:
        if promise is None:
            raise
        quote = select_service(
            config.carriers(), parcel, country=destination.country, region=destination.region
        )
        order_status.milestone(
            uow,
            order.id,
            "shipment.promise_at_risk",
            now,
            shipment_id=shipment_id,
            promised_days=promise,
            transit_days=quote.transit_days,
        )
        return quote


def select_carriers(uow: SqlUnitOfWork, order_id: str, now: datetime) -> list[dict[str, Any]]:
    """Carrier and service for each packed shipment without one."""
    repo = SqlOrders(uow.session)
    order = _order(repo, order_id)
    chosen: list[dict[str, Any]] = []
    for shipment in repo.shipments(order_id=order_id, status="packed"):
        if shipment.carrier is not None:
            continue
        parcel, _ = _parcel(uow, shipment.pick_list_id)
        quote = _quote(uow, order, parcel, now, shipment.id)
        repo.update_shipment(
            shipment.id,
            carrier_code=quote.carrier,
            service_code=quote.service,
            price_minor=quote.price.minor_units,
            currency=quote.price.currency,
            promised_by=now + timedelta(days=quote.transit_days),
        )
        order_status.milestone(
            uow,
            order_id,
            "shipment.carrier_selected",
            now,
            shipment_id=shipment.id,
            carrier=quote.carrier,
            service=quote.service,
            price=str(quote.price),
        )
        chosen.append(
            {
                "shipment": shipment.id,
                "carrier": quote.carrier,
                "service": quote.service,
                "transit_days": quote.transit_days,
            }
        )
    return chosen


def create_labels(uow: SqlUnitOfWork, order_id: str, now: datetime) -> list[str]:
    """A tracking number and a PDF label for each shipment with a carrier but no label."""
    repo, config = SqlOrders(uow.session), SqlConfiguration(uow.session)
    order = _order(repo, order_id)
    labelled: list[str] = []
    for shipment in repo.shipments(order_id=order_id, status="packed"):
        if shipment.carrier is None or shipment.service is None:
            continue
        warehouse = config.warehouse(shipment.warehouse)
        carrier = config.carrier(shipment.carrier)
        service = next((s for s in carrier.services if s.code == shipment.service), None) if carrier else None
        tracking = f"{shipment.carrier[:3].upper()}{uuid.uuid4().int % 10**12:012d}"
        ship_from = warehouse.address if warehouse else order.destination
        label = ShippingLabel(
            ship_from=ship_from,
            ship_to=order.destination,
            carrier=carrier.name if carrier else shipment.carrier,
            service=service.name if service else shipment.service,
            tracking_number=tracking,
            weight_grams=shipment.weight_grams or 0,
            reference=order.external_id,
        )
        repo.update_shipment(
            shipment.id,
            tracking_number=tracking,
            label_pdf=render_label(label),
            status=ShipmentStatus.LABEL_CREATED.value,
        )
        order_status.milestone(
            uow, order_id, "shipment.label_created", now, shipment_id=shipment.id, tracking_number=tracking
        )
        labelled.append(shipment.id)
    return labelled


def hand_over(uow: SqlUnitOfWork, order_id: str, now: datetime) -> int:
    """Hand labelled shipments to their carriers; returns the longest transit days among them."""
    repo = SqlOrders(uow.session)
    keeper = StockKeeper(uow.session, now=now)
    longest = 0
    for shipment in repo.shipments(order_id=order_id, status="label_created"):
        for reservation in keeper.stock.reservations_of(order_id):
            if reservation.warehouse == shipment.warehouse:
                keeper.ship(reservation, (ReferenceType.SHIPMENT, shipment.id))
        repo.update_shipment(shipment.id, status=ShipmentStatus.HANDED_OVER.value, handed_over_at=now)
        if shipment.promised_by is not None:
            longest = max(longest, (shipment.promised_by - shipment.created_at).days)
        order_status.milestone(
            uow,
            order_id,
            "shipment.handed_over",
            now,
            shipment_id=shipment.id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
        )
    return longest


def delivery_window(transit_days: int) -> str:
    """The ISO 8601 duration after which a delivery counts as late (the model's boundary timer)."""
    return f"P{max(transit_days, 0) + LATE_GRACE_DAYS}D"


def _as_domain(shipment: StoredShipment, events: list[Any]) -> Shipment:
    seen = tuple(TrackingEvent(TrackingEventType(e.type), e.at, e.location) for e in events)
    return Shipment(
        shipment.id,
        shipment.order_id,
        shipment.warehouse,
        (),
        Parcel(shipment.weight_grams or 0),
        ShipmentStatus(shipment.status),
        shipment.carrier,
        shipment.service,
        shipment.tracking_number,
        shipment.handed_over_at,
        seen,
    )


def record_tracking(
    uow_factory: Any,
    workflow: Correlator,
    shipment_id: str,
    *,
    type: str,
    at: datetime,
    location: str = "",
    details: dict[str, Any] | None = None,
    now: datetime,
) -> StoredShipment:
    """A carrier's tracking event (see the module docstring); returns the shipment as stored."""
    try:
        event_type = TrackingEventType(type)
    except ValueError as err:
        known = ", ".join(t.value for t in TrackingEventType)
        raise InvalidInput(
            f"Unknown tracking event type {type!r}; use one of {known}",
            errors=[{"loc": ["body", "type"], "path": "type", "msg": f"must be one of {known}"}],
        ) from err
    if at.tzinfo is None:
        raise InvalidInput(
            "The event time needs a time zone (e.g. 2026-03-02T10:00:00Z)",
            errors=[{"loc": ["body", "at"], "path": "at", "msg": "must be timezone-aware"}],
        )
    with uow_factory() as uow:
        begin_writing(uow.session)
        repo = SqlOrders(uow.session)
        stored = repo.shipment(shipment_id)
        if stored is None:
            raise NotFound(f"There is no shipment {shipment_id!r}; GET /api/v1/shipments lists them")
        current = _as_domain(stored, repo.tracking_events([shipment_id]))
        moved = current.track(TrackingEvent(event_type, at, location))
        if moved is current:
            return stored  # the same event again: already recorded
        repo.add_tracking_event(shipment_id, event_type.value, at, location, details, now)
        changes: dict[str, Any] = {"status": moved.status.value}
        if moved.status is ShipmentStatus.DELIVERED:
            changes["delivered_at"] = at
        repo.update_shipment(shipment_id, **changes)
        order_status.milestone(
            uow,
            stored.order_id,
            f"shipment.{event_type.value}",
            now,
            moves_status=event_type is not TrackingEventType.DELIVERED,
            shipment_id=shipment_id,
            location=location,
        )
        if moved.status is ShipmentStatus.DELIVERED:
            _maybe_delivered(uow, workflow, stored.order_id, now)
        if event_type is TrackingEventType.EXCEPTION:  # a support case (docs/returns.md#carrier-exceptions)
            carrier_exceptions.report_from_tracking(
                uow, workflow, stored, at=at, location=location, details=details
            )
        result = repo.shipment(shipment_id)
        uow.commit()
    assert result is not None
    return result


def _maybe_delivered(uow: SqlUnitOfWork, workflow: Correlator, order_id: str, now: datetime) -> None:
    shipments = SqlOrders(uow.session).shipments(order_id=order_id)
    if shipments and all(s.status == ShipmentStatus.DELIVERED.value for s in shipments):
        order_status.milestone(uow, order_id, "order.delivered", now)
        workflow.correlate(DELIVERED_MESSAGE, order_id, {"delivered_at": now.isoformat()}, uow=uow)


def ensure_shipment(uow: SqlUnitOfWork, shipment_id: str) -> StoredShipment:
    found = SqlOrders(uow.session).shipment(shipment_id)
    if found is None:
        raise NotFound(f"There is no shipment {shipment_id!r}")
    return found
