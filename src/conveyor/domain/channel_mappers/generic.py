"""Conveyor's own channel format (``generic``): for shops without a platform connector.

Close to the order draft of ``POST /api/v1/orders``, plus the channel's own
order ``id`` and its ``payment_status``. Amounts are decimal strings (or whole
numbers) with at most the currency's decimals::

    {"id": "A-1001", "number": "#1001", "currency": "EUR", "payment_status": "paid",
     "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": ""},
     "shipping_address": {"name": "Ada Lovelace", "line1": "Unter den Linden 1",
                          "postal_code": "10117", "city": "Berlin", "country": "DE"},
     "billing_address": {...},                       # optional; defaults to shipping
     "lines": [{"sku": "TEE-BLK-M", "quantity": 2, "unit_price": "24.90", "name": "T-shirt"}],
     "shipping": "4.99", "tax": "0.00", "discount": "0.00",   # optional, default 0
     "total": "54.79"}                               # optional; checked when given

A line's ``sku`` is the shop's SKU: the channel's SKU mapping translates it
(identity when there is no mapping). ``payment_status`` is one of pending,
authorized, partially_paid, paid, partially_refunded, refunded, voided,
failed (default pending).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.domain.channel_mappers.common import (
    InvalidChannelPayload,
    Loc,
    MappedLine,
    MappedOrder,
    PaymentStatus,
    address,
    currency_of,
    identifier,
    items,
    money,
    obj,
    path_of,
    quantity,
    text,
    total_problem,
)
from conveyor.domain.money import Money, total
from conveyor.domain.problems import Problems, did_you_mean

FIELDS = frozenset(
    {
        "id",
        "number",
        "currency",
        "payment_status",
        "customer",
        "shipping_address",
        "billing_address",
        "lines",
        "shipping",
        "tax",
        "discount",
        "total",
    }
)
LINE_FIELDS = frozenset({"sku", "quantity", "unit_price", "name"})
CUSTOMER_FIELDS = frozenset({"name", "email", "phone", "id"})
ADDRESS_FIELDS = {
    k: k for k in ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone")
}


def _unknown(data: Mapping[str, Any], fields: frozenset[str], loc: Loc, problems: Problems) -> None:
    for key in data:
        if key not in fields:
            problems.add((*loc, str(key)), f"unknown field{did_you_mean(str(key), fields)}")


def _address(raw: Any, loc: Loc, problems: Problems) -> dict[str, str] | None:
    data = obj(raw, loc, problems)
    if not data:
        return None
    _unknown(data, frozenset(ADDRESS_FIELDS), loc, problems)
    values = {key: text(data.get(key), (*loc, key), problems) for key in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    return address(values, ADDRESS_FIELDS, loc, problems)


def _line(raw: Any, loc: Loc, currency: str | None, problems: Problems) -> MappedLine | None:
    data = obj(raw, loc, problems)
    if not data:
        return None
    _unknown(data, LINE_FIELDS, loc, problems)
    sku = text(data.get("sku"), (*loc, "sku"), problems, required=True)
    units = quantity(data.get("quantity"), (*loc, "quantity"), problems)
    price = money(data.get("unit_price"), currency, (*loc, "unit_price"), problems, floats=False)
    if price is not None and price.is_negative:
        problems.add((*loc, "unit_price"), "must not be negative")
    name = text(data.get("name"), (*loc, "name"), problems)
    if not sku or units is None or price is None:
        return None
    return MappedLine((sku,), sku, units, price, name[:300], path_of(loc))


def map_order(payload: Any) -> MappedOrder:
    """The order in a payload of Conveyor's generic format; every broken field named."""
    problems = Problems()
    order = obj(payload, (), problems)
    if not order:
        problems.raise_if_any(InvalidChannelPayload, "The order cannot be read")
    _unknown(order, FIELDS, (), problems)
    order_id = identifier(order.get("id"), ("id",), problems)
    currency = currency_of(order.get("currency"), ("currency",), problems)
    raw_status = order.get("payment_status") or "pending"
    statuses = [s.value for s in PaymentStatus]
    if raw_status not in statuses:
        problems.add("payment_status", f"must be one of {', '.join(statuses)}, got {raw_status!r}")
    customer_raw = obj(order.get("customer"), ("customer",), problems)
    _unknown(customer_raw, CUSTOMER_FIELDS, ("customer",), problems)
    customer = {
        "name": text(customer_raw.get("name"), ("customer", "name"), problems, required=True),
        "email": text(customer_raw.get("email"), ("customer", "email"), problems),
        "phone": text(customer_raw.get("phone"), ("customer", "phone"), problems),
        "external_id": text(customer_raw.get("id"), ("customer", "id"), problems),
    }
    shipping_address = _address(order.get("shipping_address"), ("shipping_address",), problems)
    billing_address = (
        _address(order.get("billing_address"), ("billing_address",), problems)
        if order.get("billing_address") is not None
        else None
    )
    raw_lines = items(order.get("lines"), ("lines",), problems, required=True)
    if isinstance(order.get("lines"), list) and not raw_lines:
        problems.add("lines", "an order needs at least one line")
    lines = [_line(item, ("lines", i), currency, problems) for i, item in enumerate(raw_lines)]
    amounts = {
        name: money(order.get(name, "0"), currency, (name,), problems, floats=False)
        for name in ("shipping", "tax", "discount")
    }
    for name, amount in amounts.items():
        if amount is not None and amount.is_negative:
            problems.add(name, "must not be negative")
    stated = money(order.get("total"), currency, ("total",), problems, required=False, floats=False)
    problems.raise_if_any(InvalidChannelPayload, "The order cannot be mapped")
    assert currency is not None and shipping_address is not None
    zero = Money.zero(currency)
    mapped = tuple(line for line in lines if line is not None)
    shipping, tax, discount = (amounts[n] or zero for n in ("shipping", "tax", "discount"))
    computed = (
        total((line.unit_price * line.quantity for line in mapped), currency) + shipping + tax - discount
    )
    if stated is not None:
        total_problem(stated, computed, ("total",), problems)
        problems.raise_if_any(InvalidChannelPayload, "The order cannot be mapped")
    return MappedOrder(
        platform="generic",
        platform_order_id=order_id,
        number=text(order.get("number"), ("number",), problems) or order_id,
        currency=currency,
        payment_status=PaymentStatus(raw_status),
        customer=customer,
        shipping_address=shipping_address,
        billing_address=billing_address,
        lines=mapped,
        shipping=shipping,
        tax=tax,
        discount=discount,
        total=computed,
    )
