"""Cron expressions for timer cycles, as Camunda 7 (Quartz) and Camunda 8 (Spring) write them.

A ``timeCycle`` that is not an ISO 8601 repeating interval may be a cron
expression. Three shapes are read:

- 5 fields ``minute hour day-of-month month day-of-week`` (Unix; fires at second 0);
- 6 fields ``second minute hour day-of-month month day-of-week`` (Spring, Camunda 8:
  ``0 0 9 * * MON-FRI``);
- 7 fields, the 6 plus ``year`` (Quartz, Camunda 7: ``0 0/5 * * * ? *``).

Each field is ``*``, a value, a range ``a-b``, a step ``*/n``, ``a/n`` or ``a-b/n``, or
a comma-separated list of those. Months and days of the week may be named
(``JAN``-``DEC``, ``SUN``-``SAT``, any case). ``?`` means "any" and is allowed in the
two day fields only. The macros ``@yearly`` (``@annually``), ``@monthly``, ``@weekly``,
``@daily`` (``@midnight``) and ``@hourly`` stand for their usual expressions.

Days of the week as numbers: Quartz counts 1 = Sunday .. 7 = Saturday, Unix and
Spring 0 (or 7) = Sunday .. 6 = Saturday. An expression that uses ``?`` or has a
year field is Camunda 7/Quartz style and is read with Quartz numbers; any other
with Unix/Spring numbers. Names mean the same in both.

Day of month and day of week: when one of them is ``*`` or ``?`` the other decides;
when both are restricted a 5-field (Unix) expression fires on a day matching
either, a 6/7-field one on a day matching both.

Quartz's ``L``, ``W`` and ``#`` (last day, nearest weekday, n-th weekday) are
refused with a ``ValueError`` that says so, as is an expression that can never
fire (``0 0 30 2 *``). Times are computed in the time zone of the moment given
(the persisted runtime's clock is UTC).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MACROS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
#: years a cron may name (and the search horizon for the next firing)
FIRST_YEAR, LAST_YEAR = 1970, 2199


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression; ``next_after`` gives its firings."""

    text: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    #: 0 = Sunday .. 6 = Saturday, whatever numbering the text used
    weekdays: frozenset[int]
    years: frozenset[int] | None
    days_restricted: bool
    weekdays_restricted: bool
    #: both day fields restricted: True = a day matching either fires (Unix), False = both
    either_day: bool

    def _day_matches(self, day: dt.date) -> bool:
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week if self.either_day else in_month and in_week
        if self.days_restricted:
            return in_month
        if self.weekdays_restricted:
            return in_week
        return True

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first firing strictly after ``moment`` (same time zone), or None if there is none.

        Whole days, hours and minutes that cannot match are skipped at once, so this
        takes at most a few thousand steps even for an expression that fires once a
        year; firings after ``LAST_YEAR`` are not searched for.
        """
        tz = moment.tzinfo
        t = moment.replace(microsecond=0, tzinfo=None) + dt.timedelta(seconds=1)
        seconds, minutes, hours = sorted(self.seconds), sorted(self.minutes), sorted(self.hours)
        while t.year <= LAST_YEAR:
            if self.years is not None and t.year not in self.years:
                later = [y for y in self.years if y > t.year]
                if not later:
                    return None
                t = dt.datetime(min(later), 1, 1)
                continue
            if t.month not in self.months:
                t = _next_month(t)
                continue
            if not self._day_matches(t.date()):
                t = dt.datetime(t.year, t.month, t.day) + dt.timedelta(days=1)
                continue
            hour = _first_at_least(hours, t.hour)
            if hour is None:
                t = dt.datetime(t.year, t.month, t.day) + dt.timedelta(days=1)
                continue
            if hour != t.hour:
                t = t.replace(hour=hour, minute=0, second=0)
            minute = _first_at_least(minutes, t.minute)
            if minute is None:
                t = t.replace(minute=0, second=0) + dt.timedelta(hours=1)
                continue
            if minute != t.minute:
                t = t.replace(minute=minute, second=0)
            second = _first_at_least(seconds, t.second)
            if second is None:
                t = t.replace(second=0) + dt.timedelta(minutes=1)
                continue
            return t.replace(second=second, tzinfo=tz)
        return None


def _first_at_least(values: list[int], least: int) -> int | None:
    for value in values:
        if value >= least:
            return value
    return None


def _next_month(t: dt.datetime) -> dt.datetime:
    return dt.datetime(t.year + 1, 1, 1) if t.month == 12 else dt.datetime(t.year, t.month + 1, 1)


def looks_like_cron(text: str) -> bool:
    """Whether ``text`` has the shape of a cron expression (5-7 fields, or a macro)."""
    value = text.strip()
    return value.lower() in MACROS or 5 <= len(value.split()) <= 7


@functools.lru_cache(maxsize=256)
def parse_cron(text: str) -> Cron:
    """Read a cron expression; ``ValueError`` says which field is wrong and why."""
    source = text.strip()
    value = MACROS.get(source.lower(), source)
    fields = value.split()
    if not 5 <= len(fields) <= 7:
        raise ValueError(
            f"{text!r} is not a cron expression: it has {len(fields)} fields, a cron has 5 "
            "(minute hour day month weekday), 6 (second first) or 7 (year last)"
        )
    if len(fields) == 5:
        fields = ["0", *fields]
    quartz = len(fields) == 7 or "?" in value
    second, minute, hour, day, month, weekday = fields[:6]
    year = fields[6] if len(fields) == 7 else None
    for what, field in (("second", second), ("minute", minute), ("hour", hour), ("month", month)):
        if "?" in field:
            raise ValueError(f"{text!r}: '?' (the {what} field) is only allowed for day of month or week")
    days_any = day in ("*", "?")
    weekdays_any = weekday in ("*", "?")
    # Quartz numbers 1 = SUN .. 7 = SAT; Unix and Spring 0 (or 7) = SUN .. 6 = SAT
    numbered = _field(text, "day-of-week", weekday, 0, 7, DAYS, 1 if quartz else 0)
    weekdays = frozenset((w - 1) % 7 if quartz else w % 7 for w in numbered)
    cron = Cron(
        text=source,
        seconds=_field(text, "second", second, 0, 59),
        minutes=_field(text, "minute", minute, 0, 59),
        hours=_field(text, "hour", hour, 0, 23),
        days=_field(text, "day-of-month", day, 1, 31),
        months=_field(text, "month", month, 1, 12, MONTHS, 1),
        weekdays=weekdays,
        years=None
        if year is None or year in ("*", "?")
        else _field(text, "year", year, FIRST_YEAR, LAST_YEAR),
        days_restricted=not days_any,
        weekdays_restricted=not weekdays_any,
        either_day=len(value.split()) == 5,
    )
    if cron.next_after(dt.datetime(FIRST_YEAR, 1, 1)) is None:
        raise ValueError(f"{text!r} never fires (no date matches its day, month and year fields)")
    return cron


def _field(
    text: str, what: str, field: str, low: int, high: int, names: tuple[str, ...] = (), first: int = 0
) -> frozenset[int]:
    """The values one field allows. ``names[i]`` stands for ``first + i``."""
    if "#" in field or not _only_names(field, names):
        raise ValueError(
            f"{text!r}: the {what} field {field!r} uses L, W or # (last day, nearest weekday, "
            "n-th weekday of the month), which are not supported; list the days instead"
            if "#" in field or any(c in field.upper() for c in "LW")
            else f"{text!r}: the {what} field {field!r} has a name that is not "
            + (f"one of {names[0]}-{names[-1]}" if names else "allowed here (numbers only)")
        )
    top = high
    values: set[int] = set()
    for item in field.split(","):
        if not item:
            raise ValueError(f"{text!r}: the {what} field {field!r} has an empty list item")
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{text!r}: the step in {item!r} ({what}) must be a whole number above 0")
            step = int(step_text)
        if base in ("*", "?"):
            start, end = (first if what == "day-of-week" and first else low), top
            if what == "day-of-week" and first == 0:
                end = 6  # '*' is the week once; 7 is only Sunday's other name
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = (
                _value(text, what, a, low, top, names, first),
                _value(text, what, b, low, top, names, first),
            )
            if start > end:
                raise ValueError(f"{text!r}: the range {base!r} ({what}) runs backwards")
        else:
            start = _value(text, what, base, low, top, names, first)
            end = top if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _only_names(field: str, names: tuple[str, ...]) -> bool:
    """True when every letter run in ``field`` is one of ``names`` (so 'JUL' is not an 'L')."""
    word = ""
    for char in field.upper() + ",":
        if char.isalpha():
            word += char
            continue
        if word and word not in names:
            return False
        word = ""
    return True


def _value(text: str, what: str, token: str, low: int, high: int, names: tuple[str, ...], first: int) -> int:
    upper = token.upper()
    if upper in names:
        return names.index(upper) + first
    if not token.isdigit():
        known = f" or a name {names[0]}-{names[-1]}" if names else ""
        raise ValueError(f"{text!r}: {token!r} is not a valid {what} (a number {low}-{high}{known})")
    number = int(token)
    if what == "day-of-week":
        low = first
    if not low <= number <= high:
        raise ValueError(f"{text!r}: {what} {number} is out of range {low}-{high}")
    return number
