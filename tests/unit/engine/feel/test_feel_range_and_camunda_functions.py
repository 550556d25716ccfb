"""DMN 1.3 range functions and the Camunda 8 extension functions."""

from __future__ import annotations

import datetime as dt

import pytest

from conveyor.engine.feel import evaluate


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("before(1, 10)", True),
        ("before(10, 1)", False),
        ("before([1..5], 10)", True),
        ("before(1, (1..5])", True),
        ("before(1, [1..5])", False),
        ("before([1..5), [5..10])", True),
        ("after(10, [1..5])", True),
        ("after([5..10], 1)", True),
        ("meets([1..5], [5..10])", True),
        ("meets([1..5), [5..10])", False),
        ("met by([5..10], [1..5])", True),
        ("overlaps([1..5], [3..8])", True),
        ("overlaps([1..5], [6..8])", False),
        ("overlaps before([1..5], [3..8])", True),
        ("overlaps after([3..8], [1..5])", True),
        ("finishes(5, [1..5])", True),
        ("finishes([3..5], [1..5])", True),
        ("finished by([1..5], [3..5])", True),
        ("includes([1..10], 5)", True),
        ("includes([1..10], [3..4])", True),
        ("includes([1..10), 10)", False),
        ("during(5, [1..10])", True),
        ("starts(1, [1..5])", True),
        ("starts([1..3], [1..5])", True),
        ("started by([1..5], [1..3])", True),
        ("coincides([1..5], [1..5])", True),
        ("coincides(1, 2)", False),
        ('before(1, "a")', None),
        ('before(date("2024-01-01"), date("2024-02-01"))', True),
    ],
)
def test_range_functions_compare_points_and_ranges_as_dmn_specifies(expression, expected):
    assert evaluate(expression) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('trim("  a b ")', "a b"),
        ('is blank("  ")', True),
        ('is blank("x")', False),
        ('extract("a1b22", "[0-9]+")', ["1", "22"]),
        ("duplicate values([1, 2, 1, 3, 2])", [1, 2]),
        ("partition([1, 2, 3], 2)", [[1, 2], [3]]),
        ("list replace([1, 2, 3], 2, 9)", [1, 9, 3]),
        ("list replace([1, 2, 3], function(item, newItem) item > 1, 0)", [1, 0, 0]),
        ('last day of month(date("2024-02-10"))', dt.date(2024, 2, 29)),
        ("is(1, 1.0)", True),
        ('is(date("2024-01-01"), date and time("2024-01-01T00:00:00"))', False),
    ],
)
def test_camunda_extension_functions_behave_as_in_zeebe(expression, expected):
    assert evaluate(expression) == expected
