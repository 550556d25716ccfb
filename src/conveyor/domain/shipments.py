"""Shipments and the carrier's tracking events.

A shipment is packed, labelled, handed over, then moves only by tracking
events. ``TRACKING_TRANSITIONS`` is the whole rule: which event may arrive in
which state. Repeated scans (``in_transit`` twice) are normal; an exception
can be followed by progress again; nothing follows ``delivered``. The same
event delivered twice (same type and time) is recognised and ignored, because
carrier webhooks are delivered at least once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from conveyor.domain.errors import TrackingTransitionNotAllowed
from conveyor.domain.parcel import Parcel


class ShipmentStatus(StrEnum):
    PACKED = "packed"
    LABEL_CREATED = "label_created"
    HANDED_OVER = "handed_over"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class TrackingEventType(StrEnum):
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


_MOVING = frozenset(TrackingEventType)
TRACKING_TRANSITIONS: Mapping[ShipmentStatus, frozenset[TrackingEventType]] = MappingProxyType({
    ShipmentStatus.PACKED: frozenset(),
    ShipmentStatus.LABEL_CREATED: frozenset(),
    ShipmentStatus.HANDED_OVER: _MOVING,
    ShipmentStatus.IN_TRANSIT: _MOVING,
    ShipmentStatus.OUT_FOR_DELIVERY: _MOVING,  # in_transit again after a failed attempt
    ShipmentStatus.EXCEPTION: _MOVING,
    ShipmentStatus.DELIVERED: frozenset(),
})  # fmt: skip
"""Shipment state -> the tracking events it accepts."""


def after_tracking(status: ShipmentStatus, event: TrackingEventType) -> ShipmentStatus:
    """The state after ``event``, or ``TrackingTransitionNotAllowed`` naming both."""
    if event not in TRACKING_TRANSITIONS[status]:
        hint = " (hand it over to the carrier first)" if status in _BEFORE_HANDOVER else ""
        raise TrackingTransitionNotAllowed(
            f"A shipment that is {status.value} cannot receive the tracking event {event.value!r}{hint}",
            shipment_status=status.value,
            event=event.value,
            errors=[{"loc": ["body", "type"], "path": "type", "msg": f"not allowed while {status.value}"}],
        )
    return ShipmentStatus(event.value)


_BEFORE_HANDOVER = (ShipmentStatus.PACKED, ShipmentStatus.LABEL_CREATED)


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    type: TrackingEventType
    at: datetime
    location: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Shipment:
    id: str
    order_id: str
    warehouse: str
    lines: tuple[ShipmentLine, ...]
    parcel: Parcel
    status: ShipmentStatus = ShipmentStatus.PACKED
    carrier: str | None = None
    service: str | None = None
    tracking_number: str | None = None
    handed_over_at: datetime | None = None
    events: tuple[TrackingEvent, ...] = field(default=())

    def with_label(self, *, carrier: str, service: str, tracking_number: str) -> Shipment:
        if self.status is not ShipmentStatus.PACKED:
            raise TrackingTransitionNotAllowed(
                f"Shipment {self.id} is {self.status.value}: it already has a label"
            )
        return replace(
            self, carrier=carrier, service=service, tracking_number=tracking_number,
            status=ShipmentStatus.LABEL_CREATED,
        )  # fmt: skip

    def hand_over(self, *, at: datetime) -> Shipment:
        if self.status is not ShipmentStatus.LABEL_CREATED:
            raise TrackingTransitionNotAllowed(
                f"Shipment {self.id} is {self.status.value}: only a labelled shipment can be handed over"
            )
        return replace(self, status=ShipmentStatus.HANDED_OVER, handed_over_at=at)

    def track(self, event: TrackingEvent) -> Shipment:
        """The shipment after a carrier's event (unchanged when the event was already recorded)."""
        if any(seen.type is event.type and seen.at == event.at for seen in self.events):
            return self
        return replace(self, status=after_tracking(self.status, event.type), events=(*self.events, event))

    def delivery_due(self, transit_days: int) -> datetime | None:
        """When delivery is late: hand-over plus the service's transit days (calendar days)."""
        if self.handed_over_at is None:
            return None
        return self.handed_over_at + timedelta(days=transit_days)
