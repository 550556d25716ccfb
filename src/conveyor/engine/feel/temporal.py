"""Reading and writing FEEL dates, times, date-times and durations (ISO 8601 forms).

A time or date-time with an offset (``+01:00``, ``Z``) or a zone id
(``@Europe/Paris``) is timezone-aware; without one it is local (naive), as FEEL
specifies. Strings that do not match give ``None`` (FEEL null), not an error.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from conveyor.engine.feel.values import YearsMonthsDuration

_DATE = re.compile(r"(-?\d{4,9})-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d|@[A-Za-z0-9_/+\-]+)?")
_DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def parse_date(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return dt.UTC
    if text.startswith("@"):
        try:
            return ZoneInfo(text[1:])
        except (ZoneInfoNotFoundError, ValueError):
            return None
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 14 or minutes > 59:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def parse_time(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    zone = _zone(match[5])
    if match[5] and zone is None:
        return None
    micro = int((match[4] or "0")[:6].ljust(6, "0"))
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour = 0
    try:
        return dt.time(hour, minute, second, micro, tzinfo=zone)
    except ValueError:
        return None


def parse_date_and_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else dt.datetime(day.year, day.month, day.day)
    day_text, time_text = text.split("T", 1)
    day, clock = parse_date(day_text), parse_time(time_text)
    if day is None or clock is None:
        return None
    if time_text.startswith("24:00:00"):
        day = day + dt.timedelta(days=1)
    return dt.datetime.combine(day, clock)


def parse_duration(text: str) -> dt.timedelta | YearsMonthsDuration | None:
    """``P1Y2M`` -> YearsMonthsDuration; ``P1DT2H`` -> timedelta; mixing both -> None."""
    text = text.strip()
    match = _DURATION.fullmatch(text)
    if not match or text.endswith(("P", "T")):
        return None
    sign = -1 if match[1] else 1
    years, months, weeks, days, hours, minutes = (int(g) if g else 0 for g in match.groups()[1:7])
    seconds = Decimal(match[8]) if match[8] else Decimal(0)
    has_ym = match[2] is not None or match[3] is not None
    has_dt = any(match[i] is not None for i in range(4, 9))
    if has_ym and has_dt:
        return None
    if has_ym:
        return YearsMonthsDuration(sign * (years * 12 + months))
    delta = dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=float(seconds))
    return -delta if sign < 0 else delta


def format_duration(value: dt.timedelta) -> str:
    if not value:
        return "PT0S"
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = sign + "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or value.microseconds:
        fraction = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        clock += f"{seconds}{fraction}S"
    return text + ("T" + clock if clock else "")


def _format_zone(value: dt.time | dt.datetime) -> str:
    zone = value.tzinfo
    if zone is None:
        return ""
    if isinstance(zone, ZoneInfo):
        return "@" + zone.key
    offset = value.utcoffset() if isinstance(value, dt.datetime) else zone.utcoffset(None)
    if offset is None:
        return ""
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _format_clock(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + _format_zone(value)


def format_temporal(value: Any) -> str:
    """The FEEL string form of a date, time or date and time."""
    if isinstance(value, dt.datetime):
        return f"{value.date().isoformat()}T{_format_clock(value)}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return _format_clock(value)
