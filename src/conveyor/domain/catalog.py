"""The catalog: categories and the products sold in them.

A category carries a JSON Schema for its products' attributes (apparel has
size and colour...). Checking attributes against that schema needs the
``jsonschema`` library, so it is a service's job (see
``conveyor.services``); the rules here are the ones plain Python can check:
code and SKU shapes, a price that is money, a positive weight and positive
dimensions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor.domain.errors import InvalidCatalogEntry
from conveyor.domain.identifiers import CODE_RULE, SKU_RULE, is_code, is_sku
from conveyor.domain.money import Money
from conveyor.domain.problems import Problems

Dimensions = tuple[int, int, int]
"""Length, width and height in millimetres."""


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    attribute_schema: Mapping[str, Any] = field(default_factory=dict)
    serial_tracked: bool = False

    def __post_init__(self) -> None:
        problems = Problems()
        if not is_code(self.code):
            problems.add("code", f"{self.code!r} is not a category code: {CODE_RULE}")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.add("name", "is required")
        if not isinstance(self.attribute_schema, Mapping):
            problems.add("attribute_schema", "must be a JSON Schema object")
        problems.raise_if_any(InvalidCatalogEntry, f"Invalid category {self.code!r}")


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    price: Money
    weight_grams: int
    dimensions_mm: Dimensions
    attributes: Mapping[str, Any] = field(default_factory=dict)
    active: bool = True

    def __post_init__(self) -> None:
        product_problems(self).raise_if_any(InvalidCatalogEntry, f"Invalid product {self.sku!r}")

    @property
    def volume_mm3(self) -> int:
        length, width, height = self.dimensions_mm
        return length * width * height


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def product_problems(product: Product) -> Problems:
    problems = Problems()
    if not is_sku(product.sku):
        problems.add("sku", f"{product.sku!r} is not a SKU: {SKU_RULE}")
    if not isinstance(product.name, str) or not product.name.strip():
        problems.add("name", "is required")
    if not is_code(product.category):
        problems.add("category", f"{product.category!r} is not a category code")
    if not isinstance(product.price, Money):
        problems.add("price", "must be an amount of money")
    elif product.price.is_negative:
        problems.add("price", f"must not be negative, got {product.price}")
    if not _positive_int(product.weight_grams):
        problems.add("weight_grams", f"must be a whole number of grams above 0, got {product.weight_grams!r}")
    dims = product.dimensions_mm
    if not isinstance(dims, tuple) or len(dims) != 3:
        problems.add("dimensions_mm", f"must be [length, width, height] in millimetres, got {dims!r}")
    else:
        for index, value in enumerate(dims):
            if not _positive_int(value):
                rule = "must be a whole number of millimetres above 0"
                problems.add(("dimensions_mm", index), f"{rule}, got {value!r}")
    if not isinstance(product.attributes, Mapping):
        problems.add("attributes", "must be an object")
    return problems
