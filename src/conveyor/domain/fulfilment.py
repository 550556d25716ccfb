"""Pick lists: what a picker takes from which bin, and how a pick is confirmed.

One pick list per warehouse and order; its lines are in walking order, i.e.
sorted by bin location the way people read them (``A-2`` before ``A-10``,
lines without a bin last). A confirmation states the units actually picked
per SKU: never more than asked, every line answered; fewer than asked is a
*short pick*, which the process turns into a release or backorder of the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from conveyor.domain.errors import InvalidPickConfirmation, PickListNotOpen
from conveyor.domain.problems import Problems

_RUNS = re.compile(r"(\d+)")


def bin_sort_key(bin_location: str | None) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    """Natural order of bin codes: digit runs compare as numbers, text case-insensitively."""
    if not bin_location:
        return (1, ())
    parts = tuple(
        (1, int(run), "") if run.isdigit() else (0, 0, run.casefold())
        for run in _RUNS.split(bin_location.strip())
        if run
    )
    return (0, parts)


class PickListStatus(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    SHORT_PICKED = "short_picked"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PickListLine:
    sku: str
    quantity: int
    bin_location: str | None = None
    picked: int | None = None

    @property
    def shortage(self) -> int:
        """Units asked for but not picked (0 until confirmed)."""
        return 0 if self.picked is None else self.quantity - self.picked


@dataclass(frozen=True, slots=True)
class PickList:
    id: str
    order_id: str
    warehouse: str
    lines: tuple[PickListLine, ...]
    status: PickListStatus = PickListStatus.OPEN
    confirmed_at: datetime | None = None

    @classmethod
    def create(
        cls, id: str, *, order_id: str, warehouse: str, items: Iterable[tuple[str, int, str | None]]
    ) -> PickList:
        """From ``(sku, quantity, bin)`` items: one line per SKU, in walking order."""
        merged: dict[str, PickListLine] = {}
        for sku, quantity, bin_location in items:
            seen = merged.get(sku)
            merged[sku] = (
                replace(seen, quantity=seen.quantity + quantity)
                if seen
                else PickListLine(sku, quantity, bin_location)
            )
        lines = sorted(merged.values(), key=lambda line: (bin_sort_key(line.bin_location), line.sku))
        return cls(id, order_id, warehouse, tuple(lines))

    @property
    def shortages(self) -> dict[str, int]:
        return {line.sku: line.shortage for line in self.lines if line.shortage}

    def confirm(self, picked: Mapping[str, int], *, at: datetime) -> PickList:
        """The list after the picker reported ``picked`` units per SKU."""
        if self.status is not PickListStatus.OPEN:
            raise PickListNotOpen(
                f"Pick list {self.id} is {self.status.value}; only an open list can be confirmed"
            )
        problems = Problems()
        asked = {line.sku: line for line in self.lines}
        for sku in picked:
            if sku not in asked:
                problems.add(("picked", sku), f"SKU {sku!r} is not on pick list {self.id}")
        for sku, line in asked.items():
            if sku not in picked:
                problems.add(("picked", sku), "is missing: confirm every line (0 when nothing was found)")
                continue
            units = picked[sku]
            if isinstance(units, bool) or not isinstance(units, int) or units < 0:
                problems.add(("picked", sku), f"must be a whole number of 0 or more, got {units!r}")
            elif units > line.quantity:
                problems.add(("picked", sku), f"{units} picked but only {line.quantity} asked")
        problems.raise_if_any(InvalidPickConfirmation, f"Cannot confirm pick list {self.id}")
        lines = tuple(replace(line, picked=picked[line.sku]) for line in self.lines)
        short = any(line.shortage for line in lines)
        status = PickListStatus.SHORT_PICKED if short else PickListStatus.PICKED
        return replace(self, lines=lines, status=status, confirmed_at=at)

    def confirm_all(self, *, at: datetime) -> PickList:
        """Every line picked in full: an automated warehouse's confirmation."""
        return self.confirm({line.sku: line.quantity for line in self.lines}, at=at)
