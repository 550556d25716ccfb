"""Packing: what a shipment weighs and how big its parcel is.

The parcel's weight is the products' weights times their quantities plus the
packaging (``tare_grams``). Its size is an estimate good enough for
dimensional-weight pricing: the items stacked flat, so the box is as long and
wide as the largest item and as high as all the items together. A packer who
weighs or measures the real parcel overrides both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conveyor.domain.catalog import Dimensions, Product

DEFAULT_TARE_GRAMS = 150


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_grams: int
    dimensions_mm: Dimensions | None = None

    @property
    def volume_mm3(self) -> int | None:
        if self.dimensions_mm is None:
            return None
        length, width, height = self.dimensions_mm
        return length * width * height


def pack(items: Iterable[tuple[Product, int]], *, tare_grams: int = DEFAULT_TARE_GRAMS) -> Parcel:
    """The parcel for ``(product, quantity)`` pairs."""
    weight = tare_grams
    length = width = height = 0
    for product, quantity in items:
        weight += product.weight_grams * quantity
        sides = sorted(product.dimensions_mm, reverse=True)
        length, width = max(length, sides[0]), max(width, sides[1])
        height += sides[2] * quantity
    return Parcel(weight, (length, width, height) if height else None)
