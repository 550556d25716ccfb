"""When a timer is due: ISO 8601 dates, durations, repeating cycles and cron cycles, from ``now``.

The runtime has no clock: ``now`` is whatever the caller says, so a simulated
clock (``conveyor bpmn run``) and a replay give the same due dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conveyor.engine.bpmn.cron import parse_cron
from conveyor.engine.bpmn.model import TimerKind
from conveyor.engine.bpmn.timers import Duration, parse_cycle, parse_date, parse_duration
from conveyor.engine.feel.values import YearsMonthsDuration
from conveyor.engine.runtime.core import Stuck


def _aware(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None and now.tzinfo is not None:
        return moment.replace(tzinfo=now.tzinfo)
    return moment


def _as_date(value: Any, now: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return _aware(value, now)
    if isinstance(value, dt.date):
        return _aware(dt.datetime(value.year, value.month, value.day), now)
    return _aware(parse_date(str(value)), now)


def _add(value: Any, moment: dt.datetime) -> dt.datetime:
    if isinstance(value, dt.timedelta):
        return moment + value
    if isinstance(value, YearsMonthsDuration):
        return Duration(months=value.months).add_to(moment)
    return parse_duration(str(value)).add_to(moment)


def first_due(kind: TimerKind | None, value: Any, now: dt.datetime) -> tuple[dt.datetime, dict[str, Any]]:
    """The first due date and, for a cycle, ``{"cyc": interval, "r": repetitions left}``."""
    try:
        if kind is TimerKind.DATE:
            return _as_date(value, now), {}
        if kind is TimerKind.CYCLE and not isinstance(value, dt.timedelta | YearsMonthsDuration):
            cycle = parse_cycle(str(value))
            if cycle.cron is not None:
                following = parse_cron(cycle.cron).next_after(now)
                if following is None:
                    raise Stuck(f"timer cycle {value!r} has no firing after {now.isoformat()}")
                return following, {"cron": cycle.cron, "r": -1}
            if cycle.interval is None:
                raise Stuck(f"timer cycle {value!r} has no interval")
            start = _aware(cycle.start, now) if cycle.start else None
            interval = str(value).split("/")[-1] if cycle.end is None else str(value).split("/")[1]
            due = start if start is not None else cycle.interval.add_to(now)
            left = -1 if cycle.repetitions is None else cycle.repetitions - 1
            data: dict[str, Any] = {"cyc": interval, "r": left}
            if cycle.end is not None:
                data["end"] = _aware(cycle.end, now).isoformat()
            return due, data
        return _add(value, now), {}
    except ValueError as err:
        raise Stuck(f"timer value {value!r}: {err}") from err


def next_due(
    due: dt.datetime, data: dict[str, Any], *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dict[str, Any]] | None:
    """The next firing of a cycle after ``due``, or None when it has no repetitions left.

    A cron cycle fires next at its first time after the later of ``due`` and ``now``:
    firings missed while nothing ran (a worker was down) are skipped, not replayed.
    """
    if "cron" in data:
        after = due if now is None or now < due else now
        following = parse_cron(data["cron"]).next_after(after)
        return None if following is None else (following, data)
    left = data.get("r", 0)
    if "cyc" not in data or left == 0:
        return None
    following = parse_duration(data["cyc"]).add_to(due)
    if "end" in data and following > dt.datetime.fromisoformat(data["end"]):
        return None
    return following, {**data, "r": left - 1 if left > 0 else -1}
