"""Allocation against the database: nearest warehouse, splits, backorders, geocoding, re-planning."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor.adapters.geocoding import AddressNotLocated
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.bootstrap import Runtime
from conveyor.domain.addresses import Address
from conveyor.domain.allocation import AllocationStrategy
from conveyor.domain.channels import SalesChannel
from conveyor.domain.geo import Coordinates
from conveyor.services import allocation, inventory
from conveyor.services.allocation import AllocationOutcome, LineToAllocate

Check = Callable[[Runtime], None]
POTSDAM = Address(name="Ada", line1="Am Kanal 1", city="Potsdam", country="DE",
                  coordinates=Coordinates(52.39, 13.06))  # fmt: skip
WEB = SalesChannel("web", "Online shop", "EUR")


def _stock(runtime: Runtime, **levels: int) -> None:
    for key, quantity in levels.items():
        warehouse, sku = key.split("__")
        inventory.receive_stock(runtime.unit_of_work(), warehouse=warehouse, sku=sku.replace("_", "-"),
                                quantity=quantity)  # fmt: skip


def _allocate(
    runtime: Runtime, lines: list[LineToAllocate], destination: Address = POTSDAM, order_id: str = "O-1"
) -> AllocationOutcome:
    with runtime.unit_of_work() as uow:
        outcome = allocation.allocate_order(
            uow.session, order_id=order_id, lines=lines, destination=destination, channel=WEB
        )
        uow.commit()
    return outcome


def test_the_nearest_warehouse_that_has_everything_ships_the_whole_order(
    network: Runtime, check_ledger: Check
) -> None:
    _stock(network, BER__MUG_1=5, BER__TEE_1=5, LYS__MUG_1=5, LYS__TEE_1=5)
    outcome = _allocate(network, [LineToAllocate(1, "MUG-1", 2), LineToAllocate(2, "TEE-1", 1)])
    assert outcome.warehouses == ("BER",)
    assert outcome.is_complete
    assert {(r.line_no, r.quantity) for r in outcome.reservations} == {(1, 2), (2, 1)}
    check_ledger(network)


def test_an_order_no_single_warehouse_can_fill_is_split_and_the_rest_backordered(
    network: Runtime, check_ledger: Check
) -> None:
    _stock(network, BER__MUG_1=3, LYS__TEE_1=2)
    outcome = _allocate(network, [LineToAllocate(1, "MUG-1", 3), LineToAllocate(2, "TEE-1", 4)])
    assert sorted(outcome.warehouses) == ["BER", "LYS"]
    assert [(b.line_no, b.sku, b.quantity) for b in outcome.backorders] == [(2, "TEE-1", 2)]
    levels = {(lv.warehouse, lv.sku): lv.reserved for lv in inventory.stock_levels(network.unit_of_work())}
    assert levels == {("BER", "MUG-1"): 3, ("LYS", "TEE-1"): 2}
    check_ledger(network)


def test_an_address_without_coordinates_is_geocoded_to_pick_the_nearest_warehouse(network: Runtime) -> None:
    _stock(network, BER__MUG_1=5, LYS__MUG_1=5, AUS__MUG_1=5)
    near_lyon = Address(name="Camille", line1="8 Rue Mercière", city="Villeurbanne", country="FR")
    assert _allocate(network, [LineToAllocate(1, "MUG-1", 1)], near_lyon).warehouses == ("LYS",)
    in_texas = Address(name="Sam", line1="500 Congress Ave", city="Austin", country="US")
    assert _allocate(network, [LineToAllocate(1, "MUG-1", 1)], in_texas, "O-2").warehouses == ("AUS",)


def test_an_address_that_cannot_be_placed_is_refused_and_nothing_is_reserved(
    network: Runtime, check_ledger: Check
) -> None:
    _stock(network, BER__MUG_1=5)
    nowhere = Address(name="Ada", line1="1 Main St", city="Atlantis Lost City", country="DE")
    with pytest.raises(AddressNotLocated) as refused:
        _allocate(network, [LineToAllocate(1, "MUG-1", 1)], nowhere)
    assert refused.value.errors[0]["loc"] == ["city"]
    assert inventory.stock_levels(network.unit_of_work())[0].reserved == 0
    check_ledger(network)


def test_stock_taken_between_planning_and_reserving_makes_it_plan_again(
    network: Runtime, check_ledger: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stock(network, LYS__MUG_1=5)
    real = allocation.candidates
    calls = []

    def stale_on_first_call(session, skus):  # type: ignore[no-untyped-def]
        found = real(session, skus)
        calls.append(1)
        if len(calls) == 1:  # Berlin looks stocked, but someone has just taken everything
            return [c if c.code != "BER" else type(c)(c.code, c.coordinates, {"MUG-1": 5}, c.priority)
                    for c in found]  # fmt: skip
        return found

    monkeypatch.setattr(allocation, "candidates", stale_on_first_call)
    outcome = _allocate(network, [LineToAllocate(1, "MUG-1", 2)])
    assert outcome.attempts == 2
    assert outcome.warehouses == ("LYS",)
    check_ledger(network)


def test_64_concurrent_allocations_of_one_unit_reserve_exactly_the_10_in_stock(
    network: Runtime, check_ledger: Check
) -> None:
    _stock(network, BER__MUG_1=6, LYS__MUG_1=4)
    start = threading.Barrier(64)

    def place(index: int) -> bool:
        start.wait()
        outcome = _allocate(network, [LineToAllocate(1, "MUG-1", 1)], order_id=f"O-{index}")
        return outcome.is_complete

    with ThreadPoolExecutor(max_workers=64) as pool:
        filled = list(pool.map(place, range(64)))
    assert filled.count(True) == 10
    assert sum(level.reserved for level in inventory.stock_levels(network.unit_of_work())) == 10
    check_ledger(network)


def test_a_channel_with_a_priority_list_uses_its_warehouses_in_that_order(network: Runtime) -> None:
    _stock(network, BER__MUG_1=5, AUS__MUG_1=5)
    with network.unit_of_work() as uow:
        SqlConfiguration(uow.session).save_channel(
            SalesChannel("b2b", "Wholesale", "EUR", allocation_strategy=AllocationStrategy.PRIORITY_LIST,
                         warehouse_priority=("AUS", "BER")), allocation.StockKeeper(uow.session).now,
        )  # fmt: skip
        uow.commit()
    with network.unit_of_work() as uow:
        lines = [LineToAllocate(1, "MUG-1", 1)]
        outcome = allocation.allocate_order(
            uow.session, order_id="O-9", lines=lines, destination=POTSDAM, channel="b2b"
        )
        uow.commit()
    assert outcome.warehouses == ("AUS",)


def test_allocating_an_order_again_only_reserves_what_its_lines_still_miss(
    network: Runtime, check_ledger: Check
) -> None:
    _stock(network, BER__MUG_1=2)
    lines = [LineToAllocate(1, "MUG-1", 3)]
    first = _allocate(network, lines)
    assert [(b.line_no, b.quantity) for b in first.backorders] == [(1, 1)]
    assert _allocate(network, lines).attempts >= 1  # nothing new in stock: still one short
    _stock(network, LYS__MUG_1=5)
    second = _allocate(network, lines)
    assert second.is_complete
    assert sorted((r.warehouse, r.quantity) for r in second.reservations) == [("BER", 2), ("LYS", 1)]
    third = _allocate(network, lines)
    assert (third.attempts, third.is_complete) == (0, True)
    assert sum(level.reserved for level in inventory.stock_levels(network.unit_of_work())) == 3
    check_ledger(network)
