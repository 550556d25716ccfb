"""Arithmetic on dates, times and durations, per DMN's tables (anything else gives null)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from conveyor.engine.feel.values import NUMBER_CONTEXT, YearsMonthsDuration, to_decimal

_DAY = dt.date(2000, 1, 3)


def add_months(value: dt.date, months: int) -> dt.date:
    """``value`` moved by whole months, clamping the day to the month's end (Jan 31 + 1M = Feb 29)."""
    total = value.year * 12 + value.month - 1 + months
    year, month = divmod(total, 12)
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _midnight(value: dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)


def add(a: Any, b: Any) -> Any:
    durations = (dt.timedelta, YearsMonthsDuration)
    if isinstance(a, durations) and not isinstance(b, durations):
        a, b = b, a
    try:
        if isinstance(b, dt.timedelta):
            if isinstance(a, dt.timedelta):
                return a + b
            if isinstance(a, dt.datetime):
                if a.tzinfo is not None:  # elapsed time, across daylight-saving changes
                    return (a.astimezone(dt.UTC) + b).astimezone(a.tzinfo)
                return a + b
            if isinstance(a, dt.date):
                return (_midnight(a) + b).date()
            if isinstance(a, dt.time):
                return (dt.datetime.combine(_DAY, a) + b).timetz()
        if isinstance(b, YearsMonthsDuration):
            if isinstance(a, YearsMonthsDuration):
                return YearsMonthsDuration(a.months + b.months)
            if isinstance(a, dt.date):
                return add_months(a, b.months)
    except (OverflowError, ValueError):
        return None
    return None


def subtract(a: Any, b: Any) -> Any:
    try:
        if isinstance(b, dt.timedelta):
            return add(a, -b) if not isinstance(a, YearsMonthsDuration) else None
        if isinstance(b, YearsMonthsDuration):
            return add(a, YearsMonthsDuration(-b.months)) if not isinstance(a, dt.timedelta) else None
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            x, y = _midnight(a), _midnight(b)
            # DMN: a date is midnight UTC when it meets a zoned date and time
            if x.tzinfo is None and y.tzinfo is not None and not isinstance(a, dt.datetime):
                x = x.replace(tzinfo=dt.UTC)
            if y.tzinfo is None and x.tzinfo is not None and not isinstance(b, dt.datetime):
                y = y.replace(tzinfo=dt.UTC)
            if (x.tzinfo is None) != (y.tzinfo is None):
                return None
            return x - y
        if isinstance(a, dt.time) and isinstance(b, dt.time):
            if (a.tzinfo is None) != (b.tzinfo is None):
                return None
            return dt.datetime.combine(_DAY, a) - dt.datetime.combine(_DAY, b)
    except (OverflowError, ValueError, TypeError):
        return None
    return None


def _scale(duration: Any, factor: Decimal) -> Any:
    if isinstance(duration, dt.timedelta):
        micros = Decimal(duration // dt.timedelta(microseconds=1))
        return dt.timedelta(microseconds=int(NUMBER_CONTEXT.multiply(micros, factor)))
    if isinstance(duration, YearsMonthsDuration):
        return YearsMonthsDuration(int(NUMBER_CONTEXT.multiply(Decimal(duration.months), factor)))
    return None


def multiply(a: Any, b: Any) -> Any:
    if to_decimal(a) is not None:
        a, b = b, a
    factor = to_decimal(b)
    if factor is None:
        return None
    try:
        return _scale(a, factor)
    except (OverflowError, ArithmeticError):
        return None


def divide(a: Any, b: Any) -> Any:
    divisor = to_decimal(b)
    try:
        if divisor is not None:
            return _scale(a, NUMBER_CONTEXT.divide(Decimal(1), divisor)) if divisor else None
        if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta) and b:
            return NUMBER_CONTEXT.divide(Decimal(a // dt.timedelta(microseconds=1)),
                                         Decimal(b // dt.timedelta(microseconds=1)))
        if isinstance(a, YearsMonthsDuration) and isinstance(b, YearsMonthsDuration) and b.months:
            return NUMBER_CONTEXT.divide(Decimal(a.months), Decimal(b.months))
    except (OverflowError, ArithmeticError):
        return None
    return None
