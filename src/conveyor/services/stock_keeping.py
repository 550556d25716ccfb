"""Stock changes inside a caller's transaction: each one a guarded update plus its ledger row.

``StockKeeper`` is what use cases (receipts, allocation, pick confirmation,
shipping, returns) call while their unit of work is open; it never commits.
A change that the guard refuses raises (or, for a reservation, returns
False) and leaves nothing behind, because the caller's transaction rolls back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.stock import SqlStock, StoredReservation
from conveyor.domain.errors import InsufficientStock, UnknownSku
from conveyor.domain.inventory import MovementType, ReferenceType, StockMovement
from conveyor.errors import NotFound

SQLITE_IMMEDIATE = {"conveyor_sqlite_immediate": True}


def begin_writing(session: Session) -> None:
    """Start the transaction as a writer (SQLite ``BEGIN IMMEDIATE``; nothing changes on PostgreSQL).

    A SQLite transaction that reads first and writes later cannot wait for
    another writer (its snapshot is stale: "database is locked" at once);
    taking the write lock up front makes it queue behind the busy timeout.
    Call it before the first statement of a use case that will write stock.
    Inside an open transaction it does nothing (the transaction's kind is set).
    """
    if session.in_transaction():
        return
    session.connection(execution_options=SQLITE_IMMEDIATE)


class StockKeeper:
    """Guarded stock changes for one open transaction."""

    def __init__(self, session: Session, *, now: datetime | None = None) -> None:
        self.stock = SqlStock(session)
        self.configuration = SqlConfiguration(session)
        self._now = now

    @property
    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    # --- checks that name the field -----------------------------------------------

    def require_warehouse(self, code: str, field: str = "warehouse") -> None:
        warehouse = self.configuration.warehouse(code)
        if warehouse is None:
            raise NotFound(
                f"There is no warehouse {code!r}; GET /api/v1/warehouses lists them",
                errors=[{"loc": [field], "path": field, "msg": f"unknown warehouse {code!r}"}],
            )

    def require_sku(self, sku: str, field: str = "sku") -> None:
        if not self.configuration.known_skus([sku]):
            raise UnknownSku(
                f"There is no product with SKU {sku!r}; add it to the catalog first",
                errors=[{"loc": [field], "path": field, "msg": f"unknown SKU {sku!r}"}],
            )

    # --- changes ------------------------------------------------------------------------

    def _movement(
        self, type: MovementType, warehouse: str, sku: str, quantity: int,
        reference: tuple[ReferenceType, str], reason: str = "",
    ) -> StockMovement:  # fmt: skip
        return StockMovement.record(
            type, warehouse=warehouse, sku=sku, quantity=quantity, reference_type=reference[0],
            reference_id=reference[1], at=self.now, reason=reason,
        )  # fmt: skip

    def receive(
        self, warehouse: str, sku: str, quantity: int, reference: tuple[ReferenceType, str],
        *, type: MovementType = MovementType.RECEIPT, reason: str = "", bin_location: str | None = None,
    ) -> None:  # fmt: skip
        """Units arrive (receipt, return, transfer in): on hand goes up."""
        movement = self._movement(type, warehouse, sku, quantity, reference, reason)
        self.stock.ensure_level(warehouse, sku, self.now, bin_location)
        if bin_location:
            self.stock.set_bin_location(warehouse, sku, bin_location, self.now)
        self.stock.add_on_hand(warehouse, sku, quantity, self.now)
        self.stock.record(movement)

    def take_unreserved(
        self, warehouse: str, sku: str, quantity: int, reference: tuple[ReferenceType, str],
        *, type: MovementType, reason: str = "", field: str = "quantity",
    ) -> None:  # fmt: skip
        """Units leave without an order (transfer out, negative adjustment): only unreserved ones."""
        movement = self._movement(type, warehouse, sku, quantity if type is not MovementType.ADJUSTMENT
                                  else -quantity, reference, reason)  # fmt: skip
        if not self.stock.remove_unreserved(warehouse, sku, quantity, self.now):
            level = self.stock.level(warehouse, sku)
            available = level.available if level else 0
            raise InsufficientStock(
                f"Only {available} unit(s) of {sku} in {warehouse} are not reserved; "
                f"cannot remove {quantity}",
                errors=[{"loc": [field], "path": field, "msg": f"only {available} available"}],
                warehouse=warehouse, sku=sku, available=available,
            )  # fmt: skip
        self.stock.record(movement)

    def reserve(
        self, *, order_id: str, line_no: int | None, warehouse: str, sku: str, quantity: int
    ) -> bool:
        """Hold ``quantity`` units for an order line; False (and nothing written) when not available."""
        movement = self._movement(MovementType.RESERVATION, warehouse, sku, quantity,
                                  (ReferenceType.ORDER, order_id))  # fmt: skip
        if not self.stock.reserve(warehouse, sku, quantity, self.now):
            return False
        self.stock.add_reservation(
            order_id=order_id, line_no=line_no, warehouse=warehouse, sku=sku, quantity=quantity, at=self.now
        )
        self.stock.record(movement)
        return True

    def release(self, reservation: StoredReservation, reason: str = "") -> bool:
        """Give a reservation's units back to available; False when it was no longer open."""
        if not self.stock.close_reservation(reservation.id, "released", self.now):
            return False
        if not self.stock.unreserve(reservation.warehouse, reservation.sku, reservation.quantity, self.now):
            raise RuntimeError(f"reservation {reservation.id} is open but its units are not reserved")
        self.stock.record(self._movement(MovementType.RELEASE, reservation.warehouse, reservation.sku,
                                         reservation.quantity, (ReferenceType.ORDER, reservation.order_id),
                                         reason))  # fmt: skip
        return True

    def release_order(self, order_id: str, reason: str = "") -> int:
        """Release every open reservation of an order; the number of units released."""
        released = 0
        for reservation in self.stock.reservations_of(order_id):
            if self.release(reservation, reason):
                released += reservation.quantity
        return released

    def ship(self, reservation: StoredReservation, reference: tuple[ReferenceType, str]) -> bool:
        """A reservation's units leave with a shipment (consumes it); False when it was not open."""
        if not self.stock.close_reservation(reservation.id, "consumed", self.now):
            return False
        units = reservation.quantity
        if not self.stock.ship_reserved(reservation.warehouse, reservation.sku, units, self.now):
            raise RuntimeError(f"reservation {reservation.id} is open but its units are not reserved")
        self.stock.record(self._movement(MovementType.SHIPMENT, reservation.warehouse, reservation.sku,
                                         reservation.quantity, reference))  # fmt: skip
        return True

    def record_pick(self, warehouse: str, sku: str, quantity: int, pick_list_id: str) -> None:
        """A picker took units to packing (the ledger notes it; levels do not change)."""
        self.stock.record(self._movement(MovementType.PICK, warehouse, sku, quantity,
                                         (ReferenceType.PICK_LIST, pick_list_id)))  # fmt: skip
