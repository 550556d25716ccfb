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
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Executable,
    Integer,
    Row,
    Update,
    and_,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conveyor.adapters.db.inventory_tables import reservations, stock_levels, stock_movements
from conveyor.adapters.db.types import UtcDateTime
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


# The statements on the hot path (every order reserves, every reservation is a movement) are built
# once with bound parameters: building and hashing a statement per call costs more than running it.
_ROW = and_(stock_levels.c.warehouse_code == bindparam("p_w"), stock_levels.c.sku == bindparam("p_s"))
_Q = bindparam("p_q", type_=Integer())
_AT = bindparam("p_at", type_=UtcDateTime())
_AVAILABLE = stock_levels.c.on_hand - stock_levels.c.reserved >= _Q
_HELD = stock_levels.c.reserved >= _Q
_LEVEL = update(stock_levels).where(_ROW)
_CHANGES: dict[str, Update] = {
    "add_on_hand": _LEVEL.values(on_hand=stock_levels.c.on_hand + _Q, updated_at=_AT),
    "remove_unreserved": _LEVEL.where(_AVAILABLE).values(on_hand=stock_levels.c.on_hand - _Q, updated_at=_AT),
    "reserve": _LEVEL.where(_AVAILABLE).values(reserved=stock_levels.c.reserved + _Q, updated_at=_AT),
    "unreserve": _LEVEL.where(_HELD).values(reserved=stock_levels.c.reserved - _Q, updated_at=_AT),
    "ship_reserved": _LEVEL.where(_HELD).values(
        on_hand=stock_levels.c.on_hand - _Q, reserved=stock_levels.c.reserved - _Q, updated_at=_AT
    ),
}
_INSERT_MOVEMENT = insert(stock_movements)
_INSERT_RESERVATION = insert(reservations).returning(reservations.c.id)
_OPEN_OF_ORDER = (
    select(reservations)
    .where(reservations.c.order_id == bindparam("p_order"), reservations.c.state == "open")
    .order_by(reservations.c.id)
)
_LEVELS_OF_SKUS = (
    select(stock_levels)
    .where(stock_levels.c.sku.in_(bindparam("p_skus", expanding=True)))
    .order_by(stock_levels.c.warehouse_code, stock_levels.c.sku)
)


class SqlStock:
    """The stock tables of one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _run(self, statement: Executable, parameters: dict[str, Any]) -> CursorResult[Any]:
        result: CursorResult[Any] = self._session.connection().execute(statement, parameters)
        return result

    # --- the ledger ------------------------------------------------------------

    def record(self, movement: StockMovement) -> None:
        """Append one movement to the ledger (never updated or deleted afterwards)."""
        self._run(_INSERT_MOVEMENT, {
            "warehouse_code": movement.warehouse, "sku": movement.sku, "type": movement.type.value,
            "quantity": movement.quantity, "on_hand_delta": movement.on_hand_delta,
            "reserved_delta": movement.reserved_delta, "reference_type": movement.reference_type.value,
            "reference_id": movement.reference_id, "reason": movement.reason, "at": movement.at,
        })  # fmt: skip

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
        return self._guarded("add_on_hand", warehouse, sku, quantity, at)

    def remove_unreserved(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """on_hand -= quantity, only from units nobody has reserved."""
        return self._guarded("remove_unreserved", warehouse, sku, quantity, at)

    def reserve(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """reserved += quantity when that many are available; False when not (nothing changes)."""
        return self._guarded("reserve", warehouse, sku, quantity, at)

    def unreserve(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        return self._guarded("unreserve", warehouse, sku, quantity, at)

    def ship_reserved(self, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """Reserved units leave the building: on_hand and reserved both drop."""
        return self._guarded("ship_reserved", warehouse, sku, quantity, at)

    def set_bin_location(self, warehouse: str, sku: str, bin_location: str | None, at: datetime) -> None:
        self._session.execute(
            update(stock_levels).where(_key(warehouse, sku)).values(bin_location=bin_location, updated_at=at)
        )

    def _guarded(self, change: str, warehouse: str, sku: str, quantity: int, at: datetime) -> bool:
        """One guarded UPDATE; True when its row matched (the guard held), False otherwise."""
        result = self._run(_CHANGES[change], {"p_w": warehouse, "p_s": sku, "p_q": quantity, "p_at": at})
        return result.rowcount == 1

    # --- reservations -----------------------------------------------------------

    def add_reservation(
        self, *, order_id: str, line_no: int | None, warehouse: str, sku: str, quantity: int, at: datetime
    ) -> int:
        row = self._run(_INSERT_RESERVATION, {
            "order_id": order_id, "line_no": line_no, "warehouse_code": warehouse, "sku": sku,
            "quantity": quantity, "state": "open", "created_at": at,
        })  # fmt: skip
        return int(row.scalar_one())

    def close_reservation(self, reservation_id: int, state: str, at: datetime) -> bool:
        """Mark an open reservation released or consumed; False when it was not open (a race lost)."""
        result = self._session.execute(
            update(reservations)
            .where(reservations.c.id == reservation_id, reservations.c.state == "open")
            .values(state=state, closed_at=at)
        )
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def reservations_of(self, order_id: str, *, state: str | None = "open") -> list[StoredReservation]:
        if state == "open":
            return [_reservation(row) for row in self._run(_OPEN_OF_ORDER, {"p_order": order_id})]
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
        if skus is not None and warehouse is None and sku is None:
            return [_level(row) for row in self._run(_LEVELS_OF_SKUS, {"p_skus": list(skus)})]
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
