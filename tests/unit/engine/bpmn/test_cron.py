"""Cron timer cycles: parsing (Quartz, Spring, Unix shapes), refusals, and next firings.

The property tests compare ``next_after`` with a brute-force walk over every
minute (5-field expressions) or second (6-field, narrow windows), so the
skipping search can never jump over a firing or stop on a wrong one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from bpmn_samples import around, document
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.bpmn.cron import parse_cron
from conveyor.engine.bpmn.model import TimerKind
from conveyor.engine.bpmn.timers import check_timer, parse_cycle
from conveyor.engine.errors import ModelError

UTC = dt.UTC
MON_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def firings(text: str, start: dt.datetime, count: int) -> list[dt.datetime]:
    cron, found, moment = parse_cron(text), [], start
    for _ in range(count):
        following = cron.next_after(moment)
        assert following is not None
        found.append(following)
        moment = following
    return found


def test_camunda8_six_fields_weekdays_at_nine() -> None:
    days = firings("0 0 9 * * MON-FRI", MON_9, 6)
    assert [d.strftime("%a %d %H:%M") for d in days] == [
        "Tue 03 09:00", "Wed 04 09:00", "Thu 05 09:00", "Fri 06 09:00", "Mon 09 09:00", "Tue 10 09:00",
    ]  # fmt: skip
    assert all(d.tzinfo is UTC for d in days)


def test_camunda7_quartz_every_five_minutes_with_question_mark() -> None:
    assert firings("0 0/5 * * * ?", MON_9 + dt.timedelta(minutes=3), 3) == [
        MON_9 + dt.timedelta(minutes=m) for m in (5, 10, 15)
    ]


def test_five_fields_fire_at_second_zero() -> None:
    assert firings("*/20 9 * * *", MON_9, 3) == [MON_9 + dt.timedelta(minutes=m) for m in (20, 40)] + [
        MON_9 + dt.timedelta(days=1)
    ]


def test_seconds_are_honoured_and_the_result_is_strictly_after() -> None:
    assert firings("15,45 * * * * *", MON_9, 3) == [MON_9 + dt.timedelta(seconds=s) for s in (15, 45, 75)]
    assert parse_cron("0 0 9 * * *").next_after(MON_9) == MON_9 + dt.timedelta(days=1)


def test_day_of_week_numbers_follow_quartz_with_question_mark_and_unix_otherwise() -> None:
    quartz = parse_cron("0 0 12 ? * 2").next_after(MON_9)
    spring = parse_cron("0 0 12 * * 2").next_after(MON_9)
    unix_sunday = parse_cron("0 12 * * 7").next_after(MON_9)
    assert quartz is not None and quartz.strftime("%a") == "Mon"
    assert spring is not None and spring.strftime("%a") == "Tue"
    assert unix_sunday is not None and unix_sunday.strftime("%a") == "Sun"


def test_month_and_day_names_lists_and_ranges() -> None:
    days = firings("0 30 8 1,15 jan-MAR ?", MON_9, 4)
    assert [d.strftime("%Y-%m-%d %H:%M") for d in days] == [
        "2026-03-15 08:30", "2027-01-01 08:30", "2027-01-15 08:30", "2027-02-01 08:30",
    ]  # fmt: skip


def test_both_day_fields_restricted_unix_means_either_spring_means_both() -> None:
    either = firings("0 12 13 * FRI", MON_9, 2)
    both = firings("0 0 12 13 * FRI", MON_9, 1)
    assert [d.strftime("%a %d") for d in either] == ["Fri 06", "Fri 13"]
    assert both[0].strftime("%Y-%m-%d %a") == "2026-03-13 Fri"
    assert parse_cron("0 0 12 13 * FRI").next_after(both[0]) == dt.datetime(2026, 11, 13, 12, tzinfo=UTC)


def test_leap_day_and_year_field() -> None:
    assert firings("0 0 0 29 2 ? *", MON_9, 2) == [
        dt.datetime(2028, 2, 29, tzinfo=UTC), dt.datetime(2032, 2, 29, tzinfo=UTC),
    ]  # fmt: skip
    assert parse_cron("0 0 0 1 1 ? 2030").next_after(dt.datetime(2030, 1, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("@hourly", dt.datetime(2026, 3, 2, 10, tzinfo=UTC)),
        ("@daily", dt.datetime(2026, 3, 3, tzinfo=UTC)),
        ("@midnight", dt.datetime(2026, 3, 3, tzinfo=UTC)),
        ("@weekly", dt.datetime(2026, 3, 8, tzinfo=UTC)),
        ("@monthly", dt.datetime(2026, 4, 1, tzinfo=UTC)),
        ("@yearly", dt.datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_macros(macro: str, expected: dt.datetime) -> None:
    assert parse_cron(macro).next_after(MON_9) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0 0 L * ?", "L, W or #"),
        ("0 0 12 ? * MON#2", "L, W or #"),
        ("0 0 12 15W * ?", "L, W or #"),
        ("0 0 12 ? * 6L", "L, W or #"),
        ("0 0 30 2 *", "never fires"),
        ("61 * * * *", "minute 61 is out of range"),
        ("0 0 25 * * *", "hour 25 is out of range"),
        ("0 0 12 ? * FOO", "not one of SUN-SAT"),
        ("0 0 12 ? FOO *", "not one of JAN-DEC"),
        ("0 ? * * *", "'?'"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "above 0"),
        ("1,,2 * * * *", "empty list item"),
        ("0 0 0 0 1 *", "day-of-month 0 is out of range"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_cron(text)
    assert says in str(raised.value)
    assert check_timer(TimerKind.CYCLE, text) is not None


def test_parse_cycle_reads_cron_and_still_reads_iso_cycles() -> None:
    assert parse_cycle("0 0 9 * * MON-FRI").cron == "0 0 9 * * MON-FRI"
    assert parse_cycle("@daily").cron == "@daily"
    assert parse_cycle("R3/PT10M").repetitions == 3
    with pytest.raises(ValueError, match="L, W or #"):
        parse_cycle("0 0 L * ?")


def _matches(text: str, moment: dt.datetime) -> bool:
    """Brute-force reference: does ``moment`` satisfy a 5-field expression of numbers and steps."""
    minute, hour, day, month, weekday = text.split()

    def hit(field: str, value: int, low: int, high: int) -> bool:
        for item in field.split(","):
            base, _, step = item.partition("/")
            if base == "*":
                a, b = low, high
            elif "-" in base:
                a, b = (int(x) for x in base.split("-"))
            else:
                a = int(base)
                b = high if step else a
            if a <= value <= b and (value - a) % int(step or 1) == 0:
                return True
        return False

    day_ok = hit(day, moment.day, 1, 31)
    # days of the week run 0-7 (Sunday is 0 and 7), so "1/2" is Mon, Wed, Fri and Sun (as Spring reads it)
    sunday = moment.isoweekday() == 7
    week_ok = hit(weekday, moment.isoweekday() % 7, 0, 7) or (sunday and hit(weekday, 7, 0, 7))
    # Unix: both day fields restricted -> a day matching either fires
    days = (day_ok or week_ok) if day != "*" and weekday != "*" else (day_ok and week_ok)
    return (
        moment.second == 0 and hit(minute, moment.minute, 0, 59) and hit(hour, moment.hour, 0, 23)
        and days and hit(month, moment.month, 1, 12)
    )  # fmt: skip


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    single = value.map(str)
    ranged = st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}")
    stepped = st.tuples(st.sampled_from(["*", *map(str, range(low, min(high, low + 5) + 1))]),
                        st.integers(1, 7)).map(lambda bs: f"{bs[0]}/{bs[1]}")  # fmt: skip
    item = st.one_of(single, ranged, stepped)
    return st.one_of(st.just("*"), st.lists(item, min_size=1, max_size=3).map(",".join))


@settings(max_examples=60, deadline=None)
@given(
    minute=_field(0, 59),
    hour=_field(0, 23),
    day=st.one_of(st.just("*"), _field(1, 28)),
    weekday=st.one_of(st.just("*"), _field(0, 6)),
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)),
)
def test_next_after_is_the_first_matching_minute(
    minute: str, hour: str, day: str, weekday: str, start: dt.datetime
) -> None:
    text = f"{minute} {hour} {day} * {weekday}"
    cron = parse_cron(text)
    found = cron.next_after(start.replace(tzinfo=UTC))
    assert found is not None
    assert found > start.replace(tzinfo=UTC)
    assert _matches(text, found.replace(tzinfo=None))
    # nothing matches between start and the answer (walk minute by minute, at most 3 days)
    moment = start.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    limit = min(found.replace(tzinfo=None), start + dt.timedelta(days=3))
    while moment < limit:
        assert not _matches(text, moment), f"{text}: {moment} fires before {found}"
        moment += dt.timedelta(minutes=1)


@settings(max_examples=40, deadline=None)
@given(
    seconds=_field(0, 59),
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)),
)
def test_six_fields_the_next_second(seconds: str, start: dt.datetime) -> None:
    cron = parse_cron(f"{seconds} * * * * *")
    found = cron.next_after(start.replace(tzinfo=UTC))
    assert found is not None
    moment = start.replace(microsecond=0) + dt.timedelta(seconds=1)
    while moment.second not in cron.seconds:
        moment += dt.timedelta(seconds=1)
    assert found == moment.replace(tzinfo=UTC)


def test_a_model_with_an_unsupported_cron_is_refused_naming_the_element() -> None:
    xml = document(
        around(
            '<bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>'
            "<bpmn:timeCycle>0 0 12 ? * MON#2</bpmn:timeCycle>"
            "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        )
    )
    with pytest.raises(ModelError) as caught:
        parse_bpmn(xml)
    (problem,) = caught.value.errors
    assert (problem.code, problem.element_id) == ("bad_timer", "task")
    assert "L, W or #" in problem.message
