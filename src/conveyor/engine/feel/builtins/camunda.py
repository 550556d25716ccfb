"""Functions Camunda 8 (Zeebe) FEEL adds that order models use: ``trim``, ``is blank``,
``extract``, ``duplicate values``, ``partition``, ``list replace``, ``last day of month``."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel.builtins.lists import contains_equal, identity
from conveyor.engine.feel.builtins.regex import compile_pattern, usable_input
from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.operators import equal
from conveyor.engine.feel.values import FeelFunction, to_decimal


@builtin("trim", ("string",))
def trim(text: Any) -> str | None:
    return text.strip() if isinstance(text, str) else None


@builtin("is blank", ("string",))
def is_blank(text: Any) -> bool | None:
    return not text.strip() if isinstance(text, str) else None


@builtin("extract", ("string", "pattern"))
def extract(text: Any, pattern: Any) -> list[str] | None:
    if not isinstance(text, str) or not isinstance(pattern, str) or not usable_input(text):
        return None
    compiled = compile_pattern(pattern)
    return None if compiled is None else [match.group(0) for match in compiled.finditer(text)]


@builtin("duplicate values", ("list",))
def duplicate_values(items: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    seen: set[Any] = set()
    reported: set[Any] = set()
    seen_others: list[Any] = []  # lists and contexts, compared by FEEL equality
    reported_others: list[Any] = []
    duplicates: list[Any] = []
    for item in items:
        key = identity(item)
        if key is not None:
            if key in seen and key not in reported:
                reported.add(key)
                duplicates.append(item)
            seen.add(key)
        elif contains_equal(seen_others, item):
            if not contains_equal(reported_others, item):
                reported_others.append(item)
                duplicates.append(item)
        else:
            if len(seen_others) > 2_000:
                raise ExpressionLimitExceeded("duplicate values over more than 2000 lists or contexts")
            seen_others.append(item)
    return duplicates


@builtin("partition", ("list", "size"))
def partition(items: Any, size: Any) -> list[list[Any]] | None:
    count = to_decimal(size)
    if not isinstance(items, list) or count is None or count < 1 or count != count.to_integral_value():
        return None
    step = int(count)
    return [items[i : i + step] for i in range(0, len(items), step)]


@builtin("list replace", ("list", "position", "newItem"), ("list", "match", "newItem"))
def list_replace(items: Any, where: Any, value: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    if isinstance(where, FeelFunction):
        return [value if where(item, value) is True else item for item in items]
    position = to_decimal(where)
    if position is None or position != position.to_integral_value() or not position:
        return None
    index = int(position) - 1 if position > 0 else len(items) + int(position)
    if not 0 <= index < len(items):
        return None
    return [*items[:index], value, *items[index + 1 :]]


@builtin("last day of month", ("date",))
def last_day_of_month(value: Any) -> dt.date | None:
    if not isinstance(value, dt.date):
        return None
    day = calendar.monthrange(value.year, value.month)[1]
    return dt.date(value.year, value.month, day)


@builtin("is", ("value1", "value2"))
def same(a: Any, b: Any) -> bool:
    """DMN 1.4 ``is``: same type and value (a date is not a date and time at midnight)."""
    if type(a) is not type(b) and not (to_decimal(a) is not None and to_decimal(b) is not None):
        return False
    if isinstance(a, (dt.time, dt.datetime)) and (a.tzinfo is None) != (b.tzinfo is None):
        return False
    return equal(a, b) is True


