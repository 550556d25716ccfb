"""DMN input entries: the unary tests a decision table's rule matches its input with."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import compile_unary_tests


def matches(entry: str, value: object, **variables: object) -> bool:
    return compile_unary_tests(entry).matches(value, variables)


def test_dash_matches_anything_even_null():
    assert matches("-", 5)
    assert matches("-", None)


def test_comparison_entries_compare_the_input():
    assert matches("< 10", 5)
    assert not matches("< 10", 10)
    assert matches(">= 10", 10)
    assert matches('!= "x"', "y")


def test_comparison_entries_can_read_variables():
    assert matches("> limit", 4, limit=3)
    assert not matches("> limit", 2, limit=3)


def test_range_entries_respect_open_and_closed_ends():
    assert matches("[1..5]", 5)
    assert not matches("[1..5[", 5)
    assert not matches("]1..5]", 1)
    assert matches("(1..5)", 3)


def test_a_comma_list_matches_any_of_its_tests():
    assert matches('"a","b"', "b")
    assert not matches('"a","b"', "c")
    assert matches("< 0, > 100", 101)


def test_not_negates_the_tests():
    assert matches("not(1, 2)", 3)
    assert not matches("not(1, 2)", 2)
    assert matches('not("a")', "b")


def test_null_entry_matches_only_null():
    assert matches("null", None)
    assert not matches("null", 0)


def test_comparison_against_null_input_does_not_match():
    assert not matches("< 10", None)
    assert not matches("not(< 10)", None)


def test_question_mark_entries_use_the_boolean_value():
    assert matches("? > 3", 4)
    assert not matches("? > 3", 2)
    assert matches("starts with(?, \"VIP\")", "VIP-1")


def test_expression_entries_equal_the_input():
    assert matches("limit * 2", 10, limit=5)
    assert matches('"gold"', "gold")
    assert matches("true", True)
    assert not matches("true", False)


def test_list_valued_entries_contain_the_input():
    assert matches("allowed", "DE", allowed=["DE", "FR"])
    assert not matches("allowed", "US", allowed=["DE", "FR"])


def test_date_range_entries_match_dates_inside():
    import datetime as dt

    assert matches('[date("2024-01-01")..date("2024-12-31")]', dt.date(2024, 6, 1))


def test_bad_entries_are_refused_with_the_position():
    with pytest.raises(ExpressionError) as caught:
        compile_unary_tests("< 10,")
    assert caught.value.position == 5


def test_empty_entry_is_refused():
    with pytest.raises(ExpressionError, match="'-'"):
        compile_unary_tests("")


def test_entries_report_the_variables_they_read():
    assert compile_unary_tests("> limit, [low..high]").names == {"limit", "low", "high"}


@pytest.mark.parametrize("value", [3, 3.0, 3.5, Decimal("3"), 5, 1])
def test_constant_ranges_and_comparisons_accept_every_number_type(value):
    assert matches("[1..5]", value)
    assert matches("< 10", value)
    assert not matches("> 10", value)


@pytest.mark.parametrize("value", ["3", None, True, [3]])
def test_constant_entries_do_not_match_other_types(value):
    assert not matches("[1..5]", value)
    assert not matches("< 10", value)
    assert not matches("3", value)


def test_negative_constants_in_entries():
    assert matches("[-5..-1]", -3)
    assert matches("< -1", -2)
    assert matches("-2", -2)
