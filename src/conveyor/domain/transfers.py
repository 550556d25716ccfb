"""Transfers: moving stock from one warehouse to another.

A transfer is two ledger entries sharing one reference: ``transfer_out`` at
the source and ``transfer_in`` at the destination. Written in one
transaction, the stock is never counted twice nor lost; a transfer in
transit for days would be two transactions with the goods on no shelf in
between, which is why the source must have the units *available* (not
promised to orders) when the transfer is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conveyor.domain.errors import InvalidStockMovement
from conveyor.domain.inventory import MovementType, ReferenceType, StockMovement
from conveyor.domain.problems import Problems


@dataclass(frozen=True, slots=True)
class StockTransfer:
    id: str
    sku: str
    quantity: int
    from_warehouse: str
    to_warehouse: str
    reason: str = ""

    def __post_init__(self) -> None:
        problems = Problems()
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or self.quantity <= 0:
            problems.add("quantity", f"must be a whole number above 0, got {self.quantity!r}")
        if self.from_warehouse == self.to_warehouse:
            problems.add("to_warehouse", f"must differ from the source warehouse {self.from_warehouse!r}")
        problems.raise_if_any(InvalidStockMovement, f"Invalid transfer {self.id}")

    def movements(self, *, at: datetime) -> tuple[StockMovement, StockMovement]:
        """The ledger entries: out of the source, into the destination."""
        return (
            self._movement(MovementType.TRANSFER_OUT, self.from_warehouse, at),
            self._movement(MovementType.TRANSFER_IN, self.to_warehouse, at),
        )

    def _movement(self, type: MovementType, warehouse: str, at: datetime) -> StockMovement:
        return StockMovement.record(
            type, warehouse=warehouse, sku=self.sku, quantity=self.quantity,
            reference_type=ReferenceType.TRANSFER, reference_id=self.id, at=at, reason=self.reason,
        )  # fmt: skip
