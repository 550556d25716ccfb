"""The sandbox: oversized, deeply nested or runaway expressions are refused, never hang."""

from __future__ import annotations

import pytest

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel import compile_expression, compile_unary_tests, evaluate, limits
from conveyor.engine.feel.limits import MAX_SOURCE_LENGTH


def test_overlong_expression_is_refused():
    with pytest.raises(ExpressionLimitExceeded, match="characters"):
        compile_expression("1" * (MAX_SOURCE_LENGTH + 1))


def test_deeply_nested_parentheses_are_refused():
    with pytest.raises(ExpressionLimitExceeded, match="nests"):
        compile_expression("(" * 500 + "1" + ")" * 500)


def test_long_operator_chains_are_refused_not_crashing():
    with pytest.raises(ExpressionLimitExceeded):
        compile_expression(" + ".join(["1"] * 5000))


def test_deep_nesting_in_juel_and_python_is_refused():
    with pytest.raises(ExpressionLimitExceeded):
        compile_expression("${" + "(" * 500 + "1" + ")" * 500 + "}")
    with pytest.raises(ExpressionLimitExceeded):
        compile_expression("(" * 500 + "1" + ")" * 500, dialect="python")


def test_huge_for_loop_over_a_range_is_refused():
    with pytest.raises(ExpressionLimitExceeded, match="steps"):
        evaluate("for i in 1..1000000000 return i")


def test_nested_loops_exceeding_the_step_budget_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_STEPS", 10_000)  # the same check as the real 1,000,000, sooner
    assert evaluate("count(for a in 1..50, b in 1..50 return 1)") == 2500
    with pytest.raises(ExpressionLimitExceeded, match="10000 steps"):
        evaluate("count(for a in 1..200, b in 1..200 return 1)")


def test_filters_count_against_the_step_budget(monkeypatch):
    monkeypatch.setattr(limits, "MAX_STEPS", 10_000)
    with pytest.raises(ExpressionLimitExceeded, match="steps"):
        evaluate("count(xs[item > 0])", {"xs": list(range(1, 20_000))})


def test_exponential_recursion_through_function_values_is_refused():
    expression = "{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1), r: f(200)}.r"
    with pytest.raises(ExpressionLimitExceeded):
        evaluate(expression)


def test_strings_larger_than_the_size_limit_are_refused(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SIZE", 10_000)
    assert len(evaluate('string join(for i in 1..1000 return "abcdefgh")')) == 8000
    with pytest.raises(ExpressionLimitExceeded, match="value of"):
        evaluate('string join(for i in 1..2000 return "abcdefgh")')
    with pytest.raises(ExpressionLimitExceeded, match="value of"):
        evaluate('{a: string join(for i in 1..1000 return "abcdefgh"), b: a + a}.b')


def test_catastrophic_regex_patterns_give_null_instead_of_hanging():
    assert evaluate('matches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", "^(a+)+$")') is None
    assert evaluate('matches(x, "a")', {"x": "a" * 20_000}) is None


def test_unary_tests_have_the_same_limits():
    with pytest.raises(ExpressionLimitExceeded):
        compile_unary_tests("(" * 500 + "1" + ")" * 500)


# Values that share parts (`[p, p]` nested) are far larger than they look; working through them
# must stay within the budget rather than run for hours.
SHARED = "for i in 1..16 return [partial, partial]"


def test_comparing_values_with_shared_parts_is_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_STEPS", 50_000)
    with pytest.raises(ExpressionLimitExceeded, match="step"):
        evaluate(f"{{x: {SHARED}, y: {SHARED}, same: x = y}}.same")


def test_flattening_values_with_shared_parts_is_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SIZE", 50_000)
    with pytest.raises(ExpressionLimitExceeded, match="flatten"):
        evaluate(f"count(flatten({SHARED}))")


def test_string_of_values_with_shared_parts_is_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SIZE", 50_000)
    with pytest.raises(ExpressionLimitExceeded, match="string"):
        evaluate(f"string({SHARED})")


def test_distinct_values_of_a_long_list_keeps_one_of_each():
    assert evaluate("distinct values(for i in 1..20000 return modulo(i, 3))") == [1, 2, 0]
