"""FEEL's value model mapped onto Python types, and the number context.

FEEL numbers are ``decimal.Decimal`` computed with 34 significant digits
(IEEE 754 decimal128, as DMN requires); ints and floats coming from process
variables are accepted as numbers (a float is converted through its ``str`` so
``0.1`` stays ``0.1``). Days-and-time durations are ``timedelta``;
years-and-months durations are ``YearsMonthsDuration`` because Python has no
calendar-month duration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

#: The arithmetic context of every FEEL number operation (decimal128 precision).
NUMBER_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN, Emin=-6143, Emax=6144)


@dataclass(frozen=True, slots=True, order=True)
class YearsMonthsDuration:
    """A FEEL years-and-months duration (``P1Y2M``), held as a whole number of months."""

    months: int

    @property
    def years(self) -> int:
        return int(self.months / 12)

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        if not years and not months:
            return "P0M"
        return sign + "P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range such as ``[1..10]`` or ``]a..b[``; a ``None`` end is unbounded."""

    start: Any
    end: Any
    start_included: bool = True
    end_included: bool = True


class FeelFunction:
    """A function value: defined in FEEL (``function(a, b) a + b``), or by the engine for a model
    element FEEL may call (a DMN business knowledge model). Expressions call only these and the
    built-ins, never an arbitrary Python callable found in the variables."""

    __slots__ = ("call", "params")

    def __init__(self, params: tuple[str, ...], call: Callable[..., Any]) -> None:
        self.params = params
        self.call = call

    def __call__(self, *args: Any) -> Any:
        return self.call(*args)


#: Kind of each Python type FEEL knows; anything missing is not a FEEL value.
KINDS: dict[type, str] = {
    int: "number",
    float: "number",
    Decimal: "number",
    str: "string",
    bool: "boolean",
    dt.date: "date",
    dt.datetime: "date and time",
    dt.time: "time",
    dt.timedelta: "days and time duration",
    YearsMonthsDuration: "years and months duration",
    list: "list",
    tuple: "list",
    dict: "context",
    Range: "range",
    FeelFunction: "function",
    type(None): "null",
}


def kind(value: Any) -> str:
    """The FEEL type name of ``value`` (``"context"`` for any mapping, ``"function"`` for callables)."""
    found = KINDS.get(type(value))
    if found is not None:
        return found
    if isinstance(value, dict):
        return "context"
    if isinstance(value, (list, tuple)):
        return "list"
    if callable(value):
        return "function"
    return "unknown"


def to_decimal(value: Any) -> Decimal | None:
    """``value`` as a Decimal if it is a FEEL number, else None."""
    cls = type(value)
    if cls is Decimal:
        return value  # type: ignore[no-any-return]
    if cls is int:
        return Decimal(value)
    if cls is float:
        return Decimal(str(value))
    return None


def is_number(value: Any) -> bool:
    cls = type(value)
    return cls is Decimal or cls is int or cls is float
