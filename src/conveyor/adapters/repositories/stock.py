"""Stock levels, reservations and the movement ledger, changed only by guarded SQL.

Every change is one ``UPDATE ... WHERE <guard>`` whose row count says whether
it happened, plus a ledger row in the same transaction. The guard is what
makes overselling impossible on both databases: two transactions that both
want the last unit cannot both match ``on_hand - reserved >= :q`` (the second
re-evaluates the row after the first commits on PostgreSQL, and waits for the
single writer on SQLite). Reading the level in Python and writing it back
would lose updates; this module never does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conveyor.adapters.db.inventory_tables import reservations, stock_levels, stock_movements
from conveyor.domain.inventory import (
    MovementType,
    ReferenceType,
    Reservation,
    StockLevel,
    StockMovement,
)


@dataclass(frozen=True, slots=True)
class StoredReservation:
    id: int
    order_id: str
    line_no: int | None
    warehouse: str
    sku: str
    quantity: int
    state: str


@dataclass(frozen=True, slots=True)
class StoredMovement:
    id: int
    movement: StockMovement


def _level(row: Row[tuple[object, ...]]) -> StockLevel:
    m = row._mapping
    return StockLevel(m["warehouse_code"], m["sku"], m["on_hand"], m["reserved"], m["bin_location"])


def _movement(row: Row[tuple[object, ...]]) -> StockMovement:
    m = row._mapping
    return StockMovement(
        warehouse=m["warehouse_code"], sku=m["sku"], type=MovementType(m["type"]), quantity=m["quantity"],
        on_hand_delta=m["on_hand_delta"], reserved_delta=m["reserved_delta"],
        reference_type=ReferenceType(m["reference_type"]), reference_id=m["reference_id"],
        at=m["at"], reason=m["reason"],
    )  # fmt: skip


def _reservation(row: Row[tuple[object, ...]]) -> StoredReservation:
    m = row._mapping
    return StoredReservation(
        m["id"], m["order_id"], m["line_no"], m["warehouse_code"], m["sku"], m["quantity"], m["state"]
    )


def _key(warehouse: str, sku: str) -> ColumnElement[bool]:
    return and_(stock_levels.c.warehouse_code == warehouse, stock_levels.c.sku == sku)


class SqlStock:
    """The stock tables of one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # --- the ledger ------------------------------------------------------------

    def record(self, movement: StockMovement) -> None:
        """Append one movement to the ledger (never updated or deleted afterwards)."""
        self._session.execute(
            insert(stock_movements).values(
                warehouse_code=movement.warehouse, sku=movement.sku, type=movement.type.value,
                quantity=movement.quantity, on_hand_delta=movement.on_hand_delta,
                reserved_delta=movement.reserved_delta, reference_type=movement.reference_type.value,
                reference_id=movement.reference_id, reason=movement.reason, at=movement.at,
            )
        )

    # --- guarded changes: each returns whether it happened ----------------------

    def ensure_level(self, warehouse: str, sku: str, at: datetime, bin_location: str | None = None) -> None:
        """Create the (warehouse, SKU) row with nothing in it, unless it exists (race-safe)."""
        values = {"warehouse_code": warehouse, "sku": sku, "on_hand": 0, "reserved": 0,
                  "bin_location": bin_location, "updated_at": at}  # fmt: skip
        dialect = self._session.get_bind().dialect.name
        statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(stock_levels)
        self._session.execute(statement.values(**values).on_conflict_do_nothing())

    def add_on_hand(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """on_hand += quantity (a receipt, a return, a transfer in, a positive adjustment)."""
        return self._guarded(warehouse, sku, at, on_hand=quantity)

    def remove_unreserved(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """on_hand -= quantity, only from units nobody has reserved."""
        guard = stock_levels.c.on_hand - stock_levels.c.reserved >= quantity
        return self._guarded(warehouse, sku, at, on_hand=-quantity, guard=guard)

    def reserve(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """reserved += quantity when that many are available; False when not (nothing changes)."""
        guard = stock_levels.c.on_hand - stock_levels.c.reserved >= quantity
        return self._guarded(warehouse, sku, at, reserved=quantity, guard=guard)

    def unreserve(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        guard = stock_levels.c.reserved >= quantity
        return self._guarded(warehouse, sku, at, reserved=-quantity, guard=guard)

    def ship_reserved(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """Reserved units leave the building: on_hand and reserved both drop."""
        guard = stock_levels.c.reserved >= quantity
        return self._guarded(warehouse, sku, at, on_hand=-quantity, reserved=-quantity, guard=guard)

    def set_bin_location(self, warehouse: str, sku: str, bin_location: str | None, at: datetime) -> None:
        self._session.execute(
            update(stock_levels).where(_key(warehouse, sku)).values(bin_location=bin_location, updated_at=at)
        )

    def _guarded(
        self, warehouse: str, sku: str, at: datetime, *, on_hand: int = 0, reserved: int = 0,
        guard: ColumnElement[bool] | None = None,
    ) -> bool:  # fmt: skip
        values: dict[str, object] = {"updated_at": at}
        if on_hand:
            values["on_hand"] = stock_levels.c.on_hand + on_hand
        if reserved:
            values["reserved"] = stock_levels.c.reserved + reserved
        statement = update(stock_levels).where(_key(warehouse, sku))
        if guard is not None:
            statement = statement.where(guard)
        result = self._session.execute(statement.values(**values))
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    # --- reservations -----------------------------------------------------------

    def add_reservation(
        self, *, order_id: str, line_no: int | None, warehouse: str, sku: str, quantity: int, at: datetime
    ) -> int:
        return int(
            self._session.execute(
                insert(reservations)
                .values(order_id=order_id, line_no=line_no, warehouse_code=warehouse, sku=sku,
                        quantity=quantity, state="open", created_at=at)
                .returning(reservations.c.id)
            ).scalar_one()
        )

    def close_reservation(self, reservation_id: int, state: str, at: datetime) -> bool:
        """Mark an open reservation released or consumed; False when it was not open (a race lost)."""
        result = self._session.execute(
            update(reservations)
            .where(reservations.c.id == reservation_id, reservations.c.state == "open")
            .values(state=state, closed_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def reservations_of(self, order_id: str, *, state: str | None = "open") -> list[StoredReservation]:
        query = select(reservations).where(reservations.c.order_id == order_id)
        if state is not None:
            query = query.where(reservations.c.state == state)
        return [_reservation(row) for row in self._session.execute(query.order_by(reservations.c.id))]

    def open_reservations(self) -> list[Reservation]:
        query = select(reservations).where(reservations.c.state == "open").order_by(reservations.c.id)
        return [
            Reservation(r.warehouse, r.sku, r.quantity, ReferenceType.ORDER, r.order_id)
            for r in (_reservation(row) for row in self._session.execute(query))
        ]

    # --- reading ------------------------------------------------------------------

    def level(self, warehouse: str, sku: str) -> StockLevel | None:
        row = self._session.execute(select(stock_levels).where(_key(warehouse, sku))).first()
        return _level(row) if row else None

    def levels(
        self, *, warehouse: str | None = None, sku: str | None = None, skus: Sequence[str] | None = None
    ) -> list[StockLevel]:
        query = select(stock_levels)
        if warehouse is not None:
            query = query.where(stock_levels.c.warehouse_code == warehouse)
        if sku is not None:
            query = query.where(stock_levels.c.sku == sku)
        if skus is not None:
            query = query.where(stock_levels.c.sku.in_(list(skus)))
        query = query.order_by(stock_levels.c.warehouse_code, stock_levels.c.sku)
        return [_level(row) for row in self._session.execute(query)]

    def movements(
        self, *, warehouse: str | None = None, sku: str | None = None, reference_id: str | None = None,
        after_id: int | None = None, limit: int | None = None,
    ) -> list[StoredMovement]:  # fmt: skip
        """The ledger in append order (filters and an ``after_id`` cursor optional)."""
        query = select(stock_movements)
        for column, value in (
            (stock_movements.c.warehouse_code, warehouse), (stock_movements.c.sku, sku),
            (stock_movements.c.reference_id, reference_id),
        ):  # fmt: skip
            if value is not None:
                query = query.where(column == value)
        if after_id is not None:
            query = query.where(stock_movements.c.id > after_id)
        query = query.order_by(stock_movements.c.id)
        if limit is not None:
            query = query.limit(limit)
        return [StoredMovement(row._mapping["id"], _movement(row)) for row in self._session.execute(query)]
