"""Camunda 7 JUEL (``${...}``) and SpiffWorkflow-style Python conditions."""

from __future__ import annotations

import pytest

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import compile_expression, evaluate


def juel(text: str, **variables: object) -> object:
    return evaluate(text, variables)


def python(text: str, **variables: object) -> object:
    return evaluate(text, variables, dialect="python")


def test_dollar_braces_are_read_as_juel():
    assert compile_expression("${amount > 100}").dialect == "juel"
    assert compile_expression("#{amount > 100}").dialect == "juel"
    assert compile_expression("amount > 100").dialect == "feel"


def test_juel_symbol_and_word_operators():
    assert juel("${amount > 100 && !vip}", amount=150, vip=False) is True
    assert juel("${amount gt 100 and not vip}", amount=150, vip=True) is False
    assert juel("${a == 1 || b eq 'x'}", a=2, b="x") is True
    assert juel("${a != 1}", a=2) is True
    assert juel("${a le 2 && a ge 2 && a lt 3 && a ne 4}", a=2) is True


def test_juel_strings_may_use_single_or_double_quotes():
    assert juel("${status == 'paid'}", status="paid") is True
    assert juel('${status == "paid"}', status="paid") is True


def test_juel_arithmetic_and_ternary():
    assert juel("${qty * price + 1}", qty=2, price=5) == 11
    assert juel("${a % 3}", a=10) == 1
    assert juel("${total > 1000 ? 'manual' : 'auto'}", total=5) == "auto"


def test_juel_property_paths_on_maps():
    assert juel("${order.customer.tier == 'gold'}", order={"customer": {"tier": "gold"}}) is True
    assert juel("${order['id']}", order={"id": 7}) == 7


def test_juel_empty_is_true_for_null_and_empty_values():
    assert juel("${empty items}", items=[]) is True
    assert juel("${empty name}", name=None) is True
    assert juel("${not empty name}", name="x") is True


def test_juel_method_calls_are_refused_naming_the_call():
    with pytest.raises(ExpressionError, match=r"execution\.getVariable"):
        compile_expression("${execution.getVariable('x')}")
    with pytest.raises(ExpressionError, match="not supported"):
        compile_expression("${bean.method()}")


def test_juel_syntax_error_points_into_the_original_text():
    with pytest.raises(ExpressionError) as caught:
        compile_expression("${a > > 1}")
    assert caught.value.position == 6


def test_python_comparisons_and_boolean_operators():
    assert python("x == 1", x=1) is True
    assert python("a > 5 and b != 'x'", a=6, b="y") is True
    assert python("a > 5 or b", a=1, b=True) is True
    assert python("not flag", flag=False) is True
    assert python("1 < x < 5", x=3) is True
    assert python("1 < x < 5", x=7) is False


def test_python_membership_none_and_len():
    assert python("x in ['a', 'b']", x="b") is True
    assert python("x not in ('a', 'b')", x="c") is True
    assert python("x is None", x=None) is True
    assert python("x is not None", x=0) is True
    assert python("len(items) > 0", items=[1]) is True


def test_python_in_reads_substrings_keys_and_items():
    assert python("'VIP' in tags", tags="VIP,EU") is True
    assert python("'sku' in line", line={"sku": "A"}) is True
    assert python("'x' not in codes", codes=["a"]) is True


def test_python_truthiness_in_not_and_or():
    assert python("not items", items=[]) is True
    assert python("items and ready", items=[1], ready=True) is True


def test_python_constants_and_subscripts():
    assert python("True") is True
    assert python("None") is None
    assert python("d['k'] == 2", d={"k": 2}) is True
    assert python("xs[0] == 'first'", xs=["first"]) is True


@pytest.mark.parametrize(
    "script",
    ["x = 1", "import os", "__import__('os')", "x.upper()", "a = 1; b = 2", "lambda: 1", "open('f')"],
)
def test_python_scripts_and_calls_are_refused(script):
    with pytest.raises(ExpressionError, match="not supported"):
        compile_expression(script, dialect="python")
