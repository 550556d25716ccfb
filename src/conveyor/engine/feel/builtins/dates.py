"""Date functions: ``day of week``, ``month of year``, ``day of year``, ``week of year``,
``now``, ``today``. ``now()`` is timezone-aware UTC."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from conveyor.engine.feel.builtins.registry import builtin


@builtin("day of week", ("date",), singletons=True)
def day_of_week(value: Any) -> str | None:
    return calendar.day_name[value.weekday()] if isinstance(value, dt.date) else None


@builtin("month of year", ("date",), singletons=True)
def month_of_year(value: Any) -> str | None:
    return calendar.month_name[value.month] if isinstance(value, dt.date) else None


@builtin("day of year", ("date",), singletons=True)
def day_of_year(value: Any) -> Decimal | None:
    return Decimal(value.timetuple().tm_yday) if isinstance(value, dt.date) else None


@builtin("week of year", ("date",), singletons=True)
def week_of_year(value: Any) -> Decimal | None:
    return Decimal(value.isocalendar()[1]) if isinstance(value, dt.date) else None


@builtin("now")
def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@builtin("today")
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
