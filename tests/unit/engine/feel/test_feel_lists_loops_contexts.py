"""Lists, filters, ranges, ``in``, loops, quantifiers, contexts and function definitions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import Range, compile_expression, evaluate

ORDERS = {"lines": [{"sku": "A", "qty": 2, "price": 10}, {"sku": "B", "qty": 1, "price": 99}]}


def test_list_literal_evaluates_items():
    assert evaluate("[1, x, \"a\"]", {"x": 2}) == [1, 2, "a"]
    assert evaluate("[]") == []


def test_filter_keeps_items_matching_the_condition():
    assert evaluate("[1, 2, 3, 4][item > 2]") == [3, 4]


def test_filter_reads_context_entries_of_each_item():
    assert evaluate('lines[qty > 1].sku', ORDERS) == ["A"]


def test_index_filter_is_one_based_and_negative_from_the_end():
    assert evaluate("[10, 20, 30][1]") == 10
    assert evaluate("[10, 20, 30][-1]") == 30
    assert evaluate("[10, 20, 30][4]") is None


def test_index_filter_may_be_a_variable():
    assert evaluate("xs[i]", {"xs": ["a", "b"], "i": 2}) == "b"


def test_path_on_a_list_collects_the_member_of_each_item():
    assert evaluate("lines.price", ORDERS) == [10, 99]


def test_in_a_list_tests_membership():
    assert evaluate('status in ["paid", "shipped"]', {"status": "paid"}) is True
    assert evaluate('status in ["paid", "shipped"]', {"status": "new"}) is False


def test_in_a_range_tests_containment_with_open_and_closed_ends():
    assert evaluate("5 in [1..5]") is True
    assert evaluate("5 in [1..5)") is False
    assert evaluate("5 in ]5..10]") is False
    assert evaluate("1 in (1..10)") is False


def test_in_unary_tests_matches_any_of_them():
    assert evaluate("x in (< 5, > 10)", {"x": 12}) is True
    assert evaluate("x in (< 5, > 10)", {"x": 7}) is False


def test_range_literal_is_a_value():
    assert evaluate("[1..10]") == Range(Decimal(1), Decimal(10), True, True)


def test_for_returns_a_list_and_ranges_count_whole_numbers():
    assert evaluate("for x in [1, 2, 3] return x * 2") == [2, 4, 6]
    assert evaluate("for i in 1..3 return i") == [1, 2, 3]
    assert evaluate("for i in 3..1 return i") == [3, 2, 1]


def test_for_over_several_lists_is_the_cartesian_product():
    assert evaluate("for x in [1, 2], y in [10, 20] return x + y") == [11, 21, 12, 22]


def test_for_over_null_is_empty():
    assert evaluate("for x in missing return x") == []


def test_some_and_every_quantify_over_lists():
    assert evaluate("some x in [1, 5] satisfies x > 3") is True
    assert evaluate("every x in [1, 5] satisfies x > 3") is False
    assert evaluate("every line in lines satisfies line.qty > 0", ORDERS) is True


def test_context_literal_builds_a_dict_and_later_entries_see_earlier_ones():
    assert evaluate('{a: 1, "b c": a + 1}') == {"a": 1, "b c": 2}


def test_context_with_duplicate_keys_is_refused():
    with pytest.raises(ExpressionError, match="twice"):
        compile_expression("{a: 1, a: 2}")


def test_context_equality_compares_entries():
    assert evaluate("{a: 1} = {a: 1.0}") is True
    assert evaluate("{a: 1} = {a: 2}") is False


def test_list_equality_compares_items():
    assert evaluate("[1, 2] = [1, 2]") is True
    assert evaluate("[1, 2] = [2, 1]") is False


def test_function_definition_can_be_called():
    assert evaluate("{double: function(x) x * 2, result: double(21)}.result") == 42


def test_calling_an_unknown_function_names_it():
    assert "'frobnicate' is not a built-in function" in compile_expression("frobnicate(1)").warnings[0]
    with pytest.raises(ExpressionError, match="'frobnicate'"):
        evaluate("frobnicate(1)")


def test_instance_of_checks_the_feel_type():
    assert evaluate("x instance of number", {"x": 1}) is True
    assert evaluate("x instance of string", {"x": 1}) is False
    assert evaluate('@"2024-01-01" instance of date') is True
    assert evaluate("x instance of date and time", {"x": None}) is False
    assert evaluate("[1] instance of list") is True
    assert evaluate("{} instance of context") is True


def test_names_bound_by_loops_are_not_top_level_names():
    assert compile_expression("some x in xs satisfies x > min").names == {"xs", "min"}
    assert compile_expression("{a: 1, b: a + c}").names == {"c"}


def test_python_callables_in_the_variables_are_never_called():
    called = []

    def spy(*args):
        called.append(args)
        return True

    with pytest.raises(ExpressionError, match="no function"):
        evaluate("f(1)", {"f": spy})
    assert evaluate("sort([2, 1], f)", {"f": spy}) is None
    assert called == []


def test_engine_supplied_feel_functions_can_be_called_with_named_arguments():
    from conveyor.engine.feel import FeelFunction

    payment = FeelFunction(("amount", "rate"), lambda amount, rate: amount * rate)
    assert evaluate("Payment(rate: 2, amount: 5)", {"Payment": payment}) == 10


def test_instance_of_reads_generic_and_function_types():
    assert evaluate("[1] instance of list<number>") is True
    assert evaluate("{a: 1} instance of context<a: number>") is True
    assert evaluate("(function(a) a) instance of function<Any> -> Any") is True
    assert evaluate("x instance of date and y", {"x": None, "y": True}) is False


def test_instance_of_an_unknown_type_is_false_with_a_warning():
    expression = compile_expression("x instance of tAmount")
    assert expression.evaluate({"x": 1}) is False
    assert "'tAmount' is not a FEEL type" in expression.warnings[0]


def test_partial_holds_the_results_so_far():
    assert evaluate("for i in 0..4 return if i = 0 then 1 else i * partial[-1]") == [1, 1, 2, 6, 24]


def test_engine_errors_from_engine_supplied_functions_pass_through_unchanged():
    from conveyor.engine.errors import DecisionError
    from conveyor.engine.feel import FeelFunction

    def refuse(amount):
        raise DecisionError("two rules matched")

    with pytest.raises(DecisionError, match="two rules matched"):
        evaluate("Check(5)", {"Check": FeelFunction(("amount",), refuse)})
