"""Properties over random inputs: FEEL arithmetic is Decimal arithmetic, comparisons agree."""

from __future__ import annotations

from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.feel import compile_expression, compile_unary_tests

decimals = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=6)
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


@settings(max_examples=200, deadline=None)
@given(a=decimals, b=decimals, op=st.sampled_from(sorted(OPERATORS)))
def test_arithmetic_matches_decimal_arithmetic(a, b, op):
    with localcontext() as context:
        context.prec = 34
        expected = OPERATORS[op](a, b)
    assert compile_expression(f"a {op} b").evaluate({"a": a, "b": b}) == expected


@settings(max_examples=200, deadline=None)
@given(a=decimals, b=decimals.filter(bool))
def test_division_matches_34_digit_decimal_division(a, b):
    with localcontext() as context:
        context.prec = 34
        expected = a / b
    assert compile_expression("a / b").evaluate({"a": a, "b": b}) == expected


@settings(max_examples=200, deadline=None)
@given(a=decimals | st.integers(-1000, 1000), b=decimals | st.integers(-1000, 1000))
def test_comparison_operators_are_consistent(a, b):
    variables = {"a": a, "b": b}
    less, equal, greater = (compile_expression(f"a {op} b").evaluate(variables) for op in ("<", "=", ">"))
    assert [less, equal, greater].count(True) == 1
    assert compile_expression("a <= b").evaluate(variables) == (less or equal)
    assert compile_expression("a != b").evaluate(variables) == (not equal)
    assert compile_expression("b > a").evaluate(variables) == less
    assert less == (Decimal(a) < Decimal(b))


@settings(max_examples=100, deadline=None)
@given(value=decimals, low=decimals, high=decimals)
def test_range_entry_agrees_with_between(value, low, high):
    in_range = compile_unary_tests("[low..high]").matches(value, {"low": low, "high": high})
    between = compile_expression("x between low and high").evaluate({"x": value, "low": low, "high": high})
    assert in_range == between == (low <= value <= high)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30))
def test_strings_round_trip_through_literals(text):
    literal = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert compile_expression(literal).evaluate({}) == text
