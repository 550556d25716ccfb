"""Members reachable with a path (``x.y``): context entries, and the properties DMN gives
dates, times, durations and ranges. Nothing else: no attribute access on Python objects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from conveyor.engine.feel.values import Range, YearsMonthsDuration


def _offset(value: dt.time | dt.datetime) -> dt.timedelta | None:
    if value.tzinfo is None:
        return None
    return value.utcoffset() if isinstance(value, dt.datetime) else value.tzinfo.utcoffset(None)


def _zone_name(value: dt.time | dt.datetime) -> str | None:
    zone = value.tzinfo
    return getattr(zone, "key", None) if zone is not None else None


def _seconds(value: dt.time | dt.datetime) -> Decimal:
    return Decimal(value.second) + Decimal(value.microsecond) / Decimal(1_000_000)


def member(value: Any, name: str) -> Any:
    """``value.name`` with FEEL semantics: null when there is no such member."""
    if isinstance(value, Mapping):
        return value.get(name)
    if isinstance(value, list):
        return [member(item, name) for item in value]
    if isinstance(value, dt.datetime):
        return _DATETIME.get(name, _none)(value)
    if isinstance(value, dt.date):
        return _DATE.get(name, _none)(value)
    if isinstance(value, dt.time):
        return _TIME.get(name, _none)(value)
    if isinstance(value, dt.timedelta):
        return _DAYS_TIME.get(name, _none)(value)
    if isinstance(value, YearsMonthsDuration):
        if name == "years":
            return Decimal(value.years)
        if name == "months":
            return Decimal(value.months - value.years * 12)
        return None
    if isinstance(value, Range):
        return {"start": value.start, "end": value.end, "start included": value.start_included,
                "end included": value.end_included}.get(name)
    return None


def _none(_: Any) -> None:
    return None


_DATE: dict[str, Any] = {
    "year": lambda d: Decimal(d.year),
    "month": lambda d: Decimal(d.month),
    "day": lambda d: Decimal(d.day),
    "weekday": lambda d: Decimal(d.isoweekday()),
}
_TIME: dict[str, Any] = {
    "hour": lambda t: Decimal(t.hour),
    "minute": lambda t: Decimal(t.minute),
    "second": _seconds,
    "time offset": _offset,
    "timezone": _zone_name,
}
_DATETIME: dict[str, Any] = {**_DATE, **_TIME}


def _total(delta: dt.timedelta) -> tuple[int, int]:
    micros = abs(delta) // dt.timedelta(microseconds=1)
    return (-1 if delta < dt.timedelta(0) else 1), micros


def _part(delta: dt.timedelta, unit: int, modulo: int | None) -> Decimal:
    sign, micros = _total(delta)
    whole = micros // unit
    return Decimal(sign * (whole % modulo if modulo else whole))


_DAYS_TIME: dict[str, Any] = {
    "days": lambda d: _part(d, 86_400_000_000, None),
    "hours": lambda d: _part(d, 3_600_000_000, 24),
    "minutes": lambda d: _part(d, 60_000_000, 60),
    "seconds": lambda d: _part(d, 1_000_000, 60),
}
