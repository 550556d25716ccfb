"""ISO 8601 timer values: checking them at deploy time and reading them at run time.

A timer constant that cannot be read would only fail when the token reaches it,
possibly days later; checking the syntax when the model is deployed turns that
into an error with the element's line. The same readers are exported for the
runtime, which computes due dates from them.

Accepted forms:
- ``timeDate``: an ISO 8601 date-time (``2026-03-01T09:00:00Z``), or a date.
- ``timeDuration``: ``PnYnMnWnDTnHnMnS`` (fractional seconds allowed: ``PT0.5S``).
- ``timeCycle``: ``R[n]/duration``, ``R[n]/start/duration``, ``R[n]/duration/end``
  or a cron expression (5 to 7 fields, Camunda 7 Quartz or Camunda 8 Spring style;
  see ``cron``), checked field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from conveyor.engine.bpmn.cron import looks_like_cron, parse_cron
from conveyor.engine.bpmn.model import TimerKind

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed ISO 8601 duration; years and months kept apart (their length depends on the date)."""

    years: int = 0
    months: int = 0
    delta: timedelta = timedelta()
    negative: bool = False

    def add_to(self, moment: datetime) -> datetime:
        """``moment`` plus this duration (calendar months; day clipped to the month's length)."""
        sign = -1 if self.negative else 1
        total_months = moment.month - 1 + sign * (self.years * 12 + self.months)
        year, month = moment.year + total_months // 12, total_months % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        return moment.replace(year=year, month=month, day=day) + sign * self.delta


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


@dataclass(frozen=True, slots=True)
class Cycle:
    """A repeating timer: ``repetitions`` (None = forever) of ``interval`` from ``start``/until ``end``."""

    repetitions: int | None
    interval: Duration | None = None
    start: datetime | None = None
    end: datetime | None = None
    cron: str | None = None


def parse_duration(text: str) -> Duration:
    """Read ``PnYnMnWnDTnHnMnS``; raise ``ValueError`` when it is not an ISO 8601 duration."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT5M or P1DT12H")
    parts = match.groupdict()
    seconds = float((parts["seconds"] or "0").replace(",", "."))
    delta = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=seconds,
    )
    return Duration(int(parts["years"] or 0), int(parts["months"] or 0), delta, bool(parts["sign"]))


def parse_date(text: str) -> datetime:
    """Read an ISO 8601 date-time or date; raise ``ValueError`` otherwise."""
    value = text.strip()
    if value.endswith(("z", "Z")):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError as err:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time such as 2026-03-01T09:00:00Z") from err


def parse_cycle(text: str) -> Cycle:
    """Read ``R[n]/[start/]duration[/end]`` or a cron expression; raise ``ValueError`` otherwise."""
    value = text.strip()
    if looks_like_cron(value):
        parse_cron(value)  # says which field is wrong
        return Cycle(repetitions=None, cron=value)
    if not value.upper().startswith("R"):
        raise ValueError(
            f"{text!r} is neither an ISO 8601 repeating interval (R3/PT10M) nor a cron expression"
            " (0 0 9 * * MON-FRI)"
        )
    parts = value.split("/")
    count = parts[0][1:]
    if count and not count.isdigit():
        raise ValueError(f"{text!r}: the repetition count after 'R' must be a number")
    repetitions = int(count) if count else None
    rest = parts[1:]
    if len(rest) == 1:
        return Cycle(repetitions, parse_duration(rest[0]))
    if len(rest) == 2:
        if rest[0].upper().startswith("P"):
            return Cycle(repetitions, parse_duration(rest[0]), end=parse_date(rest[1]))
        return Cycle(repetitions, parse_duration(rest[1]), start=parse_date(rest[0]))
    raise ValueError(f"{text!r} is not an ISO 8601 repeating interval such as R3/PT10M")


def check_timer(kind: TimerKind, text: str) -> str | None:
    """``None`` when ``text`` is a valid constant of this kind of timer, else what is wrong."""
    try:
        if kind is TimerKind.DATE:
            parse_date(text)
        elif kind is TimerKind.DURATION:
            parse_duration(text)
        else:
            parse_cycle(text)
    except ValueError as err:
        return str(err)
    return None


def repetitions_of(text: str) -> int | None:
    """The ``n`` of ``Rn/...`` (Camunda 7 ``failedJobRetryTimeCycle="R3/PT10M"`` = 3 retries)."""
    match = re.match(r"^\s*R(\d+)/", text)
    return int(match.group(1)) if match else None
