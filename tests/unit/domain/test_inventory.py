"""The stock ledger and the invariant that integration tests check after every scenario."""

from datetime import UTC, datetime

import pytest

from conveyor.domain.errors import InvalidStockMovement
from conveyor.domain.inventory import (
    MovementType,
    ReferenceType,
    Reservation,
    StockLevel,
    StockMovement,
    ViolationKind,
    check_ledger_invariant,
)
from conveyor.domain.transfers import StockTransfer

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def move(kind, quantity, reference=ReferenceType.ORDER, ref_id="o-1", reason=""):
    return StockMovement.record(
        MovementType(kind), warehouse="BER", sku="A", quantity=quantity,
        reference_type=reference, reference_id=ref_id, at=NOW, reason=reason,
    )


def reservation(quantity, order="o-1"):
    return Reservation("BER", "A", quantity, ReferenceType.ORDER, order)


LEDGER = [
    move("receipt", 10, ReferenceType.RECEIPT, "r-1"),
    move("reservation", 3),
    move("pick", 3, ReferenceType.PICK_LIST, "pl-1"),
    move("shipment", 3, ReferenceType.SHIPMENT, "s-1"),
    move("reservation", 2, ref_id="o-2"),
    move("adjustment", -1, ReferenceType.ADJUSTMENT, "adj-1", reason="damaged in storage"),
]


def kinds(violations):
    return [v.kind for v in violations]


def test_each_movement_type_changes_on_hand_and_reserved_its_own_way():
    assert [(m.on_hand_delta, m.reserved_delta) for m in LEDGER] == [
        (10, 0), (0, 3), (0, 0), (-3, -3), (0, 2), (-1, 0),
    ]
    assert MovementType.TRANSFER_OUT.deltas(4) == (-4, 0)
    assert MovementType.RETURN.deltas(1) == (1, 0)
    assert MovementType.RELEASE.deltas(2) == (0, -2)


def test_available_is_on_hand_minus_reserved():
    assert StockLevel("BER", "A", on_hand=6, reserved=2).available == 4


def test_a_consistent_ledger_has_no_violations():
    level = StockLevel("BER", "A", on_hand=6, reserved=2)
    assert check_ledger_invariant([level], LEDGER, [reservation(2, "o-2")]) == []


def test_on_hand_that_differs_from_the_ledger_is_reported():
    level = StockLevel("BER", "A", on_hand=7, reserved=2)
    found = check_ledger_invariant([level], LEDGER, [reservation(2, "o-2")])
    assert kinds(found) == [ViolationKind.ON_HAND_DIFFERS_FROM_LEDGER]
    assert str(found[0]) == "BER/A: on hand is 7 but the ledger sums to 6"


def test_reserved_that_differs_from_open_reservations_is_reported():
    level = StockLevel("BER", "A", on_hand=6, reserved=2)
    found = check_ledger_invariant([level], LEDGER, [reservation(2, "o-2"), reservation(1, "o-3")])
    assert kinds(found) == [ViolationKind.RESERVED_DIFFERS_FROM_RESERVATIONS]


def test_reserved_that_differs_from_the_ledger_is_reported():
    level = StockLevel("BER", "A", on_hand=6, reserved=1)
    found = check_ledger_invariant([level], LEDGER, [reservation(1, "o-2")])
    assert kinds(found) == [ViolationKind.RESERVED_DIFFERS_FROM_LEDGER]


def test_negative_stock_and_overselling_are_reported():
    levels = [StockLevel("BER", "A", on_hand=-1, reserved=0), StockLevel("BER", "B", on_hand=2, reserved=3)]
    movements = [
        StockMovement("BER", "A", MovementType.ADJUSTMENT, -1, -1, 0, ReferenceType.ADJUSTMENT, "x", NOW),
        StockMovement("BER", "B", MovementType.RECEIPT, 2, 2, 0, ReferenceType.RECEIPT, "r", NOW),
        StockMovement("BER", "B", MovementType.RESERVATION, 3, 0, 3, ReferenceType.ORDER, "o", NOW),
    ]
    found = check_ledger_invariant(levels, movements, [Reservation("BER", "B", 3, ReferenceType.ORDER, "o")])
    assert kinds(found) == [
        ViolationKind.LEDGER_WENT_NEGATIVE, ViolationKind.NEGATIVE_ON_HAND, ViolationKind.OVERSOLD,
    ]


def test_a_negative_reserved_count_is_reported():
    found = check_ledger_invariant([StockLevel("BER", "A", on_hand=0, reserved=-2)], [], [])
    assert ViolationKind.NEGATIVE_RESERVED in kinds(found)


def test_a_movement_whose_deltas_contradict_its_type_is_reported():
    forged = StockMovement("BER", "A", MovementType.RECEIPT, 5, 5, 5, ReferenceType.RECEIPT, "r", NOW)
    found = check_ledger_invariant([StockLevel("BER", "A", 5, 5)], [forged], [reservation(5)])
    assert kinds(found) == [ViolationKind.MOVEMENT_DELTAS_WRONG]


def test_stock_in_the_ledger_without_a_level_row_is_reported():
    found = check_ledger_invariant([], [move("receipt", 4, ReferenceType.RECEIPT, "r")], [])
    assert kinds(found) == [ViolationKind.ON_HAND_DIFFERS_FROM_LEDGER]


def test_an_adjustment_needs_a_reason_and_other_movements_a_positive_quantity():
    with pytest.raises(InvalidStockMovement, match="reason: an adjustment needs a reason"):
        move("adjustment", 2, ReferenceType.ADJUSTMENT, "adj")
    with pytest.raises(InvalidStockMovement, match="quantity: must be above 0 for a receipt"):
        move("receipt", 0)
    with pytest.raises(InvalidStockMovement, match="at: must be a timezone-aware time"):
        StockMovement.record(MovementType.RECEIPT, warehouse="W", sku="A", quantity=1,
                             reference_type=ReferenceType.RECEIPT, reference_id="r", at=datetime(2026, 1, 1))


def test_a_transfer_moves_stock_out_of_one_warehouse_and_into_another():
    transfer = StockTransfer("t-1", "A", 4, "BER", "MUC", reason="rebalancing")
    out, into = transfer.movements(at=NOW)
    assert (out.warehouse, out.type, out.on_hand_delta) == ("BER", MovementType.TRANSFER_OUT, -4)
    assert (into.warehouse, into.type, into.on_hand_delta) == ("MUC", MovementType.TRANSFER_IN, 4)
    assert out.reference_type is into.reference_type is ReferenceType.TRANSFER
    levels = [StockLevel("BER", "A", 6), StockLevel("MUC", "A", 4)]
    receipt = StockMovement.record(MovementType.RECEIPT, warehouse="BER", sku="A", quantity=10,
                                   reference_type=ReferenceType.RECEIPT, reference_id="r", at=NOW)
    assert check_ledger_invariant(levels, [receipt, out, into], []) == []


def test_a_transfer_to_the_same_warehouse_is_refused():
    with pytest.raises(InvalidStockMovement, match="to_warehouse: must differ from the source warehouse"):
        StockTransfer("t-2", "A", 1, "BER", "BER")
