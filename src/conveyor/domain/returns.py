"""Returns (RMA): what may be returned, the inspection of what came back, and the settings.

``plan_return`` decides whether a return request can be accepted: the reason
code is one of the exception register's return reasons (``exceptions.return_reasons``,
which also map each code to its category), every line names a shipped order line with no more
units than were shipped and not already returned (by another open or received
return), and the request is inside the return window, counted in days from the
delivery (from the hand-over while no delivery was reported). Every bad line
is named by its path; nothing is partly accepted.

After the parcel arrives, each line is inspected: ``restock`` (back to
sellable stock), ``quarantine`` or ``scrap`` (recorded in the stock ledger but
never sellable), and resolved: ``refund``, ``replacement`` (a new order
through the normal fulfilment process), ``store_credit`` or ``none`` (received
without any money moving). ``read_inspection`` checks that form.

``ReturnSettings`` is the ``returns`` section of the configuration document,
``CarrierExceptionSettings`` the ``carrier_exceptions`` section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from conveyor.domain.config_reading import Entry
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.domain.money import Money
from conveyor.domain.problems import PathPart, Problems, did_you_mean, raise_problems
from conveyor.errors import Conflict, DomainError, InvalidInput

Loc = tuple[PathPart, ...]


class InvalidReturn(InvalidInput):
    code = "invalid_return"
    title = "Invalid return request"


class ReturnWindowClosed(DomainError):
    code = "return_window_closed"
    title = "Outside the return window"


class ReturnStateConflict(Conflict):
    code = "return_state_conflict"
    title = "The return is not in a state that allows this"


class ReturnStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the support review
    APPROVED = "approved"  # label issued, waiting for the parcel
    REJECTED = "rejected"
    RECEIVED = "received"  # the parcel arrived, inspection pending or done
    CLOSED = "closed"  # inspected and resolved
    EXPIRED = "expired"  # the parcel never arrived


#: returns whose units count as "already returned" for a new request
ACTIVE_STATUSES = frozenset(
    {ReturnStatus.REQUESTED, ReturnStatus.APPROVED, ReturnStatus.RECEIVED, ReturnStatus.CLOSED}
)


class Disposition(StrEnum):
    RESTOCK = "restock"
    QUARANTINE = "quarantine"
    SCRAP = "scrap"


class Resolution(StrEnum):
    REFUND = "refund"
    REPLACEMENT = "replacement"
    STORE_CREDIT = "store_credit"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ShippedLine:
    line_no: int
    sku: str
    ordered: int
    shipped: int
    returned: int  # units in other active returns
    unit_price: Money


@dataclass(frozen=True, slots=True)
class ReturnLinePlan:
    line_no: int
    sku: str
    quantity: int
    unit_price: Money

    @property
    def value(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class ReturnPlan:
    lines: tuple[ReturnLinePlan, ...]
    reason_code: str
    reason_text: str
    value: Money


@dataclass(frozen=True, slots=True)
class ReturnSettings:
    window_days: int = 30
    auto_approve_below: Decimal | None = Decimal("50.00")
    parcel_wait_days: int = 21
    warehouse: str | None = None  # None: the warehouse that shipped the line

    def auto_approves(self, value: Money) -> bool:
        return self.auto_approve_below is not None and value.amount < self.auto_approve_below

    def as_mapping(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "auto_approve_below": None if self.auto_approve_below is None else str(self.auto_approve_below),
            "parcel_wait_days": self.parcel_wait_days,
            "warehouse": self.warehouse,
        }


def plan_return(
    *,
    lines: Sequence[Any],
    reason_code: Any,
    reason_text: Any,
    shipped: Sequence[ShippedLine],
    window_starts: datetime | None,
    now: datetime,
    settings: ReturnSettings,
    currency: str,
    reason_codes: Sequence[str],
) -> ReturnPlan:
    """The accepted return, or ``InvalidReturn`` / ``ReturnWindowClosed`` naming the problem."""
    problems = Problems()
    if not isinstance(reason_code, str) or not reason_code.strip():
        problems.add("reason_code", f"is required: one of {', '.join(reason_codes)}")
        code = ""
    else:
        code = reason_code.strip()
        if code not in reason_codes:
            problems.add(
                "reason_code",
                f"unknown reason code {code!r}{did_you_mean(code, reason_codes)}; "
                f"use one of {', '.join(reason_codes)}",
            )
    if reason_text is not None and not isinstance(reason_text, str):
        problems.add("reason_text", f"must be text, got {reason_text!r}")
    text = reason_text.strip() if isinstance(reason_text, str) else ""
    by_no = {line.line_no: line for line in shipped}
    by_sku: dict[str, list[ShippedLine]] = {}
    for line in shipped:
        by_sku.setdefault(line.sku, []).append(line)
    planned: list[ReturnLinePlan] = []
    if not isinstance(lines, list | tuple) or not lines:
        problems.add("lines", "name at least one line: [{line_no (or sku), quantity}]")
        lines = []
    seen: set[int] = set()
    for index, raw in enumerate(lines):
        loc: Loc = ("lines", index)
        if not isinstance(raw, Mapping):
            problems.add(loc, "must be an object with line_no (or sku) and quantity")
            continue
        for key in sorted(set(raw) - {"line_no", "sku", "quantity"}):
            problems.add((*loc, key), "unknown field: use line_no (or sku) and quantity")
        facts: ShippedLine | None = None
        if raw.get("line_no") is not None:
            line_no = raw["line_no"]
            if isinstance(line_no, bool) or not isinstance(line_no, int) or line_no not in by_no:
                known = ", ".join(str(n) for n in sorted(by_no)) or "none"
                problems.add((*loc, "line_no"), f"the order has no line {line_no!r} (its lines: {known})")
                continue
            facts = by_no[line_no]
        elif isinstance(raw.get("sku"), str):
            candidates = by_sku.get(raw["sku"], [])
            if len(candidates) != 1:
                why = "is not in the order" if not candidates else "is on several lines; name the line_no"
                problems.add((*loc, "sku"), f"SKU {raw['sku']!r} {why}")
                continue
            facts = candidates[0]
        else:
            problems.add((*loc, "line_no"), "is required (or name the sku)")
            continue
        if facts.line_no in seen:
            problems.add(loc, f"line {facts.line_no} is named twice; name each line once")
            continue
        seen.add(facts.line_no)
        quantity = raw.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            problems.add((*loc, "quantity"), f"must be a whole number above 0, got {quantity!r}")
            continue
        if facts.shipped == 0:
            problems.add(
                loc, f"line {facts.line_no} ({facts.sku}) was never shipped, so it cannot be returned"
            )
            continue
        left = facts.shipped - facts.returned
        if quantity > left:
            problems.add(
                (*loc, "quantity"),
                f"only {left} unit(s) of line {facts.line_no} ({facts.sku}) were shipped and not already "
                f"returned ({facts.shipped} shipped, {facts.returned} in other returns); "
                f"asked for {quantity}",
            )
            continue
        planned.append(ReturnLinePlan(facts.line_no, facts.sku, quantity, facts.unit_price))
    problems.raise_if_any(InvalidReturn, "The return request is not valid")
    if window_starts is not None:
        closes = window_starts + timedelta(days=settings.window_days)
        if now > closes:
            raise ReturnWindowClosed(
                f"The return window of {settings.window_days} days closed on {closes.date().isoformat()} "
                f"(delivered {window_starts.date().isoformat()})",
                errors=[
                    {
                        "loc": ["order_id"],
                        "path": "order_id",
                        "msg": f"outside the {settings.window_days}-day return window",
                    }
                ],
                closed_at=closes.isoformat(),
            )
    value = sum((line.value for line in planned), Money.zero(currency))
    return ReturnPlan(tuple(planned), code, text, value)


@dataclass(frozen=True, slots=True)
class LineInspection:
    line_no: int
    disposition: Disposition
    resolution: Resolution
    note: str = ""


def read_inspection(data: Mapping[str, Any], line_nos: Sequence[int]) -> tuple[LineInspection, ...]:
    """The receive-and-inspect form: ``{"lines": [{line_no, disposition, resolution, note}]}``.

    Every line of the return must be inspected exactly once."""
    problems = Problems()
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidReturn(
            "Inspect every line of the return: lines: [{line_no, disposition, resolution}]",
            errors=[{"loc": ["lines"], "path": "lines", "msg": "is required"}],
        )
    found: dict[int, LineInspection] = {}
    dispositions = [d.value for d in Disposition]
    resolutions = [r.value for r in Resolution]
    for index, raw in enumerate(raw_lines):
        loc: Loc = ("lines", index)
        if not isinstance(raw, Mapping):
            problems.add(loc, "must be an object with line_no, disposition and resolution")
            continue
        entry = Entry(raw, loc, problems, frozenset({"line_no", "disposition", "resolution", "note"}))
        line_no = entry.integer("line_no", minimum=1)
        disposition = entry.text("disposition")
        resolution = entry.text("resolution", required=False, default=Resolution.NONE.value)
        note = entry.text("note", required=False)
        if disposition and disposition not in dispositions:
            entry.add("disposition", f"must be one of {', '.join(dispositions)}, got {disposition!r}")
        if resolution not in resolutions:
            entry.add("resolution", f"must be one of {', '.join(resolutions)}, got {resolution!r}")
        if line_no is not None and line_no not in line_nos:
            entry.add(
                "line_no",
                f"line {line_no} is not part of this return (its lines: "
                f"{', '.join(str(n) for n in line_nos)})",
            )
        elif line_no is not None and line_no in found:
            entry.add("line_no", f"line {line_no} is inspected twice")
        if entry.clean and line_no is not None:
            found[line_no] = LineInspection(line_no, Disposition(disposition), Resolution(resolution), note)
    missing = [n for n in line_nos if n not in found]
    if missing and not problems:
        problems.add("lines", f"line(s) {', '.join(str(n) for n in missing)} of the return are not inspected")
    problems.raise_if_any(InvalidReturn, "The inspection is not valid")
    return tuple(found[n] for n in line_nos)


# --- configuration --------------------------------------------------------------------------------

RETURN_FIELDS = frozenset({"window_days", "auto_approve_below", "parcel_wait_days", "warehouse"})
CARRIER_EXCEPTION_FIELDS = frozenset({"lost_codes", "damaged_codes"})


def _amount(entry: Entry, key: str, default: Decimal | None) -> Decimal | None:
    if key not in entry.data:
        return default
    value = entry.data[key]
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidOperation
        amount = Decimal(str(value).strip())
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except InvalidOperation:
        entry.add(key, f"must be an amount of at least 0 such as '50.00' (or null), got {value!r}")
        return default
    return amount


def read_return_settings(
    data: Any, loc: Loc = ("returns",), problems: Problems | None = None
) -> ReturnSettings:
    own = problems is None
    problems = problems if problems is not None else Problems()
    entry = Entry(data if data is not None else {}, loc, problems, RETURN_FIELDS)
    default = ReturnSettings()
    window = entry.integer("window_days", default=default.window_days, minimum=0)
    auto = _amount(entry, "auto_approve_below", default.auto_approve_below)
    wait = entry.integer("parcel_wait_days", default=default.parcel_wait_days, minimum=1)
    warehouse = entry.text("warehouse", required=False) or None
    if own and problems:
        raise_problems(InvalidConfigDocument, "The returns settings are not valid", problems.items)
    return ReturnSettings(
        window if window is not None else default.window_days,
        auto,
        wait if wait is not None else default.parcel_wait_days,
        warehouse,
    )


@dataclass(frozen=True, slots=True)
class CarrierExceptionSettings:
    """Tracking ``exception`` events whose ``details.code`` names a lost or damaged parcel."""

    lost_codes: tuple[str, ...] = ("lost", "missing", "not_found")
    damaged_codes: tuple[str, ...] = ("damaged", "broken", "crushed")
    extra: Mapping[str, Any] = field(default_factory=dict)

    def kind_of(self, code: str | None) -> str:
        normalised = (code or "").strip().lower()
        if normalised in self.lost_codes:
            return "lost"
        if normalised in self.damaged_codes:
            return "damaged"
        return "exception"

    def as_mapping(self) -> dict[str, Any]:
        return {"lost_codes": list(self.lost_codes), "damaged_codes": list(self.damaged_codes)}


def read_carrier_exception_settings(
    data: Any, loc: Loc = ("carrier_exceptions",), problems: Problems | None = None
) -> CarrierExceptionSettings:
    own = problems is None
    problems = problems if problems is not None else Problems()
    entry = Entry(data if data is not None else {}, loc, problems, CARRIER_EXCEPTION_FIELDS)
    default = CarrierExceptionSettings()
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("lost_codes", "damaged_codes"):
        values: list[str] = []
        for index, raw in enumerate(entry.items(key)):
            if not isinstance(raw, str) or not raw.strip():
                entry.add((key, index), f"must be a tracking exception code such as 'lost', got {raw!r}")
            else:
                values.append(raw.strip().lower())
        lists[key] = tuple(values) if key in entry.data else getattr(default, key)
    overlap = set(lists["lost_codes"]) & set(lists["damaged_codes"])
    if overlap:
        entry.add("damaged_codes", f"{sorted(overlap)} are also lost codes; a code means one thing")
    if own and problems:
        raise_problems(InvalidConfigDocument, "The carrier exception settings are not valid", problems.items)
    return CarrierExceptionSettings(lists["lost_codes"], lists["damaged_codes"])
