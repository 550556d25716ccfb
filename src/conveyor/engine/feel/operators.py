"""FEEL's operators with its null semantics: a type mismatch or a null operand gives null.

Numbers are compared and computed as Decimal (floats via ``str``), with the
34-digit ``NUMBER_CONTEXT``; a division by zero or an overflow gives null.
Date and time arithmetic follows DMN: date + duration, date - date =
duration, duration * number and so on (see ``temporal_math``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal, DecimalException
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel import temporal_math as tm
from conveyor.engine.feel.limits import charge, check_size, remaining_steps
from conveyor.engine.feel.values import KINDS, NUMBER_CONTEXT, Range, YearsMonthsDuration, kind, to_decimal

_ORDERED = frozenset({"number", "string", "date", "date and time", "time", "days and time duration",
                      "years and months duration"})


def _pair(a: Any, b: Any) -> tuple[Any, Any] | None:
    """``(a, b)`` ready for Python's ordering, or None when FEEL cannot order them."""
    ka = KINDS.get(type(a))
    if ka is None or ka != KINDS.get(type(b)) or ka not in _ORDERED:
        return None
    if type(a) is float or type(b) is float:
        return to_decimal(a), to_decimal(b)
    return a, b


def less(a: Any, b: Any) -> bool | None:
    pair = _pair(a, b)
    if pair is None:
        return None
    try:
        return bool(pair[0] < pair[1])
    except TypeError:  # a naive and an aware date-time
        return None


def less_equal(a: Any, b: Any) -> bool | None:
    pair = _pair(a, b)
    if pair is None:
        return None
    try:
        return bool(pair[0] <= pair[1])
    except TypeError:
        return None


def greater(a: Any, b: Any) -> bool | None:
    return less(b, a)


def greater_equal(a: Any, b: Any) -> bool | None:
    return less_equal(b, a)


def equal(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types compare as null."""
    if a is None or b is None:
        return a is None and b is None
    ka, kb = kind(a), kind(b)
    if ka != kb:
        return None
    if ka == "list" or ka == "context":
        allowed = remaining_steps()
        budget = [allowed]
        try:
            return _equal_deep(a, b, ka, budget)
        finally:
            charge(allowed - budget[0])
    return _equal_scalar(a, b, ka)


def _equal_scalar(a: Any, b: Any, ka: str) -> bool | None:
    if ka == "number":
        return to_decimal(a) == to_decimal(b)
    if ka in ("date and time", "time") and (a.tzinfo is None) != (b.tzinfo is None):
        return False
    return bool(a == b)


def _equal_deep(a: Any, b: Any, ka: str, budget: list[int]) -> bool | None:
    """Lists and contexts item by item, counting the items compared: values that share parts
    (``[p, p]`` nested) can be far larger than they look, so the comparison is bounded."""
    if a is b:
        return True
    budget[0] -= 1
    if budget[0] < 0:
        raise ExpressionLimitExceeded("comparing these values exceeds the evaluation's step budget")
    pairs: Iterable[tuple[Any, Any]]
    if ka == "list":
        if len(a) != len(b):
            return False
        pairs = zip(a, b, strict=True)
    else:
        if a.keys() != b.keys():
            return False
        pairs = ((x, b[key]) for key, x in a.items())
    for x, y in pairs:
        if x is None or y is None:
            same: bool | None = x is None and y is None
        else:
            kx, ky = kind(x), kind(y)
            if kx != ky:
                return None
            same = _equal_deep(x, y, kx, budget) if kx in ("list", "context") else _equal_scalar(x, y, kx)
        if same is not True:
            return same
    return True


def not_equal(a: Any, b: Any) -> bool | None:
    same = equal(a, b)
    return None if same is None else not same


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is Decimal and tb is Decimal:
        return _number(NUMBER_CONTEXT.add, a, b)
    x, y = to_decimal(a), to_decimal(b)
    if x is not None and y is not None:
        return _number(NUMBER_CONTEXT.add, x, y)
    if ta is str and tb is str:
        return check_size(a + b)
    return tm.add(a, b)


def subtract(a: Any, b: Any) -> Any:
    x, y = to_decimal(a), to_decimal(b)
    if x is not None and y is not None:
        return _number(NUMBER_CONTEXT.subtract, x, y)
    return tm.subtract(a, b)


def multiply(a: Any, b: Any) -> Any:
    x, y = to_decimal(a), to_decimal(b)
    if x is not None and y is not None:
        return _number(NUMBER_CONTEXT.multiply, x, y)
    return tm.multiply(a, b)


def divide(a: Any, b: Any) -> Any:
    x, y = to_decimal(a), to_decimal(b)
    if x is not None and y is not None:
        if not y:
            return None
        return _number(NUMBER_CONTEXT.divide, x, y)
    return tm.divide(a, b)


def power(a: Any, b: Any) -> Any:
    x, y = to_decimal(a), to_decimal(b)
    if x is None or y is None:
        return None
    return _number(NUMBER_CONTEXT.power, x, y)


def negate(a: Any) -> Any:
    x = to_decimal(a)
    if x is not None:
        return NUMBER_CONTEXT.minus(x)
    if isinstance(a, dt.timedelta):
        return -a
    if isinstance(a, YearsMonthsDuration):
        return YearsMonthsDuration(-a.months)
    return None


def _number(operation: Callable[[Decimal, Decimal], Decimal], x: Decimal, y: Decimal) -> Decimal | None:
    try:
        result = operation(x, y)
    except DecimalException:
        return None
    return result if result.is_finite() else None


def in_range(value: Any, span: Range) -> bool | None:
    """Whether ``value`` lies in ``span``, with null when the types do not compare."""
    low: bool | None = True
    high: bool | None = True
    if span.start is not None:
        low = less_equal(span.start, value) if span.start_included else less(span.start, value)
    if span.end is not None:
        high = less_equal(value, span.end) if span.end_included else less(value, span.end)
    return both(low, high)


def both(a: Any, b: Any) -> bool | None:
    """FEEL ``and``: false wins, then null; non-booleans count as null."""
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def either(a: Any, b: Any) -> bool | None:
    """FEEL ``or``: true wins, then null; non-booleans count as null."""
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def negation(a: Any) -> bool | None:
    """FEEL ``not(x)``: null for non-booleans."""
    if a is True:
        return False
    if a is False:
        return True
    return None


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": add, "-": subtract, "*": multiply, "/": divide, "**": power,
    "=": equal, "!=": not_equal, "<": less, "<=": less_equal, ">": greater, ">=": greater_equal,
}
