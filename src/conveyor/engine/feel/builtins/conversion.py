"""Conversion functions: ``string``, ``number``, ``date``, ``time``, ``date and time``, durations."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from conveyor.engine.feel import temporal
from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.text import to_feel_string
from conveyor.engine.feel.values import YearsMonthsDuration, to_decimal

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@builtin("string", ("from",))
def string(value: Any) -> str | None:
    return to_feel_string(value)


@builtin("number", ("from", "grouping separator", "decimal separator"))
def number(text: Any, grouping: Any = None, decimal_sep: Any = None) -> Decimal | None:
    if grouping is None and decimal_sep is None and to_decimal(text) is not None:
        return to_decimal(text)
    if not isinstance(text, str):
        return None
    if grouping not in (None, " ", ",", ".") or decimal_sep not in (None, ",", "."):
        return None
    if grouping is not None and grouping == decimal_sep:
        return None
    if grouping:
        text = text.replace(grouping, "")
    if decimal_sep:
        text = text.replace(decimal_sep, ".")
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    number_value = to_decimal(value)
    if number_value is None or number_value != number_value.to_integral_value():
        return None
    return int(number_value)


@builtin("date", ("from",), ("year", "month", "day"))
def date(value: Any, month: Any = None, day: Any = None) -> dt.date | None:
    if month is not None or day is not None:
        parts = (_int(value), _int(month), _int(day))
        if None in parts:
            return None
        try:
            return dt.date(*parts)  # type: ignore[arg-type]
        except ValueError:
            return None
    if isinstance(value, str):
        return temporal.parse_date(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return None


@builtin("time", ("from",), ("hour", "minute", "second", "offset"))
def time(value: Any, minute: Any = None, second: Any = None, offset: Any = None) -> dt.time | None:
    if minute is not None:
        hour, whole_minute = _int(value), _int(minute)
        seconds = to_decimal(second)
        if hour is None or whole_minute is None or seconds is None:
            return None
        zone = None
        if isinstance(offset, dt.timedelta):
            try:
                zone = dt.timezone(offset)
            except ValueError:
                return None
        elif offset is not None:
            return None
        micro = int((seconds - int(seconds)) * 1_000_000)
        try:
            return dt.time(hour, whole_minute, int(seconds), micro, tzinfo=zone)
        except ValueError:
            return None
    if isinstance(value, str):
        return temporal.parse_time(value)
    if isinstance(value, dt.datetime):
        return value.timetz()
    if isinstance(value, dt.date):
        return dt.time(0, 0, tzinfo=dt.UTC)
    if isinstance(value, dt.time):
        return value
    return None


@builtin("date and time", ("from",), ("date", "time"))
def date_and_time(value: Any, clock: Any = None) -> dt.datetime | None:
    if clock is not None:
        if not isinstance(value, dt.date) or not isinstance(clock, dt.time):
            return None
        day = value.date() if isinstance(value, dt.datetime) else value
        return dt.datetime.combine(day, clock)
    if isinstance(value, str):
        return temporal.parse_date_and_time(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return None


@builtin("duration", ("from",))
def duration(value: Any) -> dt.timedelta | YearsMonthsDuration | None:
    return temporal.parse_duration(value) if isinstance(value, str) else None


@builtin("years and months duration", ("from", "to"))
def years_and_months_duration(start: Any, end: Any) -> YearsMonthsDuration | None:
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    start_rest = (start.day, start.time() if isinstance(start, dt.datetime) else dt.time())
    end_rest = (end.day, end.time() if isinstance(end, dt.datetime) else dt.time())
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return YearsMonthsDuration(months)
