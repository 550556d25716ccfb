"""The built-in function table: conversion, string, number, list, context, date functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conveyor.engine.feel import evaluate


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('substring("foobar", 3)', "obar"),
        ('substring("foobar", 3, 3)', "oba"),
        ('substring("foobar", -2, 1)', "a"),
        ('string length("tést")', 4),
        ('upper case("aBc")', "ABC"),
        ('lower case("aBc")', "abc"),
        ('substring before("foobar", "bar")', "foo"),
        ('substring after("foobar", "ob")', "ar"),
        ('substring after("foobar", "x")', ""),
        ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
        ('replace("Abc", "b", "X", "i")', "AXc"),
        ('contains("foobar", "of")', False),
        ('starts with("foobar", "fo")', True),
        ('ends with("foobar", "r")', True),
        ('matches("foobar", "^fo*b")', True),
        ('split("John Doe", "\\s")', ["John", "Doe"]),
        ('string join(["a", null, "c"], ", ")', "a, c"),
        ('string join(["a", "b"])', "ab"),
    ],
)
def test_string_functions_give_the_results_dmn_specifies(expression, expected):
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("decimal(1/3, 2)", Decimal("0.33")),
        ("decimal(2.5, 0)", Decimal(2)),
        ("floor(-1.5)", Decimal(-2)),
        ("ceiling(1.2)", Decimal(2)),
        ("round up(5.5)", Decimal(6)),
        ("round down(-5.5)", Decimal(-5)),
        ("round half up(2.5)", Decimal(3)),
        ("round half down(2.5)", Decimal(2)),
        ("round half up(-2.55, 1)", Decimal("-2.6")),
        ("abs(-3)", Decimal(3)),
        ("modulo(12, 5)", Decimal(2)),
        ("modulo(-12, 5)", Decimal(3)),
        ("modulo(12, -5)", Decimal(-3)),
        ("sqrt(16)", Decimal(4)),
        ("odd(5)", True),
        ("even(5)", False),
        ("exp(0)", Decimal(1)),
        ("log(1)", Decimal(0)),
    ],
)
def test_number_functions_give_the_results_dmn_specifies(expression, expected):
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("list contains([1, 2], 2)", True),
        ("count([1, 2, 3])", 3),
        ("min([3, 1, 2])", 1),
        ("max(3, 1, 2)", 3),
        ('max(["a", "c", "b"])', "c"),
        ("sum([1, 2, 3])", 6),
        ("mean(1, 2, 3)", 2),
        ("median(8, 2, 5, 3, 4)", 4),
        ("median([6, 1, 2, 3])", Decimal("2.5")),
        ("mode(6, 3, 9, 6, 6)", [6]),
        ("all([true, false])", False),
        ("all([true, null])", None),
        ("any([false, true])", True),
        ("sublist([4, 5, 6], 1, 2)", [4, 5]),
        ("append([1], 2, 3)", [1, 2, 3]),
        ("concatenate([1, 2], [3])", [1, 2, 3]),
        ("insert before([1, 3], 1, 2)", [2, 1, 3]),
        ("remove([1, 2, 3], 2)", [1, 3]),
        ("reverse([1, 2, 3])", [3, 2, 1]),
        ("index of([1, 2, 3, 2], 2)", [2, 4]),
        ("union([1, 2], [2, 3])", [1, 2, 3]),
        ("distinct values([1, 2, 3, 2, 1])", [1, 2, 3]),
        ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
        ("product(2, 3, 4)", 24),
        ("sort([3, 1, 2])", [1, 2, 3]),
        ("sort([3, 1, 2], function(x, y) x > y)", [3, 2, 1]),
        ("is empty([])", True),
    ],
)
def test_list_functions_give_the_results_dmn_specifies(expression, expected):
    assert evaluate(expression) == expected


def test_stddev_is_the_sample_standard_deviation():
    assert evaluate("stddev(2, 4, 7, 5)") == Decimal("2.081665999466132735282297706979931")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('get value({a: 1}, "a")', 1),
        ('get value({a: 1}, "b")', None),
        ("get entries({a: 1})", [{"key": "a", "value": 1}]),
        ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
        ("context merge([{a: 1}, {b: 2}, {a: 3}])", {"a": 3, "b": 2}),
        ("get or else(null, 5)", 5),
    ],
)
def test_context_functions_give_the_results_dmn_specifies(expression, expected):
    assert evaluate(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('day of week(date("2024-01-01"))', "Monday"),
        ("month of year(date(2024, 3, 1))", "March"),
        ("day of year(date(2024, 2, 1))", 32),
        ("week of year(date(2021, 1, 3))", 53),
    ],
)
def test_date_functions_name_days_months_and_weeks(expression, expected):
    assert evaluate(expression) == expected


def test_now_is_timezone_aware_and_today_is_a_date():
    assert evaluate("now()").tzinfo is not None
    assert isinstance(evaluate("today()"), dt.date)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("string(1.10)", "1.1"),
        ("string(true)", "true"),
        ('string(date("2024-01-02"))', "2024-01-02"),
        ("string(null)", None),
        ('number("1,000.5", ",", ".")', Decimal("1000.5")),
        ('number("12")', 12),
        ("number(11.11)", Decimal("11.11")),
        ('number("1.000.000,01", ".", ",")', Decimal("1000000.01")),
        ('number("1_000")', None),
        ('number("x")', None),
        ('date("2024-02-30")', None),
        ("date(2024, 2, 29)", dt.date(2024, 2, 29)),
        ('time("10:30:00")', dt.time(10, 30)),
        ('duration("P2D")', dt.timedelta(days=2)),
    ],
)
def test_conversion_functions_read_text_and_numbers(expression, expected):
    assert evaluate(expression) == expected


def test_named_parameters_reach_the_right_arguments():
    assert evaluate('substring(string: "abc", start position: 2)') == "bc"
    assert evaluate('substring(start position: 2, string: "abc")') == "bc"
    assert evaluate("date(year: 2024, month: 1, day: 2)") == dt.date(2024, 1, 2)


def test_unknown_named_parameter_gives_null_and_a_warning_for_the_author():
    from conveyor.engine.feel import compile_expression

    expression = compile_expression('substring(text: "abc", start: 2)')
    assert expression.evaluate({}) is None
    assert "no parameters named text, start" in expression.warnings[0]


def test_functions_given_wrong_types_return_null():
    assert evaluate("upper case(1)") is None
    assert evaluate('sum(["a", 1])') is None
    assert evaluate("string length()") is None


def test_not_is_three_valued():
    assert evaluate("not(true)") is False
    assert evaluate("not(null)") is None
    assert evaluate("not(1)") is None


def test_is_defined_tells_missing_from_null_variables():
    assert evaluate("is defined(x)", {"x": None}) is True
    assert evaluate("is defined(x)", {}) is False
    assert evaluate("is defined(order.id)", {"order": {"id": 1}}) is True
    assert evaluate("is defined(order.id)", {"order": {}}) is False


def test_a_one_item_list_stands_for_its_item_where_a_single_value_is_expected():
    assert evaluate('upper case(names[item = "Bob"])', {"names": ["Al", "Bob"]}) == "BOB"
    assert evaluate("abs([-2])") == 2
    assert evaluate("count([5])") == 1
    assert evaluate("string([1])") == "[1]"
