"""Stock per warehouse and SKU, the movement ledger, and the invariant between them.

``on_hand`` counts the units in the building; ``reserved`` the units promised
to orders and not yet shipped; ``available = on_hand - reserved`` is what may
still be promised. Every change is a ``StockMovement`` appended to a ledger,
and each movement type changes the two numbers in one fixed way (see
``MovementType``): a reservation holds stock until the goods leave with a
shipment, a pick only records that the units were taken to packing.

``check_ledger_invariant`` states what must always hold, so integration tests
(and an operator's health check) can verify it after any scenario.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from conveyor.domain.errors import InvalidStockMovement
from conveyor.domain.problems import Problems

StockKey = tuple[str, str]
"""(warehouse code, SKU)."""


@dataclass(frozen=True, slots=True)
class StockLevel:
    warehouse: str
    sku: str
    on_hand: int
    reserved: int = 0
    bin_location: str | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def key(self) -> StockKey:
        return (self.warehouse, self.sku)


class MovementType(StrEnum):
    """What happened to stock. ``effect`` says how each type moves on hand and reserved:
    +1 / -1 the quantity's sign, 0 untouched, None either way (an adjustment)."""

    RECEIPT = "receipt"
    RESERVATION = "reservation"
    RELEASE = "release"
    PICK = "pick"
    SHIPMENT = "shipment"
    RETURN = "return"
    ADJUSTMENT = "adjustment"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"

    @property
    def effect(self) -> tuple[int | None, int]:
        """(on-hand sign, reserved sign) of a movement of a positive quantity."""
        return _EFFECTS[self]

    def deltas(self, quantity: int) -> tuple[int, int]:
        """(on-hand delta, reserved delta) for ``quantity`` units (signed only for adjustments)."""
        on_hand_sign, reserved_sign = self.effect
        if on_hand_sign is None:
            return (quantity, 0)
        return (on_hand_sign * quantity, reserved_sign * quantity)


_EFFECTS: dict[MovementType, tuple[int | None, int]] = {
    MovementType.RECEIPT: (1, 0),
    MovementType.RESERVATION: (0, 1),
    MovementType.RELEASE: (0, -1),
    MovementType.PICK: (0, 0),
    MovementType.SHIPMENT: (-1, -1),
    MovementType.RETURN: (1, 0),
    MovementType.ADJUSTMENT: (None, 0),
    MovementType.TRANSFER_OUT: (-1, 0),
    MovementType.TRANSFER_IN: (1, 0),
}


class ReferenceType(StrEnum):
    """The document a movement belongs to."""

    ORDER = "order"
    PICK_LIST = "pick_list"
    SHIPMENT = "shipment"
    TRANSFER = "transfer"
    RECEIPT = "receipt"
    RETURN = "return"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class StockMovement:
    """One entry of the append-only ledger."""

    warehouse: str
    sku: str
    type: MovementType
    quantity: int
    on_hand_delta: int
    reserved_delta: int
    reference_type: ReferenceType
    reference_id: str
    at: datetime
    reason: str = ""

    @classmethod
    def record(
        cls,
        type: MovementType,
        *,
        warehouse: str,
        sku: str,
        quantity: int,
        reference_type: ReferenceType,
        reference_id: str,
        at: datetime,
        reason: str = "",
    ) -> StockMovement:
        """A movement of ``quantity`` units (positive; an adjustment may be negative)."""
        problems = Problems()
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            problems.add("quantity", f"must be a whole number, got {quantity!r}")
        elif type is MovementType.ADJUSTMENT and quantity == 0:
            problems.add("quantity", "an adjustment must change stock")
        elif type is not MovementType.ADJUSTMENT and quantity <= 0:
            problems.add("quantity", f"must be above 0 for a {type.value}, got {quantity}")
        if type is MovementType.ADJUSTMENT and not reason.strip():
            problems.add("reason", "an adjustment needs a reason (count correction, damage, ...)")
        if at.tzinfo is None or at.utcoffset() is None:
            problems.add("at", "must be a timezone-aware time")
        problems.raise_if_any(InvalidStockMovement, f"Invalid {type.value} of {sku!r} in {warehouse!r}")
        on_hand, reserved = type.deltas(quantity)
        return cls(
            warehouse, sku, type, quantity, on_hand, reserved, reference_type, reference_id, at, reason
        )

    @property
    def key(self) -> StockKey:
        return (self.warehouse, self.sku)


@dataclass(frozen=True, slots=True)
class Reservation:
    """Units held for one order (or transfer) in one warehouse until shipped or released."""

    warehouse: str
    sku: str
    quantity: int
    reference_type: ReferenceType
    reference_id: str

    @property
    def key(self) -> StockKey:
        return (self.warehouse, self.sku)


class ViolationKind(StrEnum):
    ON_HAND_DIFFERS_FROM_LEDGER = "on_hand_differs_from_ledger"
    RESERVED_DIFFERS_FROM_LEDGER = "reserved_differs_from_ledger"
    RESERVED_DIFFERS_FROM_RESERVATIONS = "reserved_differs_from_reservations"
    NEGATIVE_ON_HAND = "negative_on_hand"
    NEGATIVE_RESERVED = "negative_reserved"
    OVERSOLD = "oversold"
    LEDGER_WENT_NEGATIVE = "ledger_went_negative"
    MOVEMENT_DELTAS_WRONG = "movement_deltas_wrong"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    warehouse: str
    sku: str
    expected: int | None
    actual: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.warehouse}/{self.sku}: {self.message}"


def check_ledger_invariant(
    levels: Iterable[StockLevel],
    movements: Iterable[StockMovement],
    open_reservations: Iterable[Reservation],
) -> list[Violation]:
    """Everything wrong between stock levels, the ledger (in append order) and open reservations.

    Holds when, for every warehouse and SKU: on hand equals the sum of the
    ledger's on-hand deltas, reserved equals both the sum of the ledger's
    reserved deltas and the open reservations, nothing is negative, reserved
    never exceeds on hand, each movement's deltas match its type, and the
    ledger's running balances never dipped below zero. A key missing on one
    side counts as zero there. An empty list means consistent.
    """
    found: list[Violation] = []

    def report(
        kind: ViolationKind, key: StockKey, expected: int | None, actual: int | None, text: str
    ) -> None:
        found.append(Violation(kind, key[0], key[1], expected, actual, text))

    level_by_key = {level.key: level for level in levels}
    ledger_on_hand: dict[StockKey, int] = defaultdict(int)
    ledger_reserved: dict[StockKey, int] = defaultdict(int)
    dipped: set[StockKey] = set()
    for index, movement in enumerate(movements):
        key, kind = movement.key, movement.type
        units = movement.on_hand_delta if kind is MovementType.ADJUSTMENT else movement.quantity
        deltas = (movement.on_hand_delta, movement.reserved_delta)
        if deltas != kind.deltas(units) or (kind is not MovementType.ADJUSTMENT and units <= 0):
            shown = f"on hand {deltas[0]:+d}, reserved {deltas[1]:+d}"
            text = f"movement #{index} ({kind.value} of {movement.quantity}) has deltas {shown}"
            report(ViolationKind.MOVEMENT_DELTAS_WRONG, key, None, None, text)
        ledger_on_hand[key] += movement.on_hand_delta
        ledger_reserved[key] += movement.reserved_delta
        lowest = min(ledger_on_hand[key], ledger_reserved[key])
        if key not in dipped and lowest < 0:
            dipped.add(key)
            text = f"the ledger's running balance went below zero at movement #{index} ({kind.value})"
            report(ViolationKind.LEDGER_WENT_NEGATIVE, key, 0, lowest, text)
    held: dict[StockKey, int] = defaultdict(int)
    for reservation in open_reservations:
        held[reservation.key] += reservation.quantity
    for key in sorted(set(level_by_key) | set(ledger_on_hand) | set(held)):
        level = level_by_key.get(key)
        on_hand = level.on_hand if level else 0
        reserved = level.reserved if level else 0
        if ledger_on_hand[key] != on_hand:
            text = f"on hand is {on_hand} but the ledger sums to {ledger_on_hand[key]}"
            report(ViolationKind.ON_HAND_DIFFERS_FROM_LEDGER, key, ledger_on_hand[key], on_hand, text)
        if ledger_reserved[key] != reserved:
            text = f"reserved is {reserved} but the ledger sums to {ledger_reserved[key]}"
            report(ViolationKind.RESERVED_DIFFERS_FROM_LEDGER, key, ledger_reserved[key], reserved, text)
        if held[key] != reserved:
            text = f"reserved is {reserved} but open reservations hold {held[key]}"
            report(ViolationKind.RESERVED_DIFFERS_FROM_RESERVATIONS, key, held[key], reserved, text)
        if on_hand < 0:
            report(ViolationKind.NEGATIVE_ON_HAND, key, 0, on_hand, f"on hand is {on_hand}")
        if reserved < 0:
            report(ViolationKind.NEGATIVE_RESERVED, key, 0, reserved, f"reserved is {reserved}")
        if reserved > on_hand >= 0:
            text = f"reserved {reserved} exceeds on hand {on_hand} (available {on_hand - reserved})"
            report(ViolationKind.OVERSOLD, key, on_hand, reserved, text)
    return found
