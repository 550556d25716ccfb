"""Number functions: ``decimal``, ``floor``, ``ceiling``, the ``round ...`` family, ``abs``,
``modulo``, ``sqrt``, ``log``, ``exp``, ``odd``, ``even``."""

from __future__ import annotations

import datetime as dt
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.values import NUMBER_CONTEXT, YearsMonthsDuration, to_decimal


def _scale(value: Any) -> int | None:
    scale = to_decimal(value) if value is not None else Decimal(0)
    if scale is None or scale != scale.to_integral_value() or not -6111 <= scale <= 6176:
        return None
    return int(scale)


def _round(value: Any, scale: Any, mode: str) -> Decimal | None:
    number, places = to_decimal(value), _scale(scale)
    if number is None or places is None:
        return None
    return number.quantize(Decimal(1).scaleb(-places), rounding=mode, context=NUMBER_CONTEXT)


@builtin("decimal", ("n", "scale"), singletons=True)
def decimal(value: Any, scale: Any) -> Decimal | None:
    return _round(value, scale, ROUND_HALF_EVEN)


@builtin("round up", ("n", "scale"), singletons=True)
def round_up(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_UP)


@builtin("round down", ("n", "scale"), singletons=True)
def round_down(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_DOWN)


@builtin("round half up", ("n", "scale"), singletons=True)
def round_half_up(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_HALF_UP)


@builtin("round half down", ("n", "scale"), singletons=True)
def round_half_down(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_HALF_DOWN)


@builtin("floor", ("n", "scale"), singletons=True)
def floor(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_FLOOR)


@builtin("ceiling", ("n", "scale"), singletons=True)
def ceiling(value: Any, scale: Any = 0) -> Decimal | None:
    return _round(value, scale, ROUND_CEILING)


@builtin("abs", ("n",), singletons=True)
def absolute(value: Any) -> Any:
    number = to_decimal(value)
    if number is not None:
        return abs(number)
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, YearsMonthsDuration):
        return YearsMonthsDuration(abs(value.months))
    return None


@builtin("modulo", ("dividend", "divisor"), singletons=True)
def modulo(dividend: Any, divisor: Any) -> Decimal | None:
    a, b = to_decimal(dividend), to_decimal(divisor)
    if a is None or b is None or not b:
        return None
    # FEEL: dividend - divisor * floor(dividend / divisor); the result has the divisor's sign.
    quotient = NUMBER_CONTEXT.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)
    return NUMBER_CONTEXT.subtract(a, NUMBER_CONTEXT.multiply(b, quotient))


@builtin("sqrt", ("number",), singletons=True)
def sqrt(value: Any) -> Decimal | None:
    number = to_decimal(value)
    if number is None or number < 0:
        return None
    return NUMBER_CONTEXT.sqrt(number)


@builtin("log", ("number",), singletons=True)
def log(value: Any) -> Decimal | None:
    number = to_decimal(value)
    if number is None or number <= 0:
        return None
    return NUMBER_CONTEXT.ln(number)


@builtin("exp", ("number",), singletons=True)
def exp(value: Any) -> Decimal | None:
    number = to_decimal(value)
    return None if number is None else NUMBER_CONTEXT.exp(number)


def _whole(value: Any) -> int | None:
    number = to_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


@builtin("odd", ("number",), singletons=True)
def odd(value: Any) -> bool | None:
    whole = _whole(value)
    return None if whole is None else whole % 2 == 1


@builtin("even", ("number",), singletons=True)
def even(value: Any) -> bool | None:
    whole = _whole(value)
    return None if whole is None else whole % 2 == 0
