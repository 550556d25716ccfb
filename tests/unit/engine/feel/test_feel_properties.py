"""Properties over random inputs: FEEL arithmetic is Decimal arithmetic, comparisons agree."""

from __future__ import annotations

import contextlib
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import compile_expression, compile_unary_tests
from conveyor.engine.feel.builtins import BUILTINS

decimals = st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=6)
OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


@settings(max_examples=100, deadline=None)
@given(a=decimals, b=decimals, op=st.sampled_from(sorted(OPERATORS)))
def test_arithmetic_matches_decimal_arithmetic(a, b, op):
    with localcontext() as context:
        context.prec = 34
        expected = OPERATORS[op](a, b)
    assert compile_expression(f"a {op} b").evaluate({"a": a, "b": b}) == expected


@settings(max_examples=100, deadline=None)
@given(a=decimals, b=decimals.filter(bool))
def test_division_matches_34_digit_decimal_division(a, b):
    with localcontext() as context:
        context.prec = 34
        expected = a / b
    assert compile_expression("a / b").evaluate({"a": a, "b": b}) == expected


@settings(max_examples=100, deadline=None)
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


FRAGMENTS = [
    "a", "x", " ", "0", "1.5", ".", ",", ":", "+", "-", "*", "/", "=", "<", ">", "!", "?", "(", ")", "[", "]",
    "{", "}", '"', "'", "`", "@", "$", "#", "\\", "\n", "and", "or", "in", "for", "if", "then", "else",
    "return", "some", "satisfies", "between", "instance of", "function", "not", "null", "..", "**",
    "date and time", "string length", "${", "#{", "=", '"a"', "[1..2]",
]


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12),
       dialect=st.sampled_from(["auto", "feel", "juel", "python"]))
def test_any_text_compiles_or_is_refused_with_an_expression_error(parts, dialect):
    text = "".join(parts)
    with contextlib.suppress(ExpressionError):
        compile_expression(text, dialect=dialect).evaluate({"x": [1, 2], "a": {"b": 1}})
    with contextlib.suppress(ExpressionError):
        compile_unary_tests(text).matches(1, {"x": 1})


ARGUMENTS = ["1", "-2.5", '"a"', "null", "true", "[1, 2]", "{a: 1}", 'date("2024-01-31")', '@"P1D"', '@"P1Y"',
             "[1..3]", 'time("10:00:00Z")', "x"]


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(BUILTINS)), args=st.lists(st.sampled_from(ARGUMENTS), max_size=3))
def test_built_ins_given_any_arguments_give_a_value_or_null_never_a_crash(name, args):
    compile_expression(f"{name}({', '.join(args)})").evaluate({"x": 3})  # raises on an internal error
