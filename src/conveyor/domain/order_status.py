"""Order status: a readable projection of where the order's workflow is.

The process model, not this module, decides what happens to an order. The
status shown to people is derived from the milestones the workflow emitted
(event types such as ``inventory.reserved``) and from the nodes it currently
waits at (a quality-check user task). Both mappings are data: a model that
adds a step only needs a new entry, not a new branch in code. Completed and
cancelled are final: later milestones do not move them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class OrderStatus(StrEnum):
    RECEIVED = "received"
    PAYMENT_VERIFIED = "payment_verified"
    PAYMENT_FAILED = "payment_failed"
    AWAITING_PAYMENT_METHOD = "awaiting_payment_method"
    ALLOCATED = "allocated"
    BACKORDERED = "backordered"
    AWAITING_QUALITY_CHECK = "awaiting_quality_check"
    PICKING = "picking"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ON_HOLD = "on_hold"
    EXCEPTION = "exception"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.COMPLETED, OrderStatus.CANCELLED)

    @property
    def label(self) -> str:
        """``awaiting_quality_check`` -> ``Awaiting quality check``."""
        return self.value.replace("_", " ").capitalize()


DEFAULT_STATUS_BY_EVENT: Mapping[str, OrderStatus] = MappingProxyType({
    "order.created": OrderStatus.RECEIVED,
    "payment.authorized": OrderStatus.PAYMENT_VERIFIED,
    "payment.verified": OrderStatus.PAYMENT_VERIFIED,
    "payment.declined": OrderStatus.AWAITING_PAYMENT_METHOD,
    "order.payment_method_updated": OrderStatus.RECEIVED,
    "payment.failed": OrderStatus.PAYMENT_FAILED,
    "inventory.reserved": OrderStatus.ALLOCATED,
    "order.allocated": OrderStatus.ALLOCATED,
    "order.backordered": OrderStatus.BACKORDERED,
    "quality_check.required": OrderStatus.AWAITING_QUALITY_CHECK,
    "quality_check.approved": OrderStatus.ALLOCATED,
    "quality_check.rejected": OrderStatus.ON_HOLD,
    "pick_list.created": OrderStatus.PICKING,
    "pick_list.confirmed": OrderStatus.PICKING,
    "shipment.packed": OrderStatus.PACKED,
    "shipment.label_created": OrderStatus.PACKED,
    "order.partially_shipped": OrderStatus.PARTIALLY_SHIPPED,
    "shipment.handed_over": OrderStatus.SHIPPED,
    "order.shipped": OrderStatus.SHIPPED,
    "shipment.exception": OrderStatus.EXCEPTION,
    "exception.recorded": OrderStatus.EXCEPTION,
    "shipment.delivered": OrderStatus.DELIVERED,
    "order.delivered": OrderStatus.DELIVERED,
    "order.held": OrderStatus.ON_HOLD,
    "order.completed": OrderStatus.COMPLETED,
    "order.cancelled": OrderStatus.CANCELLED,
})  # fmt: skip
"""Milestone (event type) -> status. Split shipments: the services emit the
order-level ``order.partially_shipped`` / ``order.shipped`` / ``order.delivered``
once every shipment got there, so one parcel does not mark the order delivered."""

DEFAULT_STATUS_BY_WAITING_NODE: Mapping[str, OrderStatus] = MappingProxyType({
    "quality_check": OrderStatus.AWAITING_QUALITY_CHECK,
    "quality-check": OrderStatus.AWAITING_QUALITY_CHECK,
    "confirm_pick": OrderStatus.PICKING,
    "confirm-pick": OrderStatus.PICKING,
    "wait_for_stock": OrderStatus.BACKORDERED,
    "wait_for_payment_method": OrderStatus.AWAITING_PAYMENT_METHOD,
    "wait-for-stock": OrderStatus.BACKORDERED,
})  # fmt: skip
"""Node id the instance currently waits at -> status (overrides the milestones while waiting)."""


@dataclass(frozen=True, slots=True)
class StatusProjection:
    by_event: Mapping[str, OrderStatus] = field(default_factory=lambda: DEFAULT_STATUS_BY_EVENT)
    by_waiting_node: Mapping[str, OrderStatus] = field(default_factory=lambda: DEFAULT_STATUS_BY_WAITING_NODE)

    def after(self, current: OrderStatus, event_type: str) -> OrderStatus:
        """The status once ``event_type`` happened (unchanged for unmapped events and final statuses)."""
        if current.is_final:
            return current
        return self.by_event.get(event_type, current)

    def project(self, events: Iterable[str], waiting_at: Iterable[str] = ()) -> OrderStatus:
        """The status from the order's milestones in order, and the nodes its workflow waits at now."""
        status = OrderStatus.RECEIVED
        for event_type in events:
            status = self.after(status, event_type)
        if status.is_final:
            return status
        for node in waiting_at:
            if node in self.by_waiting_node:
                return self.by_waiting_node[node]
        return status
