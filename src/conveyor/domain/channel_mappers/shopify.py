"""Shopify: an ``orders/create`` webhook body (or a REST ``{"order": {...}}`` document) -> ``MappedOrder``.

- lines: ``line_items`` (``price`` per unit, ``quantity``); keys for the SKU
  mapping: the line's ``sku``, then ``variant:<variant_id>``, then
  ``product:<product_id>``;
- discount: what Shopify took off between the list prices of the lines and
  its ``subtotal_price`` (line and order discounts alike); without a
  ``subtotal_price``, ``total_discounts``;
- shipping: the ``shipping_lines`` (their ``discounted_price`` when given);
- tax: ``total_tax`` (or the sum of ``tax_lines``); nothing is added when
  ``taxes_included`` (the prices already hold it);
- total: ``total_price``, which must equal what the parts above make;
- payment status: ``financial_status`` (``authorized`` -> authorized, ``paid`` ->
  paid, ``pending`` -> pending, ``partially_paid``, ``partially_refunded``,
  ``refunded``, ``voided``; ``expired`` -> voided);
- customer: ``customer`` first and last name (else the billing or shipping
  name), ``email`` (else ``contact_email``, ``customer.email``);
- addresses: ``shipping_address`` and ``billing_address`` (``country_code``).
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

FINANCIAL_STATUS: Mapping[str, PaymentStatus] = {
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.AUTHORIZED,
    "partially_paid": PaymentStatus.PARTIALLY_PAID,
    "paid": PaymentStatus.PAID,
    "partially_refunded": PaymentStatus.PARTIALLY_REFUNDED,
    "refunded": PaymentStatus.REFUNDED,
    "voided": PaymentStatus.VOIDED,
    "expired": PaymentStatus.VOIDED,
}
ADDRESS_FIELDS = {
    "name": "name",
    "line1": "address1",
    "line2": "address2",
    "city": "city",
    "postal_code": "zip",
    "region": "province_code",
    "country": "country_code",
    "phone": "phone",
}


def _person(raw: Mapping[str, Any]) -> str:
    name = raw.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    parts = [raw.get("first_name"), raw.get("last_name")]
    return " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())


def _address(raw: Any, loc: Loc, problems: Problems) -> dict[str, str] | None:
    data = obj(raw, loc, problems)
    if not data:
        return None
    name = _person(data)
    company = text(data.get("company"), (*loc, "company"), problems)
    country = text(data.get("country_code"), (*loc, "country_code"), problems) or text(
        data.get("country"), (*loc, "country"), problems
    )
    values = {
        "name": f"{name}, {company}" if name and company else name or company,
        "line1": text(data.get("address1"), (*loc, "address1"), problems),
        "line2": text(data.get("address2"), (*loc, "address2"), problems),
        "city": text(data.get("city"), (*loc, "city"), problems),
        "postal_code": text(data.get("zip"), (*loc, "zip"), problems),
        "region": text(data.get("province_code"), (*loc, "province_code"), problems)
        or text(data.get("province"), (*loc, "province"), problems),
        "country": country.upper(),
        "phone": text(data.get("phone"), (*loc, "phone"), problems),
    }
    return address(values, ADDRESS_FIELDS, loc, problems)


def _line(raw: Any, loc: Loc, currency: str | None, problems: Problems) -> MappedLine | None:
    data = obj(raw, loc, problems)
    if not data:
        return None
    sku = text(data.get("sku"), (*loc, "sku"), problems)
    keys = [sku] if sku else []
    for field, prefix in (("variant_id", "variant"), ("product_id", "product")):
        value = data.get(field)
        if isinstance(value, int | str) and not isinstance(value, bool) and str(value).strip():
            keys.append(f"{prefix}:{str(value).strip()}")
    units = quantity(data.get("quantity"), (*loc, "quantity"), problems)
    price = money(data.get("price"), currency, (*loc, "price"), problems)
    name = text(data.get("name"), (*loc, "name"), problems) or text(
        data.get("title"), (*loc, "title"), problems
    )
    if price is not None and price.is_negative:
        problems.add((*loc, "price"), "must not be negative")
    if units is None or price is None:
        return None
    return MappedLine(tuple(keys), sku, units, price, name[:300], path_of(loc))


def map_order(payload: Any) -> MappedOrder:
    """The order in a Shopify payload; ``InvalidChannelPayload`` names every broken field."""
    problems = Problems()
    loc: Loc = ()
    if isinstance(payload, Mapping) and isinstance(payload.get("order"), Mapping):
        payload, loc = payload["order"], ("order",)
    order = obj(payload, loc, problems)
    if not order:
        problems.raise_if_any(InvalidChannelPayload, "The Shopify order cannot be read")
    order_id = identifier(order.get("id"), (*loc, "id"), problems)
    currency = currency_of(order.get("currency"), (*loc, "currency"), problems)
    raw_status = order.get("financial_status") or "pending"
    status = FINANCIAL_STATUS.get(str(raw_status))
    if status is None:
        problems.add(
            (*loc, "financial_status"),
            f"unknown financial status {raw_status!r}{did_you_mean(str(raw_status), FINANCIAL_STATUS)}",
        )
    raw_lines = items(order.get("line_items"), (*loc, "line_items"), problems, required=True)
    if isinstance(order.get("line_items"), list) and not raw_lines:
        problems.add((*loc, "line_items"), "an order needs at least one line")
    lines = [_line(item, (*loc, "line_items", i), currency, problems) for i, item in enumerate(raw_lines)]

    shipping_parts: list[Money] = []
    for index, item in enumerate(items(order.get("shipping_lines"), (*loc, "shipping_lines"), problems)):
        where = (*loc, "shipping_lines", index)
        entry = obj(item, where, problems)
        field = "discounted_price" if entry.get("discounted_price") not in (None, "") else "price"
        amount = money(entry.get(field), currency, (*where, field), problems)
        if amount is not None:
            shipping_parts.append(amount)
    taxes_included = order.get("taxes_included") is True
    if order.get("total_tax") not in (None, ""):
        tax = money(order.get("total_tax"), currency, (*loc, "total_tax"), problems)
    else:
        tax_parts = [
            money(
                obj(item, (*loc, "tax_lines", i), problems).get("price"),
                currency,
                (*loc, "tax_lines", i, "price"),
                problems,
            )
            for i, item in enumerate(items(order.get("tax_lines"), (*loc, "tax_lines"), problems))
        ]
        tax = total((t for t in tax_parts if t is not None), currency) if currency else None
    subtotal = money(
        order.get("subtotal_price"), currency, (*loc, "subtotal_price"), problems, required=False
    )
    discounts = money(
        order.get("total_discounts"), currency, (*loc, "total_discounts"), problems, required=False
    )
    stated_total = money(order.get("total_price"), currency, (*loc, "total_price"), problems)

    customer_raw = obj(order.get("customer"), (*loc, "customer"), problems, required=False)
    shipping_address = (
        _address(order.get("shipping_address"), (*loc, "shipping_address"), problems)
        if order.get("shipping_address") is not None
        else None
    )
    billing_address = (
        _address(order.get("billing_address"), (*loc, "billing_address"), problems)
        if order.get("billing_address") is not None
        else None
    )
    if order.get("shipping_address") is None and order.get("billing_address") is None:
        problems.add((*loc, "shipping_address"), "is required: where the order goes")
    email = next(
        (
            v.strip()
            for v in (order.get("email"), order.get("contact_email"), customer_raw.get("email"))
            if isinstance(v, str) and v.strip()
        ),
        "",
    )
    name = (
        _person(customer_raw)
        or _person(order.get("billing_address") or {})
        or _person(order.get("shipping_address") or {})
    )
    if not name:
        problems.add((*loc, "customer"), "names nobody: give the customer's or the billing address's name")
    problems.raise_if_any(InvalidChannelPayload, "The Shopify order cannot be mapped")
    assert currency is not None and status is not None and tax is not None and stated_total is not None

    mapped_lines = tuple(line for line in lines if line is not None)
    line_sum = total((line.unit_price * line.quantity for line in mapped_lines), currency)
    if subtotal is not None:
        discount = line_sum - subtotal
        if discount.is_negative:
            problems.add(
                (*loc, "subtotal_price"),
                f"is {subtotal.as_string()}, more than the lines' {line_sum.as_string()}",
            )
    else:
        discount = discounts or Money.zero(currency)
    shipping = total(shipping_parts, currency)
    added_tax = Money.zero(currency) if taxes_included else tax
    total_problem(stated_total, line_sum + shipping + added_tax - discount, (*loc, "total_price"), problems)
    problems.raise_if_any(InvalidChannelPayload, "The Shopify order cannot be mapped")
    customer = {"name": name[:200], "email": email, "external_id": text(customer_raw.get("id"), (), problems)}
    ship_to = shipping_address or billing_address
    assert ship_to is not None
    return MappedOrder(
        platform="shopify",
        platform_order_id=order_id,
        number=text(order.get("name"), (), problems) or str(order.get("order_number") or order_id),
        currency=currency,
        payment_status=status,
        customer=customer,
        shipping_address=ship_to,
        billing_address=billing_address,
        lines=mapped_lines,
        shipping=shipping,
        tax=added_tax,
        discount=discount,
        total=stated_total,
        notes=("taxes included in prices",) if taxes_included else (),
    )
