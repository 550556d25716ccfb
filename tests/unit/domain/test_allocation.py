"""Allocation chooses the warehouses that ship an order."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.domain.addresses import Address
from conveyor.domain.allocation import (
    AllocationStrategy,
    CandidateWarehouse,
    RequestedLine,
    allocate,
    candidates_from_stock,
    require_full_allocation,
)
from conveyor.domain.errors import InsufficientStock, InvalidAllocationRequest
from conveyor.domain.geo import Coordinates
from conveyor.domain.inventory import StockLevel
from conveyor.domain.warehouse import Warehouse

BERLIN = Coordinates(52.52, 13.405)
HAMBURG = Coordinates(53.551, 9.994)
MUNICH = Coordinates(48.137, 11.575)
FRANKFURT = Coordinates(50.110, 8.682)
POTSDAM = Coordinates(52.391, 13.064)  # the customer, near Berlin


def wh(code, where, priority=100, **stock):
    return CandidateWarehouse(code, where, dict(stock), priority)


def line(sku, quantity):
    return RequestedLine(sku, quantity)


def shipped(plan):
    return {s.warehouse: {ln.sku: ln.quantity for ln in s.lines} for s in plan.shipments}


def test_nearest_warehouse_that_has_everything_ships_alone():
    plan = allocate(
        [line("A", 2), line("B", 1)],
        [wh("MUC", MUNICH, A=5, B=5), wh("BER", BERLIN, A=5, B=5), wh("HAM", HAMBURG, A=5)],
        destination=POTSDAM,
    )
    assert shipped(plan) == {"BER": {"A": 2, "B": 1}}
    assert plan.is_complete and plan.backordered == ()
    assert plan.shipments[0].distance_km == pytest.approx(27, abs=3)


def test_one_far_warehouse_with_everything_beats_a_split_from_near_ones():
    plan = allocate(
        [line("A", 1), line("B", 1)],
        [wh("BER", BERLIN, A=1), wh("HAM", HAMBURG, B=1), wh("MUC", MUNICH, A=1, B=1)],
        destination=POTSDAM,
    )
    assert shipped(plan) == {"MUC": {"A": 1, "B": 1}}


def test_split_uses_the_fewest_shipments_then_the_least_distance():
    plan = allocate(
        [line("A", 1), line("B", 1), line("C", 1)],
        [
            wh("BER", BERLIN, A=1),  # nearest, but would need two more
            wh("HAM", HAMBURG, B=1, C=1),
            wh("MUC", MUNICH, A=1, B=1),
            wh("FRA", FRANKFURT, C=1),
        ],
        destination=POTSDAM,
    )
    # two shipments are possible as BER+HAM or MUC+FRA: BER+HAM is nearer
    assert shipped(plan) == {"BER": {"A": 1}, "HAM": {"B": 1, "C": 1}}


def test_equally_near_warehouses_tie_on_priority_then_code():
    same_place = Coordinates(52.0, 13.0)
    stock = {"A": 5}
    by_priority = allocate([line("A", 1)], [wh("X", same_place, 2, **stock), wh("Y", same_place, 1, **stock)])
    assert by_priority.warehouses == ("Y",)
    by_code = allocate([line("A", 1)], [wh("Y", same_place, 1, **stock), wh("X", same_place, 1, **stock)])
    assert by_code.warehouses == ("X",)


def test_without_destination_coordinates_priority_decides():
    plan = allocate([line("A", 1)], [wh("FAR", MUNICH, 1, A=1), wh("NEAR", BERLIN, 5, A=1)])
    assert plan.warehouses == ("FAR",)


def test_a_short_line_ships_what_exists_and_backorders_the_rest():
    plan = allocate(
        [line("A", 10), line("B", 1)],
        [wh("BER", BERLIN, A=3, B=1), wh("HAM", HAMBURG, A=4)],
        destination=POTSDAM,
    )
    assert shipped(plan) == {"BER": {"A": 3, "B": 1}, "HAM": {"A": 4}}
    assert [(b.sku, b.quantity) for b in plan.backordered] == [("A", 3)]
    assert not plan.is_complete
    held = [(r.warehouse, r.sku, r.quantity, r.reference_id) for r in plan.reservations("o-7")]
    assert held == [("BER", "A", 3, "o-7"), ("BER", "B", 1, "o-7"), ("HAM", "A", 4, "o-7")]


def test_nothing_in_stock_backorders_everything():
    plan = allocate([line("A", 2), line("B", 1)], [wh("BER", BERLIN, C=9)], destination=POTSDAM)
    assert plan.shipments == ()
    assert [(b.sku, b.quantity) for b in plan.backordered] == [("A", 2), ("B", 1)]


def test_every_shortfall_is_reported_at_once():
    plan = allocate([line("A", 5), line("B", 2), line("C", 1)], [wh("BER", BERLIN, A=1, C=1)])
    with pytest.raises(InsufficientStock) as caught:
        require_full_allocation(plan)
    assert caught.value.extra["shortfalls"] == [
        {"sku": "A", "ordered": 5, "available": 1},
        {"sku": "B", "ordered": 2, "available": 0},
    ]
    assert "A (ordered 5, available 1); B (ordered 2, available 0)" in caught.value.detail


def test_full_stock_passes_the_shortfall_check():
    require_full_allocation(allocate([line("A", 1)], [wh("BER", BERLIN, A=1)]))


def test_without_partial_shipments_one_warehouse_ships_everything_or_the_order_waits():
    warehouses = [wh("BER", BERLIN, A=5), wh("HAM", HAMBURG, B=5), wh("MUC", MUNICH, A=5, B=1)]
    whole = allocate([line("A", 2), line("B", 1)], warehouses, destination=POTSDAM, single_shipment_only=True)
    assert shipped(whole) == {"MUC": {"A": 2, "B": 1}}
    waits = allocate([line("A", 2), line("B", 2)], warehouses, destination=POTSDAM, single_shipment_only=True)
    assert waits.shipments == ()
    assert [(b.sku, b.quantity) for b in waits.backordered] == [("A", 2), ("B", 2)]
    assert waits.shortfalls == ()


def test_lines_with_the_same_sku_are_added_up():
    plan = allocate([line("A", 2), line("A", 3)], [wh("BER", BERLIN, A=4), wh("HAM", HAMBURG, A=9)])
    assert shipped(plan) == {"HAM": {"A": 5}}


def test_priority_list_strategy_follows_the_channels_order_not_distance():
    warehouses = [wh("BER", BERLIN, A=5), wh("MUC", MUNICH, A=5), wh("HAM", HAMBURG, A=5)]
    plan = allocate(
        [line("A", 2)], warehouses, destination=POTSDAM,
        strategy=AllocationStrategy.PRIORITY_LIST, priority_list=["MUC", "HAM"],
    )
    assert shipped(plan) == {"MUC": {"A": 2}}


def test_priority_list_fills_in_list_order_when_no_single_warehouse_has_everything():
    plan = allocate(
        [line("A", 4), line("B", 1)],
        [wh("BER", BERLIN, A=9), wh("MUC", MUNICH, A=3), wh("HAM", HAMBURG, B=1)],
        strategy=AllocationStrategy.PRIORITY_LIST, priority_list=["MUC", "HAM", "BER"],
    )
    assert shipped(plan) == {"MUC": {"A": 3}, "HAM": {"B": 1}, "BER": {"A": 1}}


def test_priority_list_uses_only_listed_warehouses():
    plan = allocate(
        [line("A", 1)], [wh("BER", BERLIN, A=9)],
        strategy=AllocationStrategy.PRIORITY_LIST, priority_list=["MUC"],
    )
    assert plan.shipments == () and plan.backordered[0].quantity == 1


def test_fewest_shipments_keeps_a_line_whole_where_nearest_first_splits_it():
    warehouses = [wh("BER", BERLIN, A=2, B=1), wh("MUC", MUNICH, A=5)]
    order = [line("A", 5), line("B", 1)]
    nearest = allocate(order, warehouses, destination=POTSDAM)
    fewest = allocate(order, warehouses, destination=POTSDAM, strategy=AllocationStrategy.FEWEST_SHIPMENTS)
    assert shipped(nearest) == {"BER": {"A": 2, "B": 1}, "MUC": {"A": 3}}
    assert shipped(fewest) == {"BER": {"B": 1}, "MUC": {"A": 5}}


def test_many_warehouses_fall_back_to_a_greedy_search_that_still_fills_the_order():
    far = [wh(f"W{i:02d}", Coordinates(40 + i * 0.1, 10), **{f"S{i}": 1}) for i in range(20)]
    plan = allocate([line(f"S{i}", 1) for i in range(20)], far)
    assert plan.is_complete and len(plan.shipments) == 20


def test_zero_or_negative_quantity_is_refused_naming_the_line():
    with pytest.raises(InvalidAllocationRequest, match=r"lines\[1\]\.quantity") as caught:
        allocate([line("A", 1), line("B", 0), line("C", -2)], [])
    assert [e["path"] for e in caught.value.errors] == ["lines[1].quantity", "lines[2].quantity"]


def test_candidates_are_the_active_warehouses_with_what_they_can_still_promise():
    address = Address("DC", "Street 1", "Berlin", "DE")
    warehouses = [
        Warehouse("BER", "Berlin", address, BERLIN, priority=1),
        Warehouse("OLD", "Closed", address, HAMBURG, active=False),
    ]
    levels = [StockLevel("BER", "A", 10, 4), StockLevel("BER", "B", 2, 3), StockLevel("OLD", "A", 9, 0)]
    expected = [CandidateWarehouse("BER", BERLIN, {"A": 6, "B": 0}, 1)]
    assert candidates_from_stock(warehouses, levels) == expected


SKUS = ["A", "B", "C", "D"]
PLACES = st.one_of(st.none(), st.builds(Coordinates, st.floats(-60, 60), st.floats(-170, 170)))
STOCK = st.dictionaries(st.sampled_from(SKUS), st.integers(-2, 8), max_size=4)
PRIORITIES = st.integers(0, 3)
REQUESTED = st.builds(RequestedLine, st.sampled_from(SKUS), st.integers(1, 9))
ORDER_LINES = st.lists(REQUESTED, min_size=1, max_size=5)
STRATEGIES = st.sampled_from(list(AllocationStrategy))


@st.composite
def scenarios(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    codes = [f"W{i}" for i in range(count)]
    warehouses = [CandidateWarehouse(code, draw(PLACES), draw(STOCK), draw(PRIORITIES)) for code in codes]
    lines = draw(ORDER_LINES)
    priority_list = draw(st.lists(st.sampled_from(codes), max_size=count))
    return lines, warehouses, draw(PLACES), draw(STRATEGIES), priority_list


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_allocation_never_takes_more_than_a_warehouse_has(scenario):
    lines, warehouses, destination, strategy, priority_list = scenario
    plan = allocate(
        lines, warehouses, destination=destination, strategy=strategy, priority_list=priority_list
    )
    stock = {w.code: w.available for w in warehouses}
    for shipment in plan.shipments:
        assert shipment.lines, "no empty shipments"
        for allocated in shipment.lines:
            assert 0 < allocated.quantity <= stock[shipment.warehouse].get(allocated.sku, 0)


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_every_ordered_unit_is_allocated_or_backordered_exactly_once(scenario):
    lines, warehouses, destination, strategy, priority_list = scenario
    whole = allocate(lines, warehouses, destination=destination, strategy=strategy,
                     priority_list=priority_list, single_shipment_only=True)
    assert len(whole.shipments) <= 1
    for sku in {ln.sku for ln in lines}:
        ordered = sum(ln.quantity for ln in lines if ln.sku == sku)
        assert whole.allocated(sku) + sum(b.quantity for b in whole.backordered if b.sku == sku) == ordered
    plan = allocate(
        lines, warehouses, destination=destination, strategy=strategy, priority_list=priority_list
    )
    for sku in {ln.sku for ln in lines}:
        ordered = sum(ln.quantity for ln in lines if ln.sku == sku)
        backordered = sum(b.quantity for b in plan.backordered if b.sku == sku)
        assert plan.allocated(sku) + backordered == ordered
    if strategy is not AllocationStrategy.PRIORITY_LIST:
        anywhere = {sku: sum(max(0, w.available.get(sku, 0)) for w in warehouses) for sku in SKUS}
        for b in plan.backordered:
            assert plan.allocated(b.sku) == anywhere[b.sku], "a short SKU ships everything that exists"


def fewest_possible_shipments(lines, warehouses):
    """Brute force: the smallest number of warehouses that together hold every fillable unit."""
    demand = {}
    for ln in lines:
        demand[ln.sku] = demand.get(ln.sku, 0) + ln.quantity
    stock = [{sku: max(0, w.available.get(sku, 0)) for sku in demand} for w in warehouses]
    need = {sku: min(units, sum(s[sku] for s in stock)) for sku, units in demand.items()}
    if not any(need.values()):
        return 0
    for size in range(1, len(stock) + 1):
        for combo in itertools.combinations(stock, size):
            if all(sum(s[sku] for s in combo) >= units for sku, units in need.items()):
                return size
    raise AssertionError("the full set always covers")


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_nearest_first_never_uses_more_shipments_than_necessary(scenario):
    lines, warehouses, destination, _, _ = scenario
    for strategy in (AllocationStrategy.NEAREST_FIRST, AllocationStrategy.FEWEST_SHIPMENTS):
        plan = allocate(lines, warehouses, destination=destination, strategy=strategy)
        assert len(plan.shipments) == fewest_possible_shipments(lines, warehouses)
