"""Dates, times, date-times and durations: literals, arithmetic, comparisons, properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from conveyor.engine.feel import YearsMonthsDuration, compile_expression, evaluate


def test_date_and_time_with_an_offset_is_timezone_aware():
    value = evaluate('date and time("2024-01-31T10:00:00+02:00")')
    assert value == dt.datetime(2024, 1, 31, 8, 0, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(hours=2)


def test_date_and_time_without_offset_is_local():
    assert evaluate('date and time("2024-01-31T10:00:00")').tzinfo is None


def test_zone_ids_are_kept():
    value = evaluate('@"2024-07-01T10:00:00@Europe/Paris"')
    assert value.tzinfo == ZoneInfo("Europe/Paris")
    assert evaluate("x.timezone", {"x": value}) == "Europe/Paris"


def test_temporal_literals_with_at_sign():
    assert evaluate('@"2024-01-31"') == dt.date(2024, 1, 31)
    assert evaluate('@"10:15:00Z"') == dt.time(10, 15, tzinfo=dt.UTC)
    assert evaluate('@"P1DT2H"') == dt.timedelta(days=1, hours=2)
    assert evaluate('@"P1Y2M"') == YearsMonthsDuration(14)


def test_bad_temporal_literal_is_null_with_a_warning():
    expression = compile_expression('@"2024-13-01"')
    assert expression.evaluate({}) is None
    assert "not a date, time or duration" in expression.warnings[0]


def test_durations_split_into_days_time_and_years_months():
    assert evaluate('duration("P1DT2H30M")') == dt.timedelta(days=1, hours=2, minutes=30)
    assert evaluate('duration("-PT1.5S")') == dt.timedelta(seconds=-1.5)
    assert evaluate('duration("P2Y")') == YearsMonthsDuration(24)
    assert evaluate('duration("P1Y1D")') is None


def test_date_plus_durations_moves_by_days_or_calendar_months():
    assert evaluate('date("2024-01-31") + duration("P1D")') == dt.date(2024, 2, 1)
    assert evaluate('date("2024-01-31") + duration("P1M")') == dt.date(2024, 2, 29)
    assert evaluate('duration("P1Y") + date("2024-02-29")') == dt.date(2025, 2, 28)


def test_subtracting_dates_gives_a_duration():
    assert evaluate('date("2024-03-01") - date("2024-02-01")') == dt.timedelta(days=29)
    assert evaluate(
        'date and time("2024-01-01T12:00:00Z") - date and time("2024-01-01T10:00:00+01:00")'
    ) == dt.timedelta(hours=3)


def test_mixing_local_and_zoned_date_times_is_null():
    assert evaluate('date and time("2024-01-01T12:00:00Z") - date and time("2024-01-01T10:00:00")') is None
    assert evaluate('date and time("2024-01-01T12:00:00Z") < date and time("2024-01-01T10:00:00")') is None


def test_time_arithmetic_wraps_around_midnight():
    assert evaluate('time("23:00:00") + duration("PT2H")') == dt.time(1, 0)


def test_duration_scaling_and_division():
    assert evaluate('duration("PT1H") * 2') == dt.timedelta(hours=2)
    assert evaluate('duration("P1D") / duration("PT1H")') == 24
    assert evaluate('duration("P1Y") / 2') == YearsMonthsDuration(6)


def test_dates_times_and_durations_compare_by_their_instant_or_length():
    assert evaluate('date("2024-01-01") < date("2024-01-02")') is True
    assert evaluate('duration("PT1H") > duration("PT30M")') is True
    assert evaluate('date("2024-01-01") = date and time("2024-01-01T00:00:00")') is None


def test_dates_compare_with_python_dates_from_variables():
    assert evaluate('due < date("2024-06-01")', {"due": dt.date(2024, 5, 1)}) is True


def test_properties_of_dates_times_and_durations():
    variables = {"t": dt.datetime(2024, 5, 6, 7, 8, 9)}
    assert evaluate("t.year", variables) == 2024
    assert evaluate("t.month", variables) == 5
    assert evaluate("t.day", variables) == 6
    assert evaluate("t.weekday", variables) == 1
    assert evaluate("t.hour", variables) == 7
    assert evaluate("t.minute", variables) == 8
    assert evaluate("t.second", variables) == 9
    assert evaluate('duration("P2DT3H4M5S").days') == 2
    assert evaluate('duration("P2DT3H4M5S").hours') == 3
    assert evaluate('duration("P1Y5M").years') == 1
    assert evaluate('duration("P1Y5M").months') == 5


def test_string_of_temporals_is_iso_8601():
    assert evaluate('string(date and time("2024-01-31T10:00:00Z"))') == "2024-01-31T10:00:00Z"
    assert evaluate('string(time("10:00:00.5+01:00"))') == "10:00:00.5+01:00"
    assert evaluate('string(duration("P1DT2H"))') == "P1DT2H"
    assert evaluate('string(duration("-P14M"))') == "-P1Y2M"


def test_years_and_months_duration_between_dates():
    expression = 'years and months duration(date("2020-01-15"), date("2021-03-14"))'
    assert evaluate(expression) == YearsMonthsDuration(13)


def test_time_from_parts_with_an_offset():
    value = evaluate('time(10, 30, 15.5, duration("PT1H"))')
    assert value == dt.time(10, 30, 15, 500000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert evaluate("time(10, 30, 0).hour") == Decimal(10)


def test_adding_hours_across_a_daylight_saving_change_counts_elapsed_time():
    value = evaluate('@"2024-03-31T01:30:00@Europe/Paris" + duration("PT1H")')
    assert value.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.UTC)
    assert value.hour == 3


def test_a_date_meeting_a_zoned_date_time_counts_as_midnight_utc():
    assert evaluate('date("2024-01-02") - date and time("2024-01-01T00:00:00Z")') == dt.timedelta(days=1)
    assert evaluate('date and time("2024-01-02T01:00:00+01:00") - date("2024-01-01")') == dt.timedelta(days=1)
