"""Allocating an order: plan with the domain's rule, then reserve with guarded updates.

Runs inside the caller's unit of work (the order step's handler), so the
reservations commit or roll back together with everything else the step
does. The steps:

1. the destination's coordinates: the address's own, or geocoded offline
   (an address that cannot be placed raises ``AddressNotLocated`` for a
   person to correct);
2. the candidates: active warehouses with what they can still promise of
   the order's SKUs (``on_hand - reserved`` as stored now);
3. the plan: ``conveyor.domain.allocation.allocate`` with the channel's
   strategy and warehouse priority;
4. the reservations: one guarded update per planned (warehouse, SKU), spread
   over the order lines of that SKU, inside a savepoint. If a guard refuses
   (someone took the stock since step 2), the savepoint is rolled back and
   the order is planned again from fresh numbers, up to ``MAX_ATTEMPTS``
   times; in the last attempt what cannot be reserved is backordered
   instead. Stock is never oversold either way: the guard decides.

Allocating an order again (a retried step, or another try for a backordered
order) only reserves what its lines do not hold yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conveyor.adapters.geocoding import OfflineGeocoder, shared_geocoder
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.domain.addresses import Address
from conveyor.domain.allocation import (
    AllocationPlan,
    AllocationStrategy,
    CandidateWarehouse,
    RequestedLine,
    allocate,
)
from conveyor.domain.channels import SalesChannel
from conveyor.domain.geo import Coordinates
from conveyor.errors import NotFound
from conveyor.services.stock_keeping import StockKeeper, begin_writing

MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class LineToAllocate:
    line_no: int
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class LineReservation:
    line_no: int
    warehouse: str
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Backorder:
    line_no: int
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class AllocationOutcome:
    reservations: tuple[LineReservation, ...]
    backorders: tuple[Backorder, ...]
    destination: Coordinates | None
    attempts: int

    @property
    def warehouses(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.warehouse for r in self.reservations))

    @property
    def is_complete(self) -> bool:
        return not self.backorders


def candidates(
    session: Session, skus: Sequence[str], exclude: Collection[tuple[str, str]] = ()
) -> list[CandidateWarehouse]:
    """Active warehouses with their available units of ``skus`` (as the database holds them now).

    ``exclude``: (warehouse, SKU) pairs not to take from (where a picker just found the shelf short).
    """
    keeper = StockKeeper(session)
    available: dict[str, dict[str, int]] = {}
    for level in keeper.stock.levels(skus=list(dict.fromkeys(skus))):
        if (level.warehouse, level.sku) not in exclude:
            available.setdefault(level.warehouse, {})[level.sku] = level.available
    return [
        CandidateWarehouse(code, point, available.get(code, {}), priority)
        for code, point, priority in keeper.configuration.active_warehouse_sites()
    ]


def _candidates(
    session: Session, skus: Sequence[str], exclude: Collection[tuple[str, str]]
) -> list[CandidateWarehouse]:
    return candidates(session, skus, exclude) if exclude else candidates(session, skus)


def allocate_order(
    session: Session,
    *,
    order_id: str,
    lines: Sequence[LineToAllocate],
    destination: Address,
    channel: SalesChannel | str,
    geocoder: OfflineGeocoder | None = None,
    exclude: Collection[tuple[str, str]] = (),
) -> AllocationOutcome:
    """Plan and reserve ``lines`` for ``order_id`` within the caller's transaction.

    On SQLite the transaction must be a writer from its start
    (``stock_keeping.begin_writing``); this does it when it is the first
    thing the caller's transaction does, otherwise the caller must have.
    """
    begin_writing(session)
    if isinstance(channel, str):
        found = SqlConfiguration(session).channel(channel)
        if found is None:
            problem = {"loc": ["channel"], "path": "channel", "msg": f"unknown channel {channel!r}"}
            raise NotFound(f"There is no sales channel {channel!r}", errors=[problem])
        channel = found
    keeper = StockKeeper(session)
    already = [
        LineReservation(r.line_no or 0, r.warehouse, r.sku, r.quantity)
        for r in keeper.stock.reservations_of(order_id)
    ]
    missing = _backorders(lines, already)
    if not missing:  # allocating again (a retried step) reserves nothing twice
        return AllocationOutcome(tuple(already), (), destination.coordinates, 0)
    point = destination.coordinates or (geocoder or shared_geocoder()).locate(destination)
    open_lines = [LineToAllocate(b.line_no, b.sku, b.quantity) for b in missing]
    requested = [RequestedLine(line.sku, line.quantity) for line in open_lines]
    for attempt in range(1, MAX_ATTEMPTS + 1):
        plan = allocate(
            requested, _candidates(session, [line.sku for line in open_lines], exclude), destination=point,
            strategy=channel.allocation_strategy,
            priority_list=channel.warehouse_priority
            if channel.allocation_strategy is AllocationStrategy.PRIORITY_LIST else (),
        )  # fmt: skip
        last = attempt == MAX_ATTEMPTS
        savepoint = session.begin_nested()
        reserved = _reserve(keeper, order_id, open_lines, plan, tolerate_shortfall=last)
        if reserved is None:
            savepoint.rollback()
            continue
        savepoint.commit()
        held = [*already, *reserved]
        return AllocationOutcome(tuple(held), _backorders(lines, held), point, attempt)
    raise AssertionError("unreachable: the last attempt always returns")  # pragma: no cover


def _reserve(
    keeper: StockKeeper, order_id: str, lines: Sequence[LineToAllocate], plan: AllocationPlan,
    *, tolerate_shortfall: bool,
) -> list[LineReservation] | None:  # fmt: skip
    """Reserve the plan line by line; None when a guard refused and the plan must be redone."""
    still_open = {line.line_no: line.quantity for line in lines}
    done: list[LineReservation] = []
    for shipment in plan.shipments:
        for planned in shipment.lines:
            units = planned.quantity
            for line in lines:
                if units == 0:
                    break
                take = min(units, still_open[line.line_no]) if line.sku == planned.sku else 0
                if take == 0:
                    continue
                if keeper.reserve(order_id=order_id, line_no=line.line_no, warehouse=shipment.warehouse,
                                  sku=line.sku, quantity=take):  # fmt: skip
                    done.append(LineReservation(line.line_no, shipment.warehouse, line.sku, take))
                    still_open[line.line_no] -= take
                    units -= take
                elif not tolerate_shortfall:
                    return None
                else:
                    units = 0  # what this warehouse cannot give is backordered
    return done


def _backorders(
    lines: Sequence[LineToAllocate], reserved: Sequence[LineReservation]
) -> tuple[Backorder, ...]:
    held: dict[int, int] = {}
    for reservation in reserved:
        held[reservation.line_no] = held.get(reservation.line_no, 0) + reservation.quantity
    return tuple(
        Backorder(line.line_no, line.sku, line.quantity - held.get(line.line_no, 0))
        for line in lines
        if line.quantity > held.get(line.line_no, 0)
    )
