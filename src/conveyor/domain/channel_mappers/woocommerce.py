"""WooCommerce: an ``order.created`` webhook body (the REST v3 order) -> ``MappedOrder``.

- lines: ``line_items``; the unit price is the line's ``subtotal`` (before
  coupons) divided by its ``quantity``, rounded up to the currency's minor
  unit when it does not divide (the rounding joins the discount); keys for the
  SKU mapping: ``sku`` (when not empty), ``variant:<variation_id>`` (when not
  0), ``product:<product_id>``;
- discount: the lines' ``subtotal`` minus their ``total`` (coupons), plus
  negative ``fee_lines``; shipping: the ``shipping_lines`` totals plus positive
  ``fee_lines``; tax: ``total_tax``; total: ``total``, which must match;
- payment status from ``status``: ``processing``/``completed`` -> paid,
  ``pending``/``on-hold``/``checkout-draft`` -> pending, ``cancelled`` ->
  voided, ``refunded`` -> refunded, ``failed`` -> failed;
- customer and addresses: ``billing`` (name, email, phone) and ``shipping``
  (``country`` is the ISO code; billing stands in for a missing shipping).
"""

from __future__ import annotations

import html
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
    unit_price_of,
)
from conveyor.domain.money import Money, total
from conveyor.domain.problems import Problems, did_you_mean

ORDER_STATUS: Mapping[str, PaymentStatus] = {
    "pending": PaymentStatus.PENDING,
    "on-hold": PaymentStatus.PENDING,
    "checkout-draft": PaymentStatus.PENDING,
    "processing": PaymentStatus.PAID,
    "completed": PaymentStatus.PAID,
    "cancelled": PaymentStatus.VOIDED,
    "refunded": PaymentStatus.REFUNDED,
    "failed": PaymentStatus.FAILED,
}
ADDRESS_FIELDS = {
    "name": "first_name",
    "line1": "address_1",
    "line2": "address_2",
    "city": "city",
    "postal_code": "postcode",
    "region": "state",
    "country": "country",
    "phone": "phone",
    "email": "email",
}


def _name(data: Mapping[str, Any]) -> str:
    parts = [data.get("first_name"), data.get("last_name")]
    return " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())


def _address(data: Mapping[str, Any], loc: Loc, problems: Problems) -> dict[str, str] | None:
    name = _name(data)
    company = text(data.get("company"), (*loc, "company"), problems)
    values = {
        "name": f"{name}, {company}" if name and company else name or company,
        "line1": text(data.get("address_1"), (*loc, "address_1"), problems),
        "line2": text(data.get("address_2"), (*loc, "address_2"), problems),
        "city": text(data.get("city"), (*loc, "city"), problems),
        "postal_code": text(data.get("postcode"), (*loc, "postcode"), problems),
        "region": text(data.get("state"), (*loc, "state"), problems),
        "country": text(data.get("country"), (*loc, "country"), problems).upper(),
        "phone": text(data.get("phone"), (*loc, "phone"), problems),
    }
    return address(values, ADDRESS_FIELDS, loc, problems)


def _has_address(data: Mapping[str, Any]) -> bool:
    return any(isinstance(data.get(k), str) and data[k].strip() for k in ("address_1", "city", "country"))


def _line(
    raw: Any, loc: Loc, currency: str | None, problems: Problems
) -> tuple[MappedLine, Money, Money] | None:
    """(line, its discount, the unit price's rounding)."""
    data = obj(raw, loc, problems)
    if not data:
        return None
    sku = text(data.get("sku"), (*loc, "sku"), problems)
    keys = [sku] if sku else []
    for field, prefix in (("variation_id", "variant"), ("product_id", "product")):
        value = data.get(field)
        if (
            isinstance(value, int | str)
            and not isinstance(value, bool)
            and str(value).strip() not in ("", "0")
        ):
            keys.append(f"{prefix}:{str(value).strip()}")
    units = quantity(data.get("quantity"), (*loc, "quantity"), problems)
    subtotal = money(data.get("subtotal"), currency, (*loc, "subtotal"), problems)
    line_total = money(data.get("total"), currency, (*loc, "total"), problems, required=False) or subtotal
    name = html.unescape(text(data.get("name"), (*loc, "name"), problems))  # WooCommerce sends HTML entities
    if subtotal is not None and subtotal.is_negative:
        problems.add((*loc, "subtotal"), "must not be negative")
    if units is None or subtotal is None or line_total is None:
        return None
    price, rounding = unit_price_of(subtotal, units)
    line = MappedLine(tuple(keys), sku, units, price, name[:300], path_of(loc))
    return line, subtotal - line_total, rounding


def map_order(payload: Any) -> MappedOrder:
    """The order in a WooCommerce payload; ``InvalidChannelPayload`` names every broken field."""
    problems = Problems()
    order = obj(payload, (), problems)
    if not order:
        problems.raise_if_any(InvalidChannelPayload, "The WooCommerce order cannot be read")
    order_id = identifier(order.get("id"), ("id",), problems)
    currency = currency_of(order.get("currency"), ("currency",), problems)
    raw_status = order.get("status") or "pending"
    status = ORDER_STATUS.get(str(raw_status))
    if status is None:
        problems.add(
            "status", f"unknown order status {raw_status!r}{did_you_mean(str(raw_status), ORDER_STATUS)}"
        )
    raw_lines = items(order.get("line_items"), ("line_items",), problems, required=True)
    if isinstance(order.get("line_items"), list) and not raw_lines:
        problems.add("line_items", "an order needs at least one line")
    lines = [_line(item, ("line_items", i), currency, problems) for i, item in enumerate(raw_lines)]
    shipping_parts: list[Money] = []
    for index, item in enumerate(items(order.get("shipping_lines"), ("shipping_lines",), problems)):
        amount = money(
            obj(item, ("shipping_lines", index), problems).get("total"),
            currency,
            ("shipping_lines", index, "total"),
            problems,
        )
        if amount is not None:
            shipping_parts.append(amount)
    fees: list[Money] = []
    for index, item in enumerate(items(order.get("fee_lines"), ("fee_lines",), problems)):
        amount = money(
            obj(item, ("fee_lines", index), problems).get("total"),
            currency,
            ("fee_lines", index, "total"),
            problems,
        )
        if amount is not None:
            fees.append(amount)
    tax = money(order.get("total_tax"), currency, ("total_tax",), problems)
    stated_total = money(order.get("total"), currency, ("total",), problems)
    billing = obj(order.get("billing"), ("billing",), problems, required=False)
    shipping_raw = obj(order.get("shipping"), ("shipping",), problems, required=False)
    billing_address = _address(billing, ("billing",), problems) if _has_address(billing) else None
    shipping_address = _address(shipping_raw, ("shipping",), problems) if _has_address(shipping_raw) else None
    if not _has_address(billing) and not _has_address(shipping_raw):
        problems.add("shipping", "is required: where the order goes (address_1, city, country)")
    name = _name(billing) or _name(shipping_raw)
    if not name:
        problems.add(("billing", "first_name"), "is required: the customer's name")
    email = text(billing.get("email"), ("billing", "email"), problems)
    problems.raise_if_any(InvalidChannelPayload, "The WooCommerce order cannot be mapped")
    assert currency is not None and status is not None and tax is not None and stated_total is not None

    mapped = [entry for entry in lines if entry is not None]
    zero = Money.zero(currency)
    shipping = total(shipping_parts, currency) + total((f for f in fees if not f.is_negative), currency)
    discount = (
        total((d for _, d, _ in mapped), currency)
        + total((r for _, _, r in mapped), currency)
        - total((f for f in fees if f.is_negative), currency)
    )
    line_sum = total((line.unit_price * line.quantity for line, _, _ in mapped), currency)
    total_problem(stated_total, line_sum + shipping + tax - discount, ("total",), problems)
    problems.raise_if_any(InvalidChannelPayload, "The WooCommerce order cannot be mapped")
    customer = {
        "name": name[:200],
        "email": email,
        "phone": text(billing.get("phone"), ("billing", "phone"), problems),
        "external_id": str(order.get("customer_id") or ""),
    }
    if customer["external_id"] == "0":
        customer["external_id"] = ""
    ship_to = shipping_address or billing_address
    assert ship_to is not None
    return MappedOrder(
        platform="woocommerce",
        platform_order_id=order_id,
        number=text(order.get("number"), (), problems) or order_id,
        currency=currency,
        payment_status=status,
        customer=customer,
        shipping_address=ship_to,
        billing_address=billing_address,
        lines=tuple(line for line, _, _ in mapped),
        shipping=shipping,
        tax=tax,
        discount=discount if discount != zero else zero,
        total=stated_total,
    )
