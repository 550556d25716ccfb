"""The one configuration document: categories, products, warehouses, channels, carriers.

``conveyor config apply FILE.yaml`` reads YAML into plain data and hands it
here. ``parse_config_document`` returns the typed ``ConfigDocument`` or raises
one ``InvalidConfigDocument`` whose ``errors`` list *every* problem with its
path in the document, for example::

    warehouses[2].coordinates.lat: must be between -90 and 90, got 95
    products[5].category: unknown category 'apparel2' (did you mean 'apparel'?)
    channels[0].warehouse_priority[1]: unknown warehouse 'MUC'

so nothing is applied until the whole document is right. References between
sections are checked against the document plus what already exists
(``existing``), and channels' process ids against the deployed processes
when ``known_processes`` is given.

Product attributes are checked against their category's JSON Schema by the
caller's ``attribute_validator`` (a service using the ``jsonschema``
library): the domain does not import it, it only places the problems the
validator returns under ``products[i].attributes``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from conveyor.domain.carriers import Carrier
from conveyor.domain.catalog import Category, Product
from conveyor.domain.channels import SalesChannel
from conveyor.domain.config_sections import (
    Loc,
    read_carrier,
    read_category,
    read_channel,
    read_product,
    read_warehouse,
)
from conveyor.domain.currencies import MINOR_UNITS
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.exceptions import collect_exception_settings
from conveyor.domain.order_changes import read_order_change_settings
from conveyor.domain.problems import FieldProblem, PathPart, Problems, did_you_mean, raise_problems
from conveyor.domain.refunds import read_finance_settings
from conveyor.domain.returns import read_carrier_exception_settings, read_return_settings
from conveyor.domain.warehouse import Warehouse

SECTIONS = (
    "currency", "categories", "products", "warehouses", "channels", "carriers", "exceptions",
    "finance", "returns", "carrier_exceptions", "order_changes",
)  # fmt: skip

AttributeProblem = tuple[Sequence[PathPart], str]
AttributeValidator = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[AttributeProblem]]
"""``(schema, attributes) -> [(path inside attributes, message), ...]``: empty when valid."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ExistingConfiguration:
    """Codes already in the database that the document may refer to without redefining."""

    categories: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # code -> attribute schema
    warehouses: Collection[str] = ()


@dataclass(frozen=True, slots=True)
class ConfigDocument:
    categories: tuple[Category, ...] = ()
    products: tuple[Product, ...] = ()
    warehouses: tuple[Warehouse, ...] = ()
    channels: tuple[SalesChannel, ...] = ()
    carriers: tuple[Carrier, ...] = ()
    currency: str | None = None


def validate_config_document(
    data: Any,
    *,
    known_processes: Collection[str] | None = None,
    existing: ExistingConfiguration | None = None,
    attribute_validator: AttributeValidator | None = None,
) -> list[FieldProblem]:
    """Every problem in the document (empty when it can be applied)."""
    problems, _ = _read(data, known_processes, existing or ExistingConfiguration(), attribute_validator)
    return problems.items


def parse_config_document(
    data: Any,
    *,
    known_processes: Collection[str] | None = None,
    existing: ExistingConfiguration | None = None,
    attribute_validator: AttributeValidator | None = None,
) -> ConfigDocument:
    """The typed document, or ``InvalidConfigDocument`` listing every problem with its path."""
    context = existing or ExistingConfiguration()
    problems, document = _read(data, known_processes, context, attribute_validator)
    if problems:
        what = f"The configuration has {len(problems)} problem(s)"
        raise_problems(InvalidConfigDocument, what, problems.items)
    return document


def _read(
    data: Any,
    known_processes: Collection[str] | None,
    existing: ExistingConfiguration,
    attribute_validator: AttributeValidator | None,
) -> tuple[Problems, ConfigDocument]:
    problems = Problems()
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.add((), f"the document must be an object with the sections {', '.join(SECTIONS[1:])}")
        return problems, ConfigDocument()
    for key in data:
        if key not in SECTIONS:
            problems.add(str(key), f"unknown section{did_you_mean(str(key), SECTIONS)}")
    currency = data.get("currency")
    if currency is not None and currency not in MINOR_UNITS:
        problems.add("currency", f"unknown currency {currency!r}: use an ISO 4217 code such as 'EUR'")
        currency = None

    def section(name: str, read: Callable[[Any, Loc], T | None]) -> list[tuple[int, T]]:
        raw = data.get(name)
        if raw is None:
            return []
        if not isinstance(raw, list):
            problems.add(name, "must be a list")
            return []
        read_items = ((index, read(item, (name, index))) for index, item in enumerate(raw))
        return [(index, item) for index, item in read_items if item is not None]

    categories = section("categories", lambda item, loc: read_category(item, loc, problems))
    products = section("products", lambda item, loc: read_product(item, loc, problems, currency))
    warehouses = section("warehouses", lambda item, loc: read_warehouse(item, loc, problems))
    channels = section("channels", lambda item, loc: read_channel(item, loc, problems, currency))
    carriers = section("carriers", lambda item, loc: read_carrier(item, loc, problems, currency))
    if data.get("exceptions") is not None:  # the exception register's settings (domain/exceptions.py)
        collect_exception_settings(data["exceptions"], ("exceptions",), problems)
    if data.get("finance") is not None:  # refunds (domain/refunds.py)
        read_finance_settings(data["finance"], ("finance",), problems)
    if data.get("returns") is not None:  # returns (domain/returns.py)
        read_return_settings(data["returns"], ("returns",), problems)
    if data.get("order_changes") is not None:  # timers of the order changes (domain/order_changes.py)
        read_order_change_settings(data["order_changes"], ("order_changes",), problems)
    if data.get("carrier_exceptions") is not None:
        read_carrier_exception_settings(data["carrier_exceptions"], ("carrier_exceptions",), problems)

    _unique(problems, "categories", "code", ((i, c.code) for i, c in categories))
    _unique(problems, "products", "sku", ((i, p.sku) for i, p in products))
    _unique(problems, "warehouses", "code", ((i, w.code) for i, w in warehouses))
    _unique(problems, "channels", "code", ((i, c.code) for i, c in channels))
    _unique(problems, "carriers", "code", ((i, c.code) for i, c in carriers))

    # a broken entry still declares its code: no follow-on "unknown ..." problems for it
    category_codes = set(existing.categories) | _declared(data, "categories", "code")
    schemas = dict(existing.categories) | {c.code: c.attribute_schema for _, c in categories}
    for index, product in products:
        if product.category not in category_codes:
            hint = did_you_mean(product.category, category_codes)
            problems.add(("products", index, "category"), f"unknown category {product.category!r}{hint}")
        elif attribute_validator is not None and product.category in schemas:
            for path, message in attribute_validator(schemas[product.category], product.attributes):
                problems.add(("products", index, "attributes", *path), message)
    warehouse_codes = set(existing.warehouses) | _declared(data, "warehouses", "code")
    for index, channel in channels:
        for position, code in enumerate(channel.warehouse_priority):
            if code not in warehouse_codes:
                hint = did_you_mean(code, warehouse_codes)
                where = ("channels", index, "warehouse_priority", position)
                problems.add(where, f"unknown warehouse {code!r}{hint}")
        if known_processes is not None and channel.process_id not in known_processes:
            hint = did_you_mean(channel.process_id, known_processes)
            problems.add(
                ("channels", index, "process"), f"no deployed process has the id {channel.process_id!r}{hint}"
            )
    document = ConfigDocument(
        categories=tuple(c for _, c in categories),
        products=tuple(p for _, p in products),
        warehouses=tuple(w for _, w in warehouses),
        channels=tuple(c for _, c in channels),
        carriers=tuple(c for _, c in carriers),
        currency=currency,
    )
    return problems, document


def _declared(data: Mapping[str, Any], section: str, key: str) -> set[str]:
    raw = data.get(section)
    if not isinstance(raw, list):
        return set()
    return {item[key] for item in raw if isinstance(item, Mapping) and isinstance(item.get(key), str)}


def _unique(problems: Problems, section: str, key: str, codes: Iterable[tuple[int, str]]) -> None:
    first: dict[str, int] = {}
    for index, code in codes:
        if code in first:
            problems.add((section, index, key), f"{code!r} is already defined at {section}[{first[code]}]")
        else:
            first[code] = index
