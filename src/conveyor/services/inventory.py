"""Inventory use cases: receipts, adjustments, transfers, reservations, levels, the ledger check.

Each use case is one unit of work: it takes the SQLite write lock first (see
``stock_keeping.begin_writing``), checks its input naming the field at fault,
makes guarded changes with their ledger rows, and commits. On any error
nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import insert

from conveyor.adapters.db.inventory_tables import stock_transfers
from conveyor.adapters.repositories.stock import SqlStock, StoredMovement
from conveyor.domain.errors import InvalidStockMovement
from conveyor.domain.inventory import (
    MovementType,
    ReferenceType,
    StockLevel,
    Violation,
    check_ledger_invariant,
)
from conveyor.domain.problems import Problems
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

MAX_PAGE = 500
#: called with the open unit of work and a SKU after units of it arrived (before the commit), so
#: orders waiting for that SKU are re-allocated in the same transaction (``services.backorders``)
Arrival = Callable[[SqlUnitOfWork, str], object]


@dataclass(frozen=True, slots=True)
class TransferLine:
    sku: str
    quantity: int


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12].upper()}"


def _check_quantity(problems: Problems, loc: tuple[str | int, ...], quantity: object) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        problems.add(loc, f"must be a whole number above 0, got {quantity!r}")


def receive_stock(
    uow: SqlUnitOfWork, *, warehouse: str, sku: str, quantity: int,
    reference: str | None = None, bin_location: str | None = None, on_arrival: Arrival | None = None,
) -> StockLevel:  # fmt: skip
    """Goods arrived at ``warehouse`` (a purchase order, a count): on hand goes up."""
    problems = Problems()
    _check_quantity(problems, ("quantity",), quantity)
    problems.raise_if_any(InvalidStockMovement, f"Cannot receive {sku!r} in {warehouse!r}")
    with uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        keeper.require_warehouse(warehouse)
        keeper.require_sku(sku)
        keeper.receive(warehouse, sku, quantity, (ReferenceType.RECEIPT, reference or _new_id("RC")),
                       bin_location=bin_location)  # fmt: skip
        if on_arrival is not None:
            on_arrival(uow, sku)
        level = keeper.stock.level(warehouse, sku)
        uow.commit()
    assert level is not None
    return level


def adjust_stock(
    uow: SqlUnitOfWork,
    *,
    warehouse: str,
    sku: str,
    quantity: int,
    reason: str,
    on_arrival: Arrival | None = None,
) -> StockLevel:
    """Correct on hand by ``quantity`` (negative to remove) for ``reason`` (count, damage, loss...).

    A removal may only take units nobody has reserved.
    """
    problems = Problems()
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        problems.add("quantity", f"must be a whole number other than 0, got {quantity!r}")
    if not isinstance(reason, str) or not reason.strip():
        problems.add("reason", "an adjustment needs a reason (count_correction, damaged, lost, found...)")
    problems.raise_if_any(InvalidStockMovement, f"Cannot adjust {sku!r} in {warehouse!r}")
    reference = (ReferenceType.ADJUSTMENT, _new_id("ADJ"))
    with uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        keeper.require_warehouse(warehouse)
        keeper.require_sku(sku)
        if quantity > 0:
            keeper.receive(warehouse, sku, quantity, reference, type=MovementType.ADJUSTMENT, reason=reason)
            if on_arrival is not None:
                on_arrival(uow, sku)
        else:
            keeper.take_unreserved(warehouse, sku, -quantity, reference, type=MovementType.ADJUSTMENT,
                                   reason=reason)  # fmt: skip
        level = keeper.stock.level(warehouse, sku)
        uow.commit()
    assert level is not None
    return level


def transfer_stock(
    uow: SqlUnitOfWork, *, from_warehouse: str, to_warehouse: str, lines: Sequence[TransferLine],
    note: str = "", on_arrival: Arrival | None = None,
) -> str:  # fmt: skip
    """Move unreserved units between warehouses in one transaction; returns the transfer id."""
    problems = Problems()
    if from_warehouse == to_warehouse:
        problems.add("to_warehouse", "must differ from from_warehouse")
    if not lines:
        problems.add("lines", "a transfer needs at least one line")
    for index, line in enumerate(lines):
        _check_quantity(problems, ("lines", index, "quantity"), line.quantity)
    problems.raise_if_any(InvalidStockMovement, "Cannot transfer")
    transfer_id = _new_id("TR")
    reference = (ReferenceType.TRANSFER, transfer_id)
    with uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        keeper.require_warehouse(from_warehouse, "from_warehouse")
        keeper.require_warehouse(to_warehouse, "to_warehouse")
        for index, line in enumerate(lines):
            keeper.require_sku(line.sku, f"lines[{index}].sku")
        uow.session.execute(insert(stock_transfers).values(
            id=transfer_id, from_warehouse=from_warehouse, to_warehouse=to_warehouse, note=note,
            created_at=keeper.now,
        ))  # fmt: skip
        for index, line in enumerate(lines):
            keeper.take_unreserved(
                from_warehouse,
                line.sku,
                line.quantity,
                reference,
                type=MovementType.TRANSFER_OUT,
                field=f"lines[{index}].quantity",
            )
            keeper.receive(to_warehouse, line.sku, line.quantity, reference, type=MovementType.TRANSFER_IN)
        if on_arrival is not None:
            for sku in dict.fromkeys(line.sku for line in lines):
                on_arrival(uow, sku)
        uow.commit()
    return transfer_id


def reserve_stock(
    uow: SqlUnitOfWork, *, order_id: str, warehouse: str, sku: str, quantity: int, line_no: int | None = None
) -> bool:
    """Reserve in one warehouse for an order line; False when not enough is available (never oversells)."""
    problems = Problems()
    _check_quantity(problems, ("quantity",), quantity)
    problems.raise_if_any(InvalidStockMovement, f"Cannot reserve {sku!r} in {warehouse!r}")
    with uow:
        begin_writing(uow.session)
        keeper = StockKeeper(uow.session)
        done = keeper.reserve(order_id=order_id, line_no=line_no, warehouse=warehouse, sku=sku,
                              quantity=quantity)  # fmt: skip
        uow.commit()
    return done


def release_order_stock(uow: SqlUnitOfWork, order_id: str, reason: str = "") -> int:
    """Release every open reservation of an order (a cancellation); the units released."""
    with uow:
        begin_writing(uow.session)
        released = StockKeeper(uow.session).release_order(order_id, reason)
        uow.commit()
    return released


def stock_levels(
    uow: SqlUnitOfWork, *, warehouse: str | None = None, sku: str | None = None
) -> list[StockLevel]:
    with uow:
        return SqlStock(uow.session).levels(warehouse=warehouse, sku=sku)


def stock_movements(
    uow: SqlUnitOfWork, *, warehouse: str | None = None, sku: str | None = None,
    reference_id: str | None = None, after_id: int | None = None, limit: int = 100,
) -> list[StoredMovement]:  # fmt: skip
    """The ledger, oldest first, ``limit`` rows after the cursor ``after_id``."""
    with uow:
        return SqlStock(uow.session).movements(
            warehouse=warehouse, sku=sku, reference_id=reference_id, after_id=after_id,
            limit=max(1, min(limit, MAX_PAGE)),
        )  # fmt: skip


def ledger_violations(uow: SqlUnitOfWork) -> list[Violation]:
    """Everything wrong between levels, the ledger and open reservations (empty: consistent)."""
    with uow:
        stock = SqlStock(uow.session)
        levels = stock.levels()
        movements = [stored.movement for stored in stock.movements()]
        held = stock.open_reservations()
    return check_ledger_invariant(levels, movements, held)
