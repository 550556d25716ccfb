"""The fulfilment side of stock: reserve, pick, ship, return, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable

from conveyor.bootstrap import Runtime
from conveyor.domain.inventory import MovementType, ReferenceType
from conveyor.services import inventory
from conveyor.services.stock_keeping import StockKeeper, begin_writing

Check = Callable[[Runtime], None]


def _levels(runtime: Runtime) -> dict[tuple[str, str], tuple[int, int]]:
    levels = inventory.stock_levels(runtime.unit_of_work())
    return {(lv.warehouse, lv.sku): (lv.on_hand, lv.reserved) for lv in levels}


def test_an_order_reserved_picked_and_shipped_leaves_the_building_and_the_ledger_says_so(
    network: Runtime, check_ledger: Check
) -> None:
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="TEE-1", quantity=5)
    with network.unit_of_work() as uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        assert keeper.reserve(order_id="O-7", line_no=1, warehouse="BER", sku="TEE-1", quantity=3)
        uow.commit()
    with network.unit_of_work() as uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        keeper.record_pick("BER", "TEE-1", 3, "PL-1")
        [reservation] = keeper.stock.reservations_of("O-7")
        assert keeper.ship(reservation, (ReferenceType.SHIPMENT, "SH-1"))
        assert not keeper.ship(reservation, (ReferenceType.SHIPMENT, "SH-1")), "a reservation ships once"
        uow.commit()
    assert _levels(network) == {("BER", "TEE-1"): (2, 0)}
    kinds = [m.movement.type for m in inventory.stock_movements(network.unit_of_work())]
    assert kinds == [MovementType.RECEIPT, MovementType.RESERVATION, MovementType.PICK, MovementType.SHIPMENT]
    check_ledger(network)


def test_a_returned_item_comes_back_on_hand(network: Runtime, check_ledger: Check) -> None:
    with network.unit_of_work() as uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        keeper.receive("LYS", "MUG-1", 1, (ReferenceType.RETURN, "RMA-1"), type=MovementType.RETURN)
        uow.commit()
    assert _levels(network) == {("LYS", "MUG-1"): (1, 0)}
    check_ledger(network)


def test_a_failed_step_rolls_back_its_reservations_with_everything_else(
    network: Runtime, check_ledger: Check
) -> None:
    inventory.receive_stock(network.unit_of_work(), warehouse="BER", sku="MUG-1", quantity=2)
    try:
        with network.unit_of_work() as uow:
            begin_writing(uow.session)
            keeper = StockKeeper(uow.session)
            keeper.reserve(order_id="O-1", line_no=1, warehouse="BER", sku="MUG-1", quantity=2)
            raise RuntimeError("the payment handler failed after reserving")
    except RuntimeError:
        pass
    assert _levels(network) == {("BER", "MUG-1"): (2, 0)}
    again = network.unit_of_work()
    assert inventory.reserve_stock(again, order_id="O-2", warehouse="BER", sku="MUG-1", quantity=2)
    check_ledger(network)
