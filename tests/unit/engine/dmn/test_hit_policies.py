"""Each DMN hit policy, on tables built directly (no XML, no FEEL)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from dmn_builders import ANY, definitions, table_decision

from conveyor.engine.dmn import Aggregation, HitPolicy, evaluate_decision
from conveyor.engine.errors import DecisionError

SEASON_RULES = [
    (["Fall"], ["Spareribs"]),
    (["Winter"], ["Roastbeef"]),
    ([ANY], ["Stew"]),
]


def run(decision, **variables):
    return evaluate_decision(definitions(decision), decision.id, variables)


def test_unique_returns_the_single_matching_rule_output():
    decision = table_decision([(["Fall"], ["Spareribs"]), (["Winter"], ["Roastbeef"])])
    result = run(decision, x="Winter")
    assert result.value == "Roastbeef"
    assert [rule.index for rule in result.matched_rules] == [2]
    assert result.outputs == [{"out": "Roastbeef"}]


def test_unique_with_two_matching_rules_is_an_error_naming_both_rules():
    decision = table_decision(SEASON_RULES)
    with pytest.raises(DecisionError, match=r"UNIQUE.*rule 1 \(r1\), rule 3 \(r3\)"):
        run(decision, x="Fall")


def test_nothing_matched_gives_none_and_no_outputs():
    decision = table_decision([(["Fall"], ["Spareribs"])])
    result = run(decision, x="Summer")
    assert result.value is None
    assert result.outputs == []
    assert result.matched_rules == []


def test_first_takes_the_first_match_in_rule_order():
    decision = table_decision(SEASON_RULES, hit_policy=HitPolicy.FIRST)
    assert run(decision, x="Fall").value == "Spareribs"
    assert run(decision, x="Summer").value == "Stew"


def test_any_accepts_several_matches_that_agree():
    decision = table_decision([(["a"], ["yes"]), ([ANY], ["yes"])], hit_policy=HitPolicy.ANY)
    result = run(decision, x="a")
    assert result.value == "yes"
    assert len(result.outputs) == 1


def test_any_with_disagreeing_matches_is_an_error():
    decision = table_decision([(["a"], ["yes"]), ([ANY], ["no"])], hit_policy=HitPolicy.ANY)
    with pytest.raises(DecisionError, match="ANY"):
        run(decision, x="a")


def test_priority_picks_the_output_listed_first_in_output_values():
    decision = table_decision(
        [(["a"], ["Approved"]), ([ANY], ["Declined"])],
        hit_policy=HitPolicy.PRIORITY,
        priorities={"out": ["Declined", "Approved"]},
    )
    assert run(decision, x="a").value == "Declined"
    assert run(decision, x="b").value == "Declined"


def test_output_order_sorts_all_matches_by_output_value_priority():
    decision = table_decision(
        [(["a"], ["Low"]), ([ANY], ["High"]), (["a"], ["Medium"])],
        hit_policy=HitPolicy.OUTPUT_ORDER,
        priorities={"out": ["High", "Medium", "Low"]},
    )
    result = run(decision, x="a")
    assert result.value == ["High", "Medium", "Low"]
    assert [rule.index for rule in result.matched_rules] == [2, 3, 1]


def test_rule_order_lists_all_matches_in_rule_order():
    decision = table_decision(SEASON_RULES, hit_policy=HitPolicy.RULE_ORDER)
    assert run(decision, x="Winter").value == ["Roastbeef", "Stew"]


def test_collect_with_several_outputs_gives_a_list_of_dicts():
    decision = table_decision(
        [(["a"], ["x", 1]), ([ANY], ["y", 2])],
        hit_policy=HitPolicy.COLLECT,
        outputs=("name", "score"),
    )
    assert run(decision, x="a").value == [{"name": "x", "score": 1}, {"name": "y", "score": 2}]


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (Aggregation.SUM, Decimal("350")),
        (Aggregation.MIN, Decimal("50")),
        (Aggregation.MAX, Decimal("200")),
        (Aggregation.COUNT, Decimal("3")),
    ],
)
def test_collect_aggregates_the_matching_outputs(aggregation, expected):
    decision = table_decision(
        [([ANY], [Decimal(100)]), ([ANY], [Decimal(200)]), ([ANY], [Decimal(50)]), (["never"], [Decimal(9)])],
        hit_policy=HitPolicy.COLLECT,
        aggregation=aggregation,
    )
    result = run(decision, x="a")
    assert result.value == expected
    assert result.outputs == [{"out": expected}]
    assert len(result.matched_rules) == 3


def test_collect_count_of_nothing_is_zero_and_sum_of_nothing_is_none():
    rules = [(["never"], [Decimal(1)])]
    count = table_decision(rules, hit_policy=HitPolicy.COLLECT, aggregation=Aggregation.COUNT)
    total = table_decision(rules, hit_policy=HitPolicy.COLLECT, aggregation=Aggregation.SUM)
    assert run(count, x="a").value == Decimal(0)
    assert run(total, x="a").value is None


def test_collect_sum_of_text_outputs_is_an_error():
    decision = table_decision([([ANY], ["ten"])], hit_policy=HitPolicy.COLLECT, aggregation=Aggregation.SUM)
    with pytest.raises(DecisionError, match="not a number"):
        run(decision, x="a")


def test_default_output_is_used_when_no_rule_matches():
    decision = table_decision(
        [(["a"], ["Approved", "Best"])],
        outputs=("Status", "Rate"),
        defaults={"Status": "Declined", "Rate": "Standard"},
    )
    result = run(decision, x="zzz")
    assert result.value == {"Status": "Declined", "Rate": "Standard"}
    assert result.matched_rules == []


def test_default_output_only_for_some_outputs_leaves_the_others_none():
    decision = table_decision([(["a"], ["A", 1])], outputs=("Status", "Rate"), defaults={"Status": "none"})
    assert run(decision, x="b").value == {"Status": "none", "Rate": None}


def test_multi_hit_default_is_a_one_item_list():
    decision = table_decision([(["a"], ["A"])], hit_policy=HitPolicy.COLLECT, defaults={"out": "fallback"})
    assert run(decision, x="b").value == ["fallback"]


def test_typed_output_that_does_not_conform_becomes_none():
    decision = table_decision([([ANY], ["not a number"])], type_refs={"out": "number"})
    assert run(decision, x=1).value is None


def test_typed_number_output_turns_ints_into_decimals():
    decision = table_decision([([ANY], [7])], type_refs={"out": "number"})
    value = run(decision, x=1).value
    assert value == Decimal(7)
    assert isinstance(value, Decimal)
