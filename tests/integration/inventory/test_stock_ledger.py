"""Receipts, adjustments, transfers and reservations change stock only with a ledger row each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from conveyor.bootstrap import Runtime
from conveyor.domain.errors import InsufficientStock, InvalidStockMovement, UnknownSku
from conveyor.errors import NotFound
from conveyor.services import inventory
from conveyor.services.inventory import TransferLine

Check = Callable[[Runtime], None]


def _level(runtime: Runtime, warehouse: str, sku: str) -> tuple[int, int]:
    levels = inventory.stock_levels(runtime.unit_of_work(), warehouse=warehouse, sku=sku)
    return (levels[0].on_hand, levels[0].reserved) if levels else (0, 0)


def _movement_count(runtime: Runtime) -> int:
    return len(inventory.stock_movements(runtime.unit_of_work(), limit=500))


def test_a_receipt_raises_on_hand_and_records_the_movement_with_its_document(
    network: Runtime, check_ledger: Check
) -> None:
    level = inventory.receive_stock(
        network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=12, reference="PO-77",
        bin_location="A-3",
    )
    assert (level.on_hand, level.reserved, level.available, level.bin_location) == (12, 0, 12, "A-3")
    [stored] = inventory.stock_movements(network.unit_of_work())
    movement = stored.movement
    assert (movement.type.value, movement.quantity, movement.reference_id) == ("receipt", 12, "PO-77")
    check_ledger(network)


def test_an_adjustment_needs_a_reason_and_cannot_remove_reserved_units(
    network: Runtime, check_ledger: Check
) -> None:
    uow = network.unit_of_work
    inventory.receive_stock(uow(), warehouse="BER", sku="MUG-1", quantity=5)
    assert inventory.reserve_stock(uow(), order_id="O-1", warehouse="BER", sku="MUG-1", quantity=3)
    with pytest.raises(InvalidStockMovement) as missing_reason:
        inventory.adjust_stock(uow(), warehouse="BER", sku="MUG-1", quantity=-1, reason=" ")
    assert missing_reason.value.errors[0]["loc"] == ["reason"]
    with pytest.raises(InsufficientStock):
        inventory.adjust_stock(uow(), warehouse="BER", sku="MUG-1", quantity=-3, reason="damaged")
    level = inventory.adjust_stock(uow(), warehouse="BER", sku="MUG-1", quantity=-2, reason="damaged")
    assert (level.on_hand, level.reserved) == (3, 3)
    assert inventory.stock_movements(uow())[-1].movement.reason == "damaged"
    check_ledger(network)


def test_a_transfer_moves_units_out_of_one_warehouse_and_into_another_in_one_step(
    network: Runtime, check_ledger: Check
) -> None:
    uow = network.unit_of_work
    inventory.receive_stock(uow(), warehouse="BER", sku="MUG-1", quantity=10)
    inventory.receive_stock(uow(), warehouse="BER", sku="TEE-1", quantity=2)
    transfer_id = inventory.transfer_stock(
        uow(), from_warehouse="BER", to_warehouse="LYS",
        lines=[TransferLine("MUG-1", 4), TransferLine("TEE-1", 2)],
    )
    assert _level(network, "BER", "MUG-1") == (6, 0)
    assert _level(network, "LYS", "MUG-1") == (4, 0)
    assert _level(network, "LYS", "TEE-1") == (2, 0)
    kinds = [m.movement.type.value for m in inventory.stock_movements(uow(), reference_id=transfer_id)]
    assert kinds == ["transfer_out", "transfer_in", "transfer_out", "transfer_in"]
    check_ledger(network)


def test_a_transfer_that_cannot_be_filled_moves_nothing_at_all(
    network: Runtime, check_ledger: Check
) -> None:
    uow = network.unit_of_work
    inventory.receive_stock(uow(), warehouse="BER", sku="MUG-1", quantity=10)
    before = _movement_count(network)
    with pytest.raises(InsufficientStock) as refused:
        inventory.transfer_stock(
            uow(), from_warehouse="BER", to_warehouse="LYS",
            lines=[TransferLine("MUG-1", 4), TransferLine("TEE-1", 1)],
        )
    assert refused.value.errors[0]["path"] == "lines[1].quantity"
    assert _level(network, "BER", "MUG-1") == (10, 0)
    assert _level(network, "LYS", "MUG-1") == (0, 0)
    assert _movement_count(network) == before
    check_ledger(network)


def test_bad_receipts_name_the_field_and_write_nothing(network: Runtime) -> None:
    uow = network.unit_of_work
    with pytest.raises(UnknownSku) as unknown_sku:
        inventory.receive_stock(uow(), warehouse="BER", sku="NOPE-9", quantity=1)
    assert unknown_sku.value.errors[0]["loc"] == ["sku"]
    with pytest.raises(NotFound) as unknown_warehouse:
        inventory.receive_stock(uow(), warehouse="XXX", sku="MUG-1", quantity=1)
    assert unknown_warehouse.value.errors[0]["loc"] == ["warehouse"]
    for quantity in (0, -3):
        with pytest.raises(InvalidStockMovement) as bad_quantity:
            inventory.receive_stock(uow(), warehouse="BER", sku="MUG-1", quantity=quantity)
        assert bad_quantity.value.errors[0]["loc"] == ["quantity"]
    assert _movement_count(network) == 0
    assert inventory.stock_levels(uow()) == []


def test_reserving_more_than_is_available_is_refused_and_releasing_gives_it_back(
    network: Runtime, check_ledger: Check
) -> None:
    uow = network.unit_of_work
    inventory.receive_stock(uow(), warehouse="LYS", sku="TEE-1", quantity=3)
    assert inventory.reserve_stock(uow(), order_id="O-1", warehouse="LYS", sku="TEE-1", quantity=2, line_no=1)
    assert not inventory.reserve_stock(uow(), order_id="O-2", warehouse="LYS", sku="TEE-1", quantity=2)
    assert _level(network, "LYS", "TEE-1") == (3, 2)
    assert inventory.release_order_stock(uow(), "O-1", "cancelled") == 2
    assert inventory.release_order_stock(uow(), "O-1") == 0
    assert _level(network, "LYS", "TEE-1") == (3, 0)
    check_ledger(network)


@pytest.mark.parametrize(
    ("on_hand", "reserved"),
    [(-1, 0), (1, -1), (1, 2)],
    ids=["negative-on-hand", "negative-reserved", "oversold"],
)
def test_the_database_itself_refuses_impossible_stock_levels(
    network: Runtime, on_hand: int, reserved: int
) -> None:
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=1)
    with network.engine.connect() as connection, pytest.raises(IntegrityError):
        connection.execute(
            text("UPDATE stock_levels SET on_hand = :h, reserved = :r WHERE sku = 'MUG-1'"),
            {"h": on_hand, "r": reserved},
        )


def test_the_ledger_check_notices_stock_changed_behind_its_back(network: Runtime) -> None:
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=5)
    with network.engine.begin() as connection:
        connection.execute(text("UPDATE stock_levels SET on_hand = 7 WHERE sku = 'MUG-1'"))
    [violation] = inventory.ledger_violations(network.unit_of_work())
    assert violation.kind.value == "on_hand_differs_from_ledger"
    assert (violation.expected, violation.actual) == (5, 7)
