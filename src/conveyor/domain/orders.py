"""Orders: what a customer bought, where it goes, and what it costs.

An ``Order`` is always consistent once built: at least one line, line numbers
unique, every amount in the order's currency, totals that add up
(``total = subtotal + shipping + tax - discount``) and a timezone-aware
placement time. Building one from a request or an import row, with an error
per broken field, is ``conveyor.domain.order_drafts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from conveyor.domain.addresses import Address
from conveyor.domain.errors import InvalidOrder
from conveyor.domain.money import Money, total
from conveyor.domain.order_status import OrderStatus
from conveyor.domain.problems import Problems


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    email: str = ""
    phone: str = ""
    external_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_no: int
    sku: str
    quantity: int
    unit_price: Money
    name: str = ""

    @property
    def line_total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal: Money
    shipping: Money
    tax: Money
    discount: Money
    total: Money

    @classmethod
    def compute(
        cls, lines: Iterable[OrderLine], *, shipping: Money, tax: Money, discount: Money
    ) -> OrderTotals:
        currency = shipping.currency
        subtotal = total((line.line_total for line in lines), currency)
        return cls(subtotal, shipping, tax, discount, subtotal + shipping + tax - discount)


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    channel: str
    external_id: str
    customer: Customer
    shipping_address: Address
    billing_address: Address
    lines: tuple[OrderLine, ...]
    currency: str
    totals: OrderTotals
    placed_at: datetime
    status: OrderStatus = OrderStatus.RECEIVED

    def __post_init__(self) -> None:
        order_problems(self).raise_if_any(InvalidOrder, f"Invalid order {self.external_id or self.id!r}")

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def line(self, line_no: int) -> OrderLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise KeyError(line_no)

    def with_status(self, status: OrderStatus) -> Order:
        return replace(self, status=status)

    def with_shipping_address(self, address: Address) -> Order:
        """The order after a shipping-address correction."""
        return replace(self, shipping_address=address)


def order_problems(order: Order) -> Problems:
    problems = Problems()
    if not order.lines:
        problems.add("lines", "an order needs at least one line")
    seen: set[int] = set()
    for index, line in enumerate(order.lines):
        where = ("lines", index)
        if line.line_no in seen:
            problems.add((*where, "line_no"), f"line number {line.line_no} appears twice")
        seen.add(line.line_no)
        if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) or line.quantity <= 0:
            problems.add((*where, "quantity"), f"must be a whole number above 0, got {line.quantity!r}")
        if line.unit_price.currency != order.currency:
            message = f"is in {line.unit_price.currency}, the order is in {order.currency}"
            problems.add((*where, "unit_price"), message)
        elif line.unit_price.is_negative:
            problems.add((*where, "unit_price"), "must not be negative")
    for name in ("subtotal", "shipping", "tax", "discount", "total"):
        amount: Money = getattr(order.totals, name)
        if amount.currency != order.currency:
            problems.add(("totals", name), f"is in {amount.currency}, the order is in {order.currency}")
    if not problems:
        expected = OrderTotals.compute(
            order.lines, shipping=order.totals.shipping, tax=order.totals.tax, discount=order.totals.discount
        )
        for name in ("subtotal", "total"):
            want, got = getattr(expected, name), getattr(order.totals, name)
            if want != got:
                problems.add(("totals", name), f"must be {want}, got {got}")
    if order.placed_at.tzinfo is None or order.placed_at.utcoffset() is None:
        problems.add("placed_at", "must be a timezone-aware time")
    return problems
