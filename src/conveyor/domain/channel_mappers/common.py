"""What every mapper produces (``MappedOrder``) and the small readers they share.

A mapper is a pure function: a platform's parsed JSON payload in, a
``MappedOrder`` out, or ``InvalidChannelPayload`` naming every broken field by
its JSON path in the *platform's* payload (``order.line_items[2].price``).
SKU resolution happens afterwards (``resolve``): the mapper only says which
platform keys identify each line (its SKU, ``variant:<id>``, ``product:<id>``).
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from conveyor.domain.addresses import Address
from conveyor.domain.currencies import MINOR_UNITS
from conveyor.domain.errors import InvalidAddress, InvalidMoney
from conveyor.domain.money import Money
from conveyor.domain.problems import PathPart, Problems, problems_of
from conveyor.errors import InvalidInput

Loc = tuple[PathPart, ...]


class InvalidChannelPayload(InvalidInput):
    code = "invalid_channel_payload"
    title = "Invalid channel payload"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class MappedLine:
    """One order line as the platform described it; ``keys`` are looked up in the SKU mapping, in order."""

    keys: tuple[str, ...]
    platform_sku: str
    quantity: int
    unit_price: Money
    name: str
    path: str


@dataclass(frozen=True, slots=True)
class MappedOrder:
    platform: str
    platform_order_id: str
    number: str
    currency: str
    payment_status: PaymentStatus
    customer: Mapping[str, str]
    shipping_address: Mapping[str, str]
    billing_address: Mapping[str, str] | None
    lines: tuple[MappedLine, ...]
    shipping: Money
    tax: Money
    discount: Money
    total: Money
    notes: tuple[str, ...] = field(default=())

    def draft(self, skus: Sequence[str]) -> dict[str, Any]:
        """The order draft (``conveyor.domain.order_drafts``) with the lines' resolved SKUs."""
        if len(skus) != len(self.lines):
            raise ValueError("one SKU per line")
        draft: dict[str, Any] = {
            "external_id": self.platform_order_id,
            "currency": self.currency,
            "customer": dict(self.customer),
            "shipping_address": dict(self.shipping_address),
            "lines": [
                {
                    "sku": sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price.as_string(),
                    "name": line.name,
                }
                for sku, line in zip(skus, self.lines, strict=True)
            ],
            "shipping": self.shipping.as_string(),
            "tax": self.tax.as_string(),
            "discount": self.discount.as_string(),
            "total": self.total.as_string(),
        }
        if self.billing_address is not None:
            draft["billing_address"] = dict(self.billing_address)
        return draft


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A line whose platform keys map to no SKU we sell."""

    line: int
    path: str
    platform_sku: str
    keys: tuple[str, ...]
    tried: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "path": self.path,
            "platform_sku": self.platform_sku,
            "keys": list(self.keys),
            "tried": self.tried,
        }


def resolve(
    order: MappedOrder, mapping: Mapping[str, str], known_skus: Container[str]
) -> tuple[list[str], list[Unmapped]]:
    """Our SKU for every line: the first of its keys in ``mapping``, else its platform SKU (identity).

    Returns the SKUs and the lines that map to nothing we know (empty when the order can be placed).
    """
    skus: list[str] = []
    unmapped: list[Unmapped] = []
    for index, line in enumerate(order.lines):
        sku = next((mapping[key] for key in line.keys if key in mapping), None)
        if sku is None and line.platform_sku:
            sku = line.platform_sku
        if sku is None or sku not in known_skus:
            unmapped.append(Unmapped(index, line.path, line.platform_sku, line.keys, sku))
        skus.append(sku or "")
    return skus, unmapped


# --- readers the mappers share ---------------------------------------------------------------


def path_of(loc: Loc) -> str:
    from conveyor.domain.problems import format_path

    return format_path(loc)


def obj(raw: Any, loc: Loc, problems: Problems, *, required: bool = True) -> Mapping[str, Any]:
    if raw is None and not required:
        return {}
    if not isinstance(raw, Mapping):
        problems.add(
            loc, "is required: an object" if raw is None else f"must be an object, got {type(raw).__name__}"
        )
        return {}
    return raw


def items(raw: Any, loc: Loc, problems: Problems, *, required: bool = False) -> list[Any]:
    if raw is None:
        if required:
            problems.add(loc, "is required: a list")
        return []
    if not isinstance(raw, list):
        problems.add(loc, f"must be a list, got {type(raw).__name__}")
        return []
    return raw


def text(raw: Any, loc: Loc, problems: Problems, *, required: bool = False) -> str:
    if raw is None or raw == "":
        if required:
            problems.add(loc, "is required")
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        problems.add(loc, f"must be text, got {raw!r}")
        return ""
    return str(raw).strip()


def identifier(raw: Any, loc: Loc, problems: Problems) -> str:
    """A platform id: a positive whole number or non-empty text."""
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip():
        problems.add(loc, f"is required: the platform's order id, got {raw!r}")
        return ""
    if isinstance(raw, int) and raw <= 0:
        problems.add(loc, f"must be a positive id, got {raw}")
        return ""
    value = str(raw).strip()
    if len(value) > 200:
        problems.add(loc, "is longer than 200 characters")
        return ""
    return value


def currency_of(raw: Any, loc: Loc, problems: Problems) -> str | None:
    if not isinstance(raw, str) or raw.upper() not in MINOR_UNITS:
        problems.add(loc, f"must be an ISO 4217 currency code such as 'USD', got {raw!r}")
        return None
    return raw.upper()


MAX_QUANTITY = 1_000_000


def quantity(raw: Any, loc: Loc, problems: Problems) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int):
        problems.add(loc, f"must be a whole number of units, got {raw!r}")
        return None
    if not 1 <= raw <= MAX_QUANTITY:
        problems.add(loc, f"must be between 1 and {MAX_QUANTITY:,} units, got {raw}")
        return None
    return raw


def money(
    raw: Any,
    currency: str | None,
    loc: Loc,
    problems: Problems,
    *,
    required: bool = True,
    floats: bool = True,
) -> Money | None:
    """An amount as the platform writes it: a decimal string, an integer, or (``floats``) a JSON number.

    A JSON number is read from its shortest text (``12.5`` is 12.50), never through binary
    floating point; more decimals than the currency has is a problem, not a rounding.
    """
    if raw is None or raw == "":
        if required:
            problems.add(loc, "is required")
        return None
    if isinstance(raw, bool):
        problems.add(loc, f"must be an amount, got {raw!r}")
        return None
    if isinstance(raw, float | Decimal):
        if not floats:
            problems.add(loc, f"write the amount as a decimal string such as '{raw}', not a number")
            return None
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    if currency is None:
        return None
    if not isinstance(raw, str | int):
        problems.add(loc, f"must be an amount such as '12.50', got {raw!r}")
        return None
    try:
        return Money.parse(raw, currency)
    except InvalidMoney as err:
        problems.add(loc, err.detail, err.code)
        return None


def unit_price_of(line_total: Money, units: int) -> tuple[Money, Money]:
    """(unit price, rounding) for a line total that ``units`` may not divide exactly.

    The unit price is rounded *up* to the currency's minor unit, so ``unit *
    units - rounding == line_total`` with a rounding of zero or more, which the
    order carries as part of its discount.
    """
    places = MINOR_UNITS[line_total.currency]
    try:
        unit = (line_total.amount / units).quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING)
    except InvalidOperation:  # pragma: no cover - amounts are bounded
        unit = line_total.amount
    price = Money(unit, line_total.currency)
    return price, price * units - line_total


_ADDRESS_PATHS = ("name", "line1", "line2", "city", "postal_code", "region", "country", "phone", "email")


def address(
    values: Mapping[str, str], platform_fields: Mapping[str, str], loc: Loc, problems: Problems
) -> dict[str, str] | None:
    """An address in our shape, checked; its problems are named by the platform's own fields."""
    data = {key: value for key, value in values.items() if key in _ADDRESS_PATHS and value}
    try:
        Address.from_mapping(data)
    except InvalidAddress as err:
        for problem in problems_of(err):
            ours = str(problem.loc[0]) if problem.loc else ""
            theirs = platform_fields.get(ours, ours)
            problems.add((*loc, theirs) if theirs else loc, problem.message, problem.type)
        return None
    return data


def total_problem(stated: Money, computed: Money, loc: Loc, problems: Problems) -> None:
    if stated != computed:
        problems.add(
            loc,
            f"is {stated.as_string()} but the lines, shipping, tax and discounts make {computed.as_string()}",
        )
