"""Building an ``Order`` from what a channel sent: a request body or an import row.

Every problem is collected with its path in the draft (``lines[2].quantity``,
``lines[0].unit_price``, ``shipping_address.country``) and raised together as
one ``InvalidOrder``, so nothing is written and the sender fixes everything in
one round. The draft's shape::

    {"external_id": "A-1001", "currency": "EUR",
     "customer": {"name": "Ada", "email": "ada@example.com"},
     "shipping_address": {...}, "billing_address": {...},   # billing defaults to shipping
     "lines": [{"sku": "TS-1", "quantity": 2, "unit_price": "19.99", "name": "T-shirt"}],
     "shipping": "4.99", "tax": "0.00", "discount": "0.00",
     "total": "44.97"}                                      # optional; checked when given

Amounts are decimal strings (or integers); a line without ``unit_price`` takes
the catalog price when ``catalog_prices`` is given.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from datetime import datetime
from typing import Any

from conveyor.domain.addresses import Address
from conveyor.domain.currencies import MINOR_UNITS
from conveyor.domain.errors import InvalidAddress, InvalidMoney, InvalidOrder
from conveyor.domain.money import Money
from conveyor.domain.order_status import OrderStatus
from conveyor.domain.orders import Customer, Order, OrderLine, OrderTotals
from conveyor.domain.problems import PathPart, Problems, did_you_mean, problems_of

_FIELDS = frozenset(
    {"external_id", "currency", "customer", "shipping_address", "billing_address", "lines", "shipping", "tax"}
    | {"discount", "total"}
)
_LINE_FIELDS = frozenset({"sku", "quantity", "unit_price", "name"})


def order_from_draft(
    draft: Mapping[str, Any],
    *,
    order_id: str,
    channel: str,
    placed_at: datetime,
    known_skus: Container[str] | None = None,
    catalog_prices: Mapping[str, Money] | None = None,
) -> Order:
    """The order described by ``draft``, or ``InvalidOrder`` listing every broken field."""
    if not isinstance(draft, Mapping):
        raise InvalidOrder("An order must be an object with external_id, currency, customer and lines")
    problems = Problems()
    for key in draft:
        if key not in _FIELDS:
            problems.add(str(key), f"unknown field{did_you_mean(str(key), _FIELDS)}")
    external_id = draft.get("external_id", "")
    if not isinstance(external_id, str) or not external_id.strip():
        problems.add("external_id", "is required (the order's number in the channel)")
    currency = draft.get("currency")
    if currency not in MINOR_UNITS:
        problems.add("currency", f"must be an ISO 4217 currency code such as 'EUR', got {currency!r}")
        currency = None
    customer = _customer(draft.get("customer"), problems)
    shipping_address = _address(draft.get("shipping_address"), "shipping_address", problems, required=True)
    billing_address = _address(draft.get("billing_address"), "billing_address", problems, required=False)
    lines = _lines(draft.get("lines"), currency, problems, known_skus, catalog_prices or {})
    amounts = {
        name: _money(draft.get(name, "0"), currency, (name,), problems)
        for name in ("shipping", "tax", "discount")
    }
    stated_total = _money(draft["total"], currency, ("total",), problems) if "total" in draft else None
    problems.raise_if_any(InvalidOrder, "The order is not valid")
    assert currency is not None and customer is not None and shipping_address is not None
    zero = Money.zero(currency)
    totals = OrderTotals.compute(
        lines,
        shipping=amounts["shipping"] or zero,
        tax=amounts["tax"] or zero,
        discount=amounts["discount"] or zero,
    )
    if stated_total is not None and stated_total != totals.total:
        message = f"is {stated_total} but the lines, shipping, tax and discount make {totals.total}"
        problems.add("total", message)
        problems.raise_if_any(InvalidOrder, "The order is not valid")
    return Order(
        id=order_id,
        channel=channel,
        external_id=str(external_id).strip(),
        customer=customer,
        shipping_address=shipping_address,
        billing_address=billing_address or shipping_address,
        lines=tuple(lines),
        currency=currency,
        totals=totals,
        placed_at=placed_at,
        status=OrderStatus.RECEIVED,
    )


def _customer(raw: Any, problems: Problems) -> Customer | None:
    if not isinstance(raw, Mapping):
        problems.add("customer", "is required: an object with at least a name")
        return None
    values = {key: raw.get(key, "") for key in ("name", "email", "phone", "external_id")}
    for key, value in values.items():
        if not isinstance(value, str):
            problems.add(("customer", key), f"must be text, got {value!r}")
    if not str(values["name"]).strip():
        problems.add(("customer", "name"), "is required")
    email = values["email"]
    if isinstance(email, str) and email and ("@" not in email or " " in email.strip()):
        problems.add(("customer", "email"), f"{email!r} is not an email address")
    return Customer(**{key: str(value).strip() for key, value in values.items()})


def _address(raw: Any, field: str, problems: Problems, *, required: bool) -> Address | None:
    if raw is None and not required:
        return None
    if not isinstance(raw, Mapping):
        problems.add(field, "is required: an object with name, line1, city and country")
        return None
    try:
        return Address.from_mapping(raw)
    except InvalidAddress as err:
        problems.extend(problems_of(err), field)
        return None


def _lines(
    raw: Any,
    currency: str | None,
    problems: Problems,
    known_skus: Container[str] | None,
    catalog_prices: Mapping[str, Money],
) -> list[OrderLine]:
    if not isinstance(raw, list) or not raw:
        problems.add("lines", "an order needs at least one line")
        return []
    lines: list[OrderLine] = []
    for index, item in enumerate(raw):
        where: tuple[PathPart, ...] = ("lines", index)
        if not isinstance(item, Mapping):
            problems.add(where, "must be an object with sku, quantity and unit_price")
            continue
        for key in item:
            if key not in _LINE_FIELDS:
                problems.add((*where, str(key)), f"unknown field{did_you_mean(str(key), _LINE_FIELDS)}")
        sku = item.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            problems.add((*where, "sku"), "is required")
        elif known_skus is not None and sku not in known_skus:
            problems.add((*where, "sku"), f"unknown SKU {sku!r}", "unknown_sku")
        quantity = _quantity(item.get("quantity"), (*where, "quantity"), problems)
        raw_price = item.get("unit_price")
        if raw_price is None and isinstance(sku, str) and sku in catalog_prices:
            price: Money | None = catalog_prices[sku]
            if currency is not None and price is not None and price.currency != currency:
                message = f"the catalog price is in {price.currency}, the order in {currency}"
                problems.add((*where, "unit_price"), message)
        elif raw_price is None:
            problems.add((*where, "unit_price"), "is required")
            price = None
        else:
            price = _money(raw_price, currency, (*where, "unit_price"), problems)
        if price is not None and price.is_negative:
            problems.add((*where, "unit_price"), "must not be negative")
        name = item.get("name", "")
        if not isinstance(name, str):
            problems.add((*where, "name"), f"must be text, got {name!r}")
        if isinstance(sku, str) and quantity is not None and price is not None:
            lines.append(OrderLine(index + 1, sku.strip(), quantity, price, str(name)))
    return lines


def _quantity(raw: Any, where: tuple[PathPart, ...], problems: Problems) -> int | None:
    if isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems.add(where, f"must be a whole number of units, got {raw!r}")
        return None
    if raw <= 0:
        problems.add(where, f"must be at least 1, got {raw}")
        return None
    return raw


def _money(raw: Any, currency: str | None, where: tuple[PathPart, ...], problems: Problems) -> Money | None:
    if isinstance(raw, float):
        problems.add(where, f"write the amount as a decimal string such as '{raw}', not a number")
        return None
    if currency is None:
        return None
    try:
        return Money.parse(raw, currency)
    except InvalidMoney as err:
        problems.add(where, err.detail, err.code)
        return None
