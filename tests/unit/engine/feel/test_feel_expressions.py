"""FEEL expressions as the BPMN engine and DMN use them: literals, names, paths, operators, if."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from conveyor.engine.bpmn.model import Evaluable
from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import compile_expression, evaluate


def test_number_literals_evaluate_to_decimals():
    assert evaluate("1.5") == Decimal("1.5")
    assert isinstance(evaluate("42"), Decimal)


def test_string_literals_understand_escapes():
    assert evaluate(r'"say \"hi\"\n"') == 'say "hi"\n'
    assert evaluate(r'"\u00e9"') == "é"


def test_boolean_and_null_literals():
    assert evaluate("true") is True
    assert evaluate("false") is False
    assert evaluate("null") is None


def test_comparison_reads_variables_of_any_number_type():
    expr = compile_expression("total > 1000")
    assert expr.evaluate({"total": 1500}) is True
    assert expr.evaluate({"total": 999.5}) is False
    assert expr.evaluate({"total": Decimal("1000.01")}) is True


def test_float_variables_compare_by_their_written_value():
    assert evaluate("x = 0.1", {"x": 0.1}) is True
    assert evaluate("x + 0.2 = 0.3", {"x": 0.1}) is True


def test_arithmetic_follows_precedence_and_gives_decimals():
    assert evaluate("1 + 2 * 3") == Decimal(7)
    assert evaluate("(1 + 2) * 3") == Decimal(9)
    assert evaluate("2 ** 10") == Decimal(1024)
    assert evaluate("-x + 1", {"x": 3}) == Decimal(-2)


def test_division_keeps_34_significant_digits():
    assert evaluate("10 / 3") == Decimal("3.333333333333333333333333333333333")


def test_division_by_zero_is_null():
    assert evaluate("1 / 0") is None


def test_strings_concatenate_with_plus():
    assert evaluate('"order-" + id', {"id": "A1"}) == "order-A1"


def test_names_with_spaces_resolve_to_the_variable():
    assert evaluate("Customer Age >= 18", {"Customer Age": 20}) is True


def test_backtick_names_allow_any_character():
    assert evaluate("`order-total` > 5", {"order-total": 6}) is True


def test_paths_read_nested_contexts():
    assert evaluate("order.customer.tier", {"order": {"customer": {"tier": "gold"}}}) == "gold"


def test_path_on_missing_value_is_null():
    assert evaluate("order.customer.tier", {"order": None}) is None


def test_missing_variable_is_null():
    assert evaluate("missing") is None


def test_and_or_use_three_valued_logic():
    assert evaluate("false and null") is False
    assert evaluate("true and null") is None
    assert evaluate("true or null") is True
    assert evaluate("false or null") is None
    assert evaluate("a > 1 and b", {"a": 2, "b": True}) is True


def test_if_then_else_takes_else_on_null_or_false():
    assert evaluate('if x > 3 then "big" else "small"', {"x": 5}) == "big"
    assert evaluate('if x > 3 then "big" else "small"', {"x": None}) == "small"


def test_comparisons_with_null_are_null_except_equality():
    assert evaluate("x > 1", {"x": None}) is None
    assert evaluate("x = null", {"x": None}) is True
    assert evaluate("x != null", {"x": 3}) is True


def test_comparing_different_types_is_null():
    assert evaluate('1 < "a"') is None
    assert evaluate('1 = "1"') is None


def test_arithmetic_with_null_or_mismatched_types_is_null():
    assert evaluate("x + 1", {"x": None}) is None
    assert evaluate('1 + "a"') is None
    assert evaluate("true + 1") is None


def test_between_includes_both_ends():
    assert evaluate("5 between 1 and 5") is True
    assert evaluate("6 between 1 and 5") is False


def test_names_lists_the_top_level_variables_read():
    assert compile_expression("order.total > limit and vip").names == {"order", "limit", "vip"}
    assert compile_expression("for x in items return x * rate").names == {"items", "rate"}


def test_a_compiled_expression_is_evaluable_by_the_engine():
    expr = compile_expression("a + 1")
    assert isinstance(expr, Evaluable)
    assert expr.source == "a + 1"


def test_compiled_expressions_are_cached_by_source():
    assert compile_expression("amount * 2") is compile_expression("amount * 2")


def test_camunda_8_leading_equals_sign_is_feel():
    assert evaluate("= total > 10", {"total": 11}) is True


def test_bad_syntax_names_the_position():
    with pytest.raises(ExpressionError) as caught:
        compile_expression("total > > 3")
    assert caught.value.position == 8
    assert "position 8" in str(caught.value)


def test_unterminated_string_is_refused():
    with pytest.raises(ExpressionError, match="unterminated string"):
        compile_expression('"abc')


def test_if_without_else_is_refused_with_a_hint():
    with pytest.raises(ExpressionError, match="'else'"):
        compile_expression("if a then b")


def test_empty_expression_is_refused():
    with pytest.raises(ExpressionError, match="empty"):
        compile_expression("   ")


def test_unknown_dialect_is_refused():
    with pytest.raises(ExpressionError, match="dialect"):
        compile_expression("1", dialect="groovy")


def test_compiled_expressions_survive_pickling():
    import pickle

    for source in ("= total > 10", "${total > 10}", "total > 10"):
        restored = pickle.loads(pickle.dumps(compile_expression(source)))
        assert restored.evaluate({"total": 11}) is True
        assert restored == compile_expression(source)


def test_known_names_with_keywords_or_symbols_are_read_as_one_name():
    expression = compile_expression(
        'for day in days in weekend return day = "sunday"', known_names=["days in weekend"]
    )
    assert expression.evaluate({"days in weekend": ["saturday", "sunday"]}) == [False, True]
    assert compile_expression("Date-Time + 1", known_names=["Date-Time"]).names == {"Date-Time"}


def test_evaluate_reads_variable_names_with_symbols():
    assert evaluate("Applicant's age >= 18", {"Applicant's age": 20}) is True


def test_known_names_do_not_match_inside_longer_words():
    assert compile_expression("ab-c", known_names=["b-c"]).names == {"ab", "c"}


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("total == 5", "single '='"),
        ("a && b", "'and'"),
        ("a || b", "'or'"),
        ("!approved", "not(...)"),
        ("status = 'paid'", "double quotes"),
        ("total >", "ends too early"),
    ],
)
def test_mistakes_from_other_expression_languages_get_a_hint(text, hint):
    with pytest.raises(ExpressionError, match=re.escape(hint)):
        compile_expression(text)


def test_not_followed_by_a_name_is_read_as_one_name_with_a_warning():
    expression = compile_expression("not approved")
    assert expression.names == {"not approved"}
    assert "write not(approved)" in expression.warnings[0]
