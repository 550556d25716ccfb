"""Changes to an order after it was placed: the rules that say when each one is still possible.

An order can be cancelled until it is handed over to the carrier; its
shipping address corrected before the label exists (after that, only a
carrier intercept can help; after hand-over, nothing); its lines edited until
picking starts. Each refusal is a ``Conflict`` naming why, with a stable code.
Plain Python: the services read the order's state and ask these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conveyor.domain.problems import Problems
from conveyor.errors import Conflict, InvalidInput

#: order statuses after which the parcel is with the carrier (or the order is over)
HANDED_OVER_STATUSES = frozenset({"partially_shipped", "shipped", "delivered", "completed"})
#: shipment statuses that mean the carrier has the parcel
CARRIER_HAS_IT = frozenset({"handed_over", "in_transit", "out_for_delivery", "delivered", "exception"})
REASON_MAX_LENGTH = 500


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"
    title = "The order can no longer be cancelled"


class CancellationFailed(Conflict):
    code = "cancellation_failed"
    title = "The cancellation could not be completed"


class AddressChangeRefused(Conflict):
    code = "address_change_refused"
    title = "The shipping address can no longer be changed"


class OrderNotEditable(Conflict):
    code = "order_not_editable"
    title = "The order can no longer be edited"


class PaymentMethodNotAwaited(Conflict):
    code = "payment_method_not_awaited"
    title = "The order does not wait for a payment method"


class InvalidOrderChange(InvalidInput):
    code = "invalid_order_change"
    title = "Invalid order change"


@dataclass(frozen=True, slots=True)
class OrderState:
    """What the rules need to know of an order (the services read it from storage)."""

    order_id: str
    status: str
    shipment_statuses: tuple[str, ...] = ()
    has_label: bool = False
    picking_started: bool = False

    @property
    def handed_over(self) -> bool:
        return self.status in HANDED_OVER_STATUSES or any(s in CARRIER_HAS_IT for s in self.shipment_statuses)


def check_cancellable(state: OrderState) -> None:
    """Cancellation is possible until hand-over (raises ``OrderNotCancellable`` naming why not)."""
    if state.status == "cancelled":
        raise OrderNotCancellable(
            f"Order {state.order_id} is already cancelled", order_id=state.order_id, order_status=state.status
        )
    if state.handed_over:
        raise OrderNotCancellable(
            f"Order {state.order_id} was handed over to the carrier (status {state.status}); "
            "it cannot be cancelled any more: request a return instead",
            order_id=state.order_id,
            order_status=state.status,
            reason="handed_over",
        )
    if state.status == "completed":
        raise OrderNotCancellable(f"Order {state.order_id} is completed", order_id=state.order_id)


def check_address_change(state: OrderState) -> str:
    """``"reallocate"`` before the label, ``"intercept"`` after it; refused after hand-over or when final."""
    if state.status == "cancelled":
        raise AddressChangeRefused(f"Order {state.order_id} is cancelled", order_id=state.order_id)
    if state.handed_over:
        raise AddressChangeRefused(
            f"Order {state.order_id} was handed over to the carrier (status {state.status}); "
            "its address cannot be changed any more",
            order_id=state.order_id,
            order_status=state.status,
            reason="handed_over",
        )
    return "intercept" if state.has_label else "reallocate"


def check_editable(state: OrderState) -> None:
    """Lines can change until picking starts (a confirmed pick list, or the order moved past picking)."""
    if state.status == "cancelled":
        raise OrderNotEditable(f"Order {state.order_id} is cancelled", order_id=state.order_id)
    if state.handed_over or state.picking_started or state.status in ("packed",):
        raise OrderNotEditable(
            f"Picking of order {state.order_id} has started (status {state.status}); "
            "its lines cannot be edited any more",
            order_id=state.order_id,
            order_status=state.status,
            reason="picking_started",
        )


def clean_reason(value: Any, field: str = "reason", *, required: bool = True) -> str:
    """A person's reason: text, 1..500 characters once trimmed (``InvalidOrderChange`` naming the field)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidOrderChange(
            f"Say why ({field} is required text)",
            errors=[{"loc": [field], "path": field, "msg": "is required"}],
        )
    text = value.strip()
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidOrderChange(
            f"{field} is longer than {REASON_MAX_LENGTH} characters",
            errors=[{"loc": [field], "path": field, "msg": f"at most {REASON_MAX_LENGTH} characters"}],
        )
    return text


@dataclass(frozen=True, slots=True)
class LineChange:
    """The wanted quantity of a SKU after an edit (0: remove the line)."""

    sku: str
    quantity: int


def read_line_changes(data: Any, known_skus: Iterable[str]) -> tuple[LineChange, ...]:
    """``{"lines": [{"sku", "quantity"}...]}`` -> the wanted quantity per SKU, every problem named at once.

    Each entry sets the SKU's new total quantity: a SKU not on the order adds a
    line; ``{"sku": ..., "remove": true}`` removes one. Unknown SKUs, missing,
    non-integer, zero or negative quantities and a SKU named twice are refused;
    so is an edit that would leave the order with no line.
    """
    problems = Problems()
    known = set(known_skus)
    if not isinstance(data, Mapping):
        raise InvalidOrderChange(
            "An edit must be a JSON object with lines",
            errors=[{"loc": [], "path": "", "msg": "not an object"}],
        )
    lines = data.get("lines")
    if not isinstance(lines, Sequence) or isinstance(lines, str) or not lines:
        problems.add("lines", "give at least one {sku, quantity} entry")
        problems.raise_if_any(InvalidOrderChange, "Invalid order edit")
    assert isinstance(lines, Sequence)
    changes: list[LineChange] = []
    seen: set[str] = set()
    for index, entry in enumerate(lines):
        if not isinstance(entry, Mapping):
            problems.add(("lines", index), "must be an object with sku and quantity")
            continue
        sku = entry.get("sku")
        if not isinstance(sku, str) or not sku.strip():
            problems.add(("lines", index, "sku"), "is required")
            continue
        sku = sku.strip()
        if sku not in known:
            problems.add(("lines", index, "sku"), f"unknown SKU {sku!r}")
        if sku in seen:
            problems.add(("lines", index, "sku"), f"{sku} is named twice")
        seen.add(sku)
        if entry.get("remove") is True:
            changes.append(LineChange(sku, 0))
            continue
        quantity = entry.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            problems.add(
                ("lines", index, "quantity"),
                'must be a whole number above 0 ("remove": true removes the line)',
            )
            continue
        if quantity < 1:
            problems.add(
                ("lines", index, "quantity"),
                f'must be above 0, got {quantity} (send "remove": true to remove the line)',
            )
            continue
        changes.append(LineChange(sku, quantity))
    problems.raise_if_any(InvalidOrderChange, "Invalid order edit")
    return tuple(changes)


_DURATION = re.compile(r"^P(?=\d|T\d)(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
SETTINGS_FIELDS = ("payment_method_wait", "backorder_wait")


@dataclass(frozen=True, slots=True)
class OrderChangeSettings:
    """The ``order_changes`` section of the configuration document (defaults when it is absent).

    ``payment_method_wait``: how long a declined order waits for a new payment
    method before it is cancelled; ``backorder_wait``: how long a backordered
    line waits for stock before support decides to cancel it or keep waiting.
    Durations are ISO 8601 (``P3D``, ``PT12H``).
    """

    payment_method_wait: str = "P3D"
    backorder_wait: str = "P14D"

    def as_document(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in SETTINGS_FIELDS}


def is_duration(value: Any) -> bool:
    return isinstance(value, str) and _DURATION.match(value) is not None


def read_order_change_settings(
    data: Any, loc: Sequence[str | int], problems: Problems
) -> OrderChangeSettings | None:
    """Check the section (each problem named by its path under ``loc``); None when it has problems."""
    if not isinstance(data, Mapping):
        problems.add(tuple(loc), "must be an object")
        return None
    before = len(problems)
    for key in data:
        if key not in SETTINGS_FIELDS:
            problems.add((*loc, str(key)), f"unknown setting; known: {', '.join(SETTINGS_FIELDS)}")
    values: dict[str, str] = {}
    for name in ("payment_method_wait", "backorder_wait"):
        if name in data:
            if not is_duration(data[name]):
                problems.add(
                    (*loc, name), f"must be an ISO 8601 duration such as P3D or PT12H, got {data[name]!r}"
                )
            else:
                values[name] = data[name]
    if len(problems) > before:
        return None
    return OrderChangeSettings(**values)
