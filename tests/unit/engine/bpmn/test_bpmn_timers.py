"""ISO 8601 timer values, read the same way at deploy (checks) and at run time (due dates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conveyor.engine.bpmn.model import TimerKind
from conveyor.engine.bpmn.timers import check_timer, parse_cycle, parse_date, parse_duration


def test_durations_with_days_hours_and_fractional_seconds() -> None:
    assert parse_duration("P1DT2H30M").delta == timedelta(days=1, hours=2, minutes=30)
    assert parse_duration("PT0.5S").delta == timedelta(milliseconds=500)
    assert parse_duration("P2W").delta == timedelta(weeks=2)


def test_calendar_months_are_added_to_dates_clipping_the_day() -> None:
    start = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert parse_duration("P1M").add_to(start) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert parse_duration("P1Y2M1D").add_to(start) == datetime(2027, 4, 1, 9, 0, tzinfo=UTC)


def test_dates_with_zulu_or_offset() -> None:
    assert parse_date("2026-03-01T09:00:00Z") == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert parse_date("2026-03-01T10:00:00+01:00").astimezone(UTC).hour == 9


def test_cycles_with_count_start_or_end_and_cron() -> None:
    three = parse_cycle("R3/PT10M")
    assert three.repetitions == 3 and three.interval is not None
    assert three.interval.delta == timedelta(minutes=10)
    assert parse_cycle("R/PT1H").repetitions is None
    started = parse_cycle("R2/2026-01-01T00:00:00Z/P1D")
    assert started.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_cycle("0 0 9 * * MON-FRI").cron == "0 0 9 * * MON-FRI"


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (TimerKind.DURATION, "5 minutes"),
        (TimerKind.DURATION, "P"),
        (TimerKind.DURATION, "PT"),
        (TimerKind.DATE, "tomorrow"),
        (TimerKind.CYCLE, "every day"),
        (TimerKind.CYCLE, "Rx/PT1M"),
    ],
)
def test_values_that_are_not_iso_8601_are_explained(kind: TimerKind, text: str) -> None:
    problem = check_timer(kind, text)
    assert problem is not None and repr(text) in problem


def test_valid_values_pass_the_check() -> None:
    assert check_timer(TimerKind.DURATION, "PT15M") is None
    assert check_timer(TimerKind.DATE, "2026-03-01") is None
    assert check_timer(TimerKind.CYCLE, "R6/P1D") is None
