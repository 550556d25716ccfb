"""Allocation: which warehouses ship an order (the "optimal fulfilment location").

The rule, stated once (docs/domain.md repeats it):

1. Demand is counted per SKU (lines with the same SKU are added up). Every
   line is checked first: a SKU whose total availability over all candidate
   warehouses is below the demand is a *shortfall*, and all shortfalls are
   reported together (``AllocationPlan.shortfalls``, ``require_full_allocation``).
2. Of each SKU, ``min(ordered, available anywhere)`` units are *fillable*;
   the rest is *backordered*. A short SKU ships what exists, even if that
   takes units from several warehouses, and backorders the remainder.
3. The warehouses are chosen so that together they hold every fillable unit:
   - ``nearest_first`` and ``fewest_shipments``: one warehouse that holds
     everything, the nearest one if several do; otherwise the set with the
     fewest warehouses (shipments), then the least total distance to the
     destination, then the lowest sum of warehouse priorities, then codes.
     The sets are searched exhaustively when at most ``EXACT_SEARCH_LIMIT``
     warehouses hold any demanded SKU; beyond that a greedy search (add the
     warehouse covering most of the remaining units, ties by distance,
     priority, code) is used: it may use more shipments than the optimum.
   - ``priority_list``: the first warehouse in the channel's list that holds
     everything; otherwise units are taken from the listed warehouses in list
     order. Only listed warehouses are used; an empty list means all
     warehouses in order of priority, then code.
4. A channel without partial shipments passes ``single_shipment_only``: one
   warehouse with every ordered unit (chosen as above), or nothing allocated
   and the whole order backordered.
5. Inside the chosen set, ``nearest_first`` takes each SKU from the nearest
   warehouse first, then the next nearest; ``fewest_shipments`` sends a SKU
   whole to the nearest warehouse that holds all of it, and only splits it
   (nearest first) when none does.

Ties are broken by distance, then warehouse priority (lower is preferred),
then warehouse code, so the same input always gives the same plan. Without
destination coordinates all distances count as equal; a warehouse without
coordinates counts as farthest.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from conveyor.domain.errors import InsufficientStock, InvalidAllocationRequest
from conveyor.domain.geo import Coordinates, distance_km
from conveyor.domain.inventory import ReferenceType, Reservation, StockLevel
from conveyor.domain.problems import FieldProblem, Problems
from conveyor.domain.warehouse import Warehouse

EXACT_SEARCH_LIMIT = 12


class AllocationStrategy(StrEnum):
    NEAREST_FIRST = "nearest_first"
    FEWEST_SHIPMENTS = "fewest_shipments"
    PRIORITY_LIST = "priority_list"


@dataclass(frozen=True, slots=True)
class RequestedLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CandidateWarehouse:
    """A warehouse that may ship, with what it can still promise per SKU."""

    code: str
    coordinates: Coordinates | None
    available: Mapping[str, int]
    priority: int = 100


@dataclass(frozen=True, slots=True)
class AllocatedLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlannedShipment:
    warehouse: str
    lines: tuple[AllocatedLine, ...]
    distance_km: float | None

    def quantity_of(self, sku: str) -> int:
        return sum(line.quantity for line in self.lines if line.sku == sku)


@dataclass(frozen=True, slots=True)
class BackorderedLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Shortfall:
    sku: str
    ordered: int
    available: int

    @property
    def missing(self) -> int:
        return self.ordered - self.available


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    strategy: AllocationStrategy
    shipments: tuple[PlannedShipment, ...]
    backordered: tuple[BackorderedLine, ...]
    shortfalls: tuple[Shortfall, ...] = field(default=())

    @property
    def is_complete(self) -> bool:
        """Every ordered unit is allocated (nothing backordered)."""
        return not self.backordered

    @property
    def warehouses(self) -> tuple[str, ...]:
        return tuple(shipment.warehouse for shipment in self.shipments)

    def allocated(self, sku: str) -> int:
        return sum(shipment.quantity_of(sku) for shipment in self.shipments)

    def reservations(self, order_id: str) -> list[Reservation]:
        """The reservations that carry out this plan for an order, one per warehouse and SKU."""
        return [
            Reservation(shipment.warehouse, line.sku, line.quantity, ReferenceType.ORDER, order_id)
            for shipment in self.shipments
            for line in shipment.lines
        ]


def candidates_from_stock(
    warehouses: Iterable[Warehouse], levels: Iterable[StockLevel]
) -> list[CandidateWarehouse]:
    """The active warehouses as allocation candidates, with what each can still promise per SKU."""
    available: dict[str, dict[str, int]] = {}
    for level in levels:
        per_sku = available.setdefault(level.warehouse, {})
        per_sku[level.sku] = per_sku.get(level.sku, 0) + max(0, level.available)
    return [
        CandidateWarehouse(w.code, w.coordinates, available.get(w.code, {}), w.priority)
        for w in warehouses
        if w.active
    ]


def allocate(
    lines: Iterable[RequestedLine],
    candidates: Iterable[CandidateWarehouse],
    *,
    destination: Coordinates | None = None,
    strategy: AllocationStrategy = AllocationStrategy.NEAREST_FIRST,
    priority_list: Sequence[str] = (),
    single_shipment_only: bool = False,
) -> AllocationPlan:
    """The plan for ``lines`` (see the module's rule). Writes nothing; reserving is the caller's job.

    ``single_shipment_only`` is for channels that do not allow partial shipments: one
    warehouse holding every ordered unit ships alone (chosen as the strategy would),
    otherwise nothing is allocated and the whole order is backordered until one can.
    """
    demand = _demand(lines)
    pool = _pool(candidates, demand, destination)
    if strategy is AllocationStrategy.PRIORITY_LIST:
        pool = _listed(pool, priority_list)
    shortfalls = tuple(
        Shortfall(sku, ordered, sum(c.available_of(sku) for c in pool))
        for sku, ordered in demand.items()
        if sum(c.available_of(sku) for c in pool) < ordered
    )
    missing = {s.sku: s.missing for s in shortfalls}
    if single_shipment_only and (missing or not any(c.holds(demand) for c in pool)):
        everything = tuple(BackorderedLine(sku, units) for sku, units in demand.items())
        return AllocationPlan(strategy, (), everything, shortfalls)
    need = {sku: ordered - missing.get(sku, 0) for sku, ordered in demand.items()}
    holding = [c for c in pool if any(c.available_of(sku) > 0 for sku, units in need.items() if units)]
    if strategy is AllocationStrategy.PRIORITY_LIST:
        single = [c for c in holding if c.holds(need)]
        chosen = single[:1] or holding
    else:
        ordered_pool = sorted(holding, key=_Candidate.rank)
        chosen = _choose_set(ordered_pool, need)
        chosen.sort(key=_Candidate.rank)
    whole_first = strategy is AllocationStrategy.FEWEST_SHIPMENTS
    taken = _fill(chosen, need, whole_first=whole_first)
    shipments = tuple(
        PlannedShipment(c.code, tuple(AllocatedLine(s, q) for s, q in taken[c.code].items()), c.distance)
        for c in chosen
        if taken[c.code]
    )
    backordered = tuple(BackorderedLine(sku, units) for sku, units in missing.items())
    return AllocationPlan(strategy, shipments, backordered, shortfalls)


def require_full_allocation(plan: AllocationPlan) -> None:
    """Raise ``InsufficientStock`` naming every short SKU at once when anything is backordered."""
    if not plan.shortfalls:
        return
    code = InsufficientStock.code
    listed = "; ".join(f"{s.sku} (ordered {s.ordered}, available {s.available})" for s in plan.shortfalls)
    raise InsufficientStock(
        f"Not enough stock for {len(plan.shortfalls)} SKU(s): {listed}",
        errors=[
            FieldProblem(("sku", s.sku), f"ordered {s.ordered}, only {s.available} available", code).as_dict()
            for s in plan.shortfalls
        ],
        shortfalls=[{"sku": s.sku, "ordered": s.ordered, "available": s.available} for s in plan.shortfalls],
    )


# --- internals -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    code: str
    priority: int
    distance: float | None
    stock: Mapping[str, int]

    def available_of(self, sku: str) -> int:
        return self.stock.get(sku, 0)

    def holds(self, need: Mapping[str, int]) -> bool:
        return all(self.available_of(sku) >= units for sku, units in need.items())

    def rank(self) -> tuple[float, int, str]:
        return (math.inf if self.distance is None else self.distance, self.priority, self.code)


def _demand(lines: Iterable[RequestedLine]) -> dict[str, int]:
    problems = Problems()
    demand: dict[str, int] = {}
    for index, line in enumerate(lines):
        if not isinstance(line.sku, str) or not line.sku:
            problems.add(("lines", index, "sku"), "is required")
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity <= 0:
            rule = "must be a whole number above 0"
            problems.add(("lines", index, "quantity"), f"{rule}, got {line.quantity!r}")
            continue
        demand[line.sku] = demand.get(line.sku, 0) + line.quantity
    problems.raise_if_any(InvalidAllocationRequest, "Cannot allocate")
    return demand


def _pool(
    candidates: Iterable[CandidateWarehouse], demand: Mapping[str, int], destination: Coordinates | None
) -> list[_Candidate]:
    pool: dict[str, _Candidate] = {}
    for candidate in candidates:
        if candidate.code in pool:
            raise InvalidAllocationRequest(f"Warehouse {candidate.code!r} is a candidate twice")
        if destination is None:
            distance: float | None = 0.0
        elif candidate.coordinates is None:
            distance = None
        else:
            distance = distance_km(candidate.coordinates, destination)
        stock = {sku: max(0, int(candidate.available.get(sku, 0))) for sku in demand}
        pool[candidate.code] = _Candidate(candidate.code, candidate.priority, distance, stock)
    return list(pool.values())


def _listed(pool: list[_Candidate], priority_list: Sequence[str]) -> list[_Candidate]:
    if not priority_list:
        return sorted(pool, key=lambda c: (c.priority, c.code))
    by_code = {c.code: c for c in pool}
    return [by_code[code] for code in dict.fromkeys(priority_list) if code in by_code]


def _covers(chosen: Sequence[_Candidate], need: Mapping[str, int]) -> bool:
    return all(sum(c.available_of(sku) for c in chosen) >= units for sku, units in need.items())


def _set_key(chosen: tuple[_Candidate, ...]) -> tuple[float, int, tuple[str, ...]]:
    distance = sum(math.inf if c.distance is None else c.distance for c in chosen)
    return (round(distance, 6), sum(c.priority for c in chosen), tuple(sorted(c.code for c in chosen)))


def _choose_set(pool: list[_Candidate], need: Mapping[str, int]) -> list[_Candidate]:
    if not any(need.values()):
        return []
    singles = [c for c in pool if c.holds(need)]
    if singles:
        return [singles[0]]  # the pool is in rank order: the nearest single warehouse
    if len(pool) <= EXACT_SEARCH_LIMIT:
        for size in range(2, len(pool) + 1):
            covering: list[tuple[_Candidate, ...]] = [
                combo for combo in itertools.combinations(pool, size) if _covers(combo, need)
            ]
            if covering:
                best: tuple[_Candidate, ...] = min(covering, key=_set_key)
                return list(best)
    return _greedy_set(pool, need)


def _greedy_set(pool: list[_Candidate], need: Mapping[str, int]) -> list[_Candidate]:
    remaining = dict(need)
    chosen: list[_Candidate] = []
    while any(remaining.values()):
        options = [c for c in pool if c not in chosen]
        best = min(options, key=lambda c: (-_units_covered(c, remaining), c.rank()))
        chosen.append(best)
        for sku in remaining:
            remaining[sku] -= min(best.available_of(sku), remaining[sku])
    return chosen


def _units_covered(candidate: _Candidate, remaining: Mapping[str, int]) -> int:
    return sum(min(candidate.available_of(sku), units) for sku, units in remaining.items())


def _fill(
    chosen: list[_Candidate], need: Mapping[str, int], *, whole_first: bool
) -> dict[str, dict[str, int]]:
    taken: dict[str, dict[str, int]] = {c.code: {} for c in chosen}
    for sku, units in need.items():
        remaining = units
        order = chosen
        if whole_first:
            whole = [c for c in chosen if c.available_of(sku) >= units]
            order = whole[:1] or chosen
        for candidate in order:
            if remaining == 0:
                break
            quantity = min(remaining, candidate.available_of(sku))
            if quantity:
                taken[candidate.code][sku] = quantity
                remaining -= quantity
    return taken
