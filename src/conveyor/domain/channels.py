"""Sales channels: where orders come from, and how each channel's orders are handled.

A channel names the BPMN process that runs its orders, the order value above
which a person checks the order before it is picked, the allocation strategy
(and, for ``priority_list``, the warehouse order), whether an order may ship
in several parcels, the delivery promise that carrier selection must meet,
and the milestones at which the customer is notified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.channel_mappers.connector import ChannelConnector
from conveyor.domain.currencies import MINOR_UNITS
from conveyor.domain.errors import InvalidChannel
from conveyor.domain.identifiers import CODE_RULE, is_code
from conveyor.domain.money import Money
from conveyor.domain.order_status import OrderStatus
from conveyor.domain.problems import Problems

DEFAULT_PROCESS_ID = "order-fulfillment"
_PROCESS_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$")


def is_process_id(value: object) -> bool:
    """A BPMN process id (an XML NCName, as Camunda Modeler writes them)."""
    return isinstance(value, str) and _PROCESS_ID.match(value) is not None


@dataclass(frozen=True, slots=True)
class SalesChannel:
    code: str
    name: str
    currency: str
    process_id: str = DEFAULT_PROCESS_ID
    quality_check_threshold: Money | None = None
    allocation_strategy: AllocationStrategy = AllocationStrategy.NEAREST_FIRST
    warehouse_priority: tuple[str, ...] = ()
    partial_shipments_allowed: bool = True
    promised_delivery_days: int | None = None
    notification_milestones: frozenset[OrderStatus] = field(default_factory=frozenset)
    active: bool = True
    connector: ChannelConnector | None = None  # platform payloads: POST /channels/{code}/orders

    def __post_init__(self) -> None:
        problems = Problems()
        if not is_code(self.code):
            problems.add("code", f"{self.code!r} is not a channel code: {CODE_RULE}")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.add("name", "is required")
        if self.currency not in MINOR_UNITS:
            problems.add("currency", f"unknown currency {self.currency!r}")
        if not is_process_id(self.process_id):
            problems.add("process", f"{self.process_id!r} is not a BPMN process id")
        threshold = self.quality_check_threshold
        if threshold is not None and threshold.currency != self.currency:
            problems.add("quality_check_threshold", f"must be in the channel's currency {self.currency}")
        days = self.promised_delivery_days
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            problems.add("promised_delivery_days", f"must be a whole number of days above 0, got {days!r}")
        problems.raise_if_any(InvalidChannel, f"Invalid sales channel {self.code!r}")

    def requires_quality_check(self, order_total: Money) -> bool:
        """True when the order's value is above the channel's threshold (never without one)."""
        return self.quality_check_threshold is not None and order_total > self.quality_check_threshold

    def notifies_at(self, status: OrderStatus) -> bool:
        return status in self.notification_milestones
