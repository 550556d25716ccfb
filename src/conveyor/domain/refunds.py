"""Refunds: what a refund request may ask for, and the finance settings that route it.

A refund names an order and what to give back: lines with quantities (the
unit price times the quantity, or a smaller ``amount`` for a partial refund
of a line), a shipping amount, or a plain ``amount`` (a goodwill gesture).
``plan_refund`` checks every field against the order and what earlier refunds
already gave back, and answers the total with every problem named by its
path (``lines[1].quantity: only 1 unit(s) of line 2 are left to refund``).

The money rule itself (never more than captured minus refunded) is enforced
twice: here against a fresh read, for a clear 422 naming the amount, and in
the database by a single guarded UPDATE of the order's refund account, which
decides races (the loser gets ``RefundRaceLost``, a 409).

``FinanceSettings`` is the ``finance`` section of the configuration document:
refunds above ``refund_approval_threshold`` (per channel, else global) wait
for a finance approval task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from conveyor.domain.config_reading import Entry
from conveyor.domain.errors import InvalidConfigDocument, RefundExceedsCaptured
from conveyor.domain.money import Money
from conveyor.domain.problems import PathPart, Problems, raise_problems
from conveyor.errors import Conflict, InvalidInput

Loc = tuple[PathPart, ...]


class InvalidRefund(InvalidInput):
    code = "invalid_refund"
    title = "Invalid refund request"


class RefundRaceLost(Conflict):
    """Another refund claimed the amount between our read and our guarded update."""

    code = "refund_conflict"
    title = "Another refund took the refundable amount"


class RefundDecisionConflict(Conflict):
    code = "not_awaiting_decision"
    title = "Not waiting for a decision"


class RefundStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    ISSUED = "issued"
    REJECTED = "rejected"
    FAILED = "failed"


#: statuses whose amount is still claimed on the order's refund account
HOLDING = frozenset({RefundStatus.AWAITING_APPROVAL, RefundStatus.APPROVED, RefundStatus.ISSUED})


@dataclass(frozen=True, slots=True)
class OrderLineFacts:
    line_no: int
    sku: str
    quantity: int
    unit_price: Money
    refunded_quantity: int = 0  # units of this line earlier (holding) refunds gave back


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_no: int
    sku: str
    quantity: int
    amount: Money

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_no": self.line_no,
            "sku": self.sku,
            "quantity": self.quantity,
            "amount": self.amount.as_string(),
        }


@dataclass(frozen=True, slots=True)
class RefundPlan:
    lines: tuple[RefundLine, ...]
    shipping: Money
    extra: Money  # a plain amount on top of lines and shipping (goodwill)
    total: Money


def _money(value: Any, currency: str, loc: Loc, problems: Problems) -> Money | None:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        problems.add(loc, f"must be an amount written as a decimal string such as '12.50', got {value!r}")
        return None
    try:
        money = Money.parse(value, currency)
    except (InvalidInput, InvalidOperation) as err:
        problems.add(loc, str(err))
        return None
    if money.is_negative:
        problems.add(loc, f"must not be negative, got {money.as_string()}")
        return None
    return money


def plan_refund(
    *,
    currency: str,
    lines: Sequence[Mapping[str, Any]],
    shipping: Any,
    amount: Any,
    order_lines: Sequence[OrderLineFacts],
    shipping_charged: Money,
    shipping_refunded: Money,
    ceiling: Money,
    claimed: Money,
) -> RefundPlan:
    """The refund's parts and total, or ``InvalidRefund`` naming every bad field.

    ``ceiling`` is what was captured minus refunds paid outside the refund
    process; ``claimed`` what earlier refunds (issued or pending) hold of it.
    A total above the ceiling can never be refunded: ``RefundExceedsCaptured``
    (422) naming both amounts. A total that fits the ceiling but not what the
    other refunds left is a conflict with them: ``RefundRaceLost`` (409).
    """
    problems = Problems()
    by_no = {line.line_no: line for line in order_lines}
    planned: list[RefundLine] = []
    seen: set[int] = set()
    for index, raw in enumerate(lines):
        loc: Loc = ("lines", index)
        if not isinstance(raw, Mapping):
            problems.add(loc, "must be an object with line_no and quantity (and optionally amount)")
            continue
        unknown = set(raw) - {"line_no", "quantity", "amount"}
        for key in sorted(unknown):
            problems.add((*loc, key), "unknown field: use line_no, quantity, amount")
        line_no, quantity = raw.get("line_no"), raw.get("quantity")
        if isinstance(line_no, bool) or not isinstance(line_no, int):
            problems.add((*loc, "line_no"), f"must be the order line's number, got {line_no!r}")
            continue
        facts = by_no.get(line_no)
        if facts is None:
            known = ", ".join(str(n) for n in sorted(by_no)) or "none"
            problems.add((*loc, "line_no"), f"the order has no line {line_no} (its lines: {known})")
            continue
        if line_no in seen:
            problems.add((*loc, "line_no"), f"line {line_no} is named twice; name each line once")
            continue
        seen.add(line_no)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            problems.add((*loc, "quantity"), f"must be a whole number above 0, got {quantity!r}")
            continue
        left = facts.quantity - facts.refunded_quantity
        if quantity > left:
            problems.add(
                (*loc, "quantity"),
                f"only {left} unit(s) of line {line_no} ({facts.sku}) are left to refund, "
                f"asked for {quantity}",
            )
            continue
        full = facts.unit_price * quantity
        line_amount = full
        if raw.get("amount") is not None:
            given = _money(raw["amount"], currency, (*loc, "amount"), problems)
            if given is None:
                continue
            if given > full:
                problems.add(
                    (*loc, "amount"), f"{given} is more than {quantity} x {facts.unit_price} = {full}"
                )
                continue
            line_amount = given
        planned.append(RefundLine(line_no, facts.sku, quantity, line_amount))
    ship = Money.zero(currency)
    if shipping is not None:
        given = _money(shipping, currency, ("shipping",), problems)
        if given is not None:
            left_shipping = shipping_charged - shipping_refunded
            if given > left_shipping:
                problems.add(
                    "shipping", f"{given} is more than the {left_shipping} of shipping left to refund"
                )
            else:
                ship = given
    extra = Money.zero(currency)
    if amount is not None:
        given = _money(amount, currency, ("amount",), problems)
        if given is not None:
            extra = given
    if not problems and not planned and ship.is_zero and extra.is_zero:
        problems.add((), "name lines (with quantities), a shipping amount or an amount to refund")
    problems.raise_if_any(InvalidRefund, "The refund request is not valid")
    total = sum((line.amount for line in planned), Money.zero(currency)) + ship + extra
    if total.is_zero:
        raise InvalidRefund(
            "A refund must be above zero",
            errors=[{"loc": ["amount"], "path": "amount", "msg": "the refund adds up to 0"}],
        )
    refundable = ceiling - claimed
    if total > ceiling:
        raise RefundExceedsCaptured(
            f"Cannot refund {total}: only {ceiling} of this order was captured, and {claimed} of it is "
            f"already refunded or pending, so at most {refundable} can be refunded",
            errors=[
                {
                    "loc": ["amount"],
                    "path": "amount",
                    "msg": f"{total.as_string()} is above the captured {ceiling.as_string()}",
                }
            ],
            amount=total.as_string(),
            captured=ceiling.as_string(),
            refundable=refundable.as_string(),
        )
    if total > refundable:
        raise RefundRaceLost(
            f"Cannot refund {total}: other refunds (issued or pending) already hold {claimed} of the "
            f"{ceiling} captured, so at most {refundable} is left",
            amount=total.as_string(),
            refundable=refundable.as_string(),
        )
    return RefundPlan(tuple(planned), ship, extra, total)


# --- configuration --------------------------------------------------------------------------------

FINANCE_FIELDS = frozenset({"refund_approval_threshold", "channels"})
CHANNEL_FINANCE_FIELDS = frozenset({"refund_approval_threshold"})


def _threshold(entry: Entry, key: str) -> Decimal | None:
    value = entry.data.get(key)
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        entry.add(key, f"must be an amount such as '100.00', got {value!r}")
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        entry.add(key, f"must be an amount such as '100.00', got {value!r}")
        return None
    if not amount.is_finite() or amount < 0:
        entry.add(key, f"must be an amount of at least 0, got {value!r}")
        return None
    return amount


@dataclass(frozen=True, slots=True)
class FinanceSettings:
    """Refunds above the threshold (in the order's currency) need a finance approval task.

    ``None`` means no approval is ever needed."""

    refund_approval_threshold: Decimal | None = Decimal("100.00")
    channel_thresholds: Mapping[str, Decimal | None] = field(default_factory=dict)

    def needs_approval(self, amount: Money, channel: str) -> bool:
        if channel in self.channel_thresholds:
            threshold = self.channel_thresholds[channel]
        else:
            threshold = self.refund_approval_threshold
        return threshold is not None and amount.amount > threshold

    def as_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "refund_approval_threshold": None
            if self.refund_approval_threshold is None
            else str(self.refund_approval_threshold)
        }
        if self.channel_thresholds:
            out["channels"] = {
                code: {"refund_approval_threshold": None if value is None else str(value)}
                for code, value in sorted(self.channel_thresholds.items())
            }
        return out


def read_finance_settings(
    data: Any, loc: Loc = ("finance",), problems: Problems | None = None
) -> FinanceSettings:
    """The ``finance`` section; problems are named by path (``finance.channels.web.<field>``)."""
    own = problems is None
    problems = problems if problems is not None else Problems()
    entry = Entry(data if data is not None else {}, loc, problems, FINANCE_FIELDS)
    default = FinanceSettings()
    threshold = (
        _threshold(entry, "refund_approval_threshold")
        if entry.has("refund_approval_threshold")
        else (None if "refund_approval_threshold" in entry.data else default.refund_approval_threshold)
    )
    channels: dict[str, Decimal | None] = {}
    for code, raw in entry.mapping("channels").items():
        sub = Entry(raw, (*loc, "channels", str(code)), problems, CHANNEL_FINANCE_FIELDS)
        channels[str(code)] = _threshold(sub, "refund_approval_threshold")
    if own and problems:
        raise_problems(InvalidConfigDocument, "The finance settings are not valid", problems.items)
    return FinanceSettings(threshold, channels)
