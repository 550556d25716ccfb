"""Camunda 7 ``mapDecisionResult`` modes and the Camunda 8 ``result.value``."""

from __future__ import annotations

import pytest
from dmn_builders import ANY, definitions, table_decision

from conveyor.engine.dmn import DecisionResult, HitPolicy, evaluate_decision, map_decision_result
from conveyor.engine.errors import DecisionError


def result_with(rows):
    return DecisionResult("d", "D", None, outputs=rows)


def test_result_list_is_the_default_and_gives_every_row():
    rows = [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert map_decision_result(result_with(rows)) == rows
    assert map_decision_result(result_with(rows), "resultList") == rows
    assert map_decision_result(result_with([]), "resultList") == []


def test_single_entry_gives_the_one_value():
    assert map_decision_result(result_with([{"dish": "Stew"}]), "singleEntry") == "Stew"
    assert map_decision_result(result_with([]), "singleEntry") is None


def test_single_entry_with_two_outputs_is_refused():
    with pytest.raises(DecisionError, match=r"2 outputs.*singleEntry"):
        map_decision_result(result_with([{"a": 1, "b": 2}]), "singleEntry")


def test_single_entry_with_two_rows_is_refused():
    with pytest.raises(DecisionError, match=r"2 results.*singleEntry"):
        map_decision_result(result_with([{"a": 1}, {"a": 2}]), "singleEntry")


def test_single_result_gives_the_one_row_as_a_dict():
    assert map_decision_result(result_with([{"a": 1, "b": 2}]), "singleResult") == {"a": 1, "b": 2}
    assert map_decision_result(result_with([]), "singleResult") is None
    with pytest.raises(DecisionError, match="singleResult"):
        map_decision_result(result_with([{"a": 1}, {"a": 2}]), "singleResult")


def test_collect_entries_gives_the_one_output_of_every_row():
    assert map_decision_result(result_with([{"a": 1}, {"a": 2}]), "collectEntries") == [1, 2]
    assert map_decision_result(result_with([]), "collectEntries") == []
    with pytest.raises(DecisionError, match="collectEntries"):
        map_decision_result(result_with([{"a": 1, "b": 2}]), "collectEntries")


def test_unknown_mode_is_refused_naming_the_valid_ones():
    with pytest.raises(DecisionError, match="singleEntry, singleResult, collectEntries, resultList, value"):
        map_decision_result(result_with([]), "firstEntry")


def test_mapping_a_collect_table_result_end_to_end():
    decision = table_decision([([ANY], ["Water"]), (["kids"], ["Apple Juice"])], hit_policy=HitPolicy.COLLECT)
    result = evaluate_decision(definitions(decision), "d", {"x": "kids"})
    assert result.value == ["Water", "Apple Juice"]  # what zeebe:calledDecision resultVariable stores
    assert map_decision_result(result, "collectEntries") == ["Water", "Apple Juice"]
    assert map_decision_result(result, "resultList") == [{"out": "Water"}, {"out": "Apple Juice"}]
    assert map_decision_result(result, "value") == ["Water", "Apple Juice"]


def test_a_result_reads_as_plain_data_for_the_history():
    decision = table_decision([(["kids"], ["Apple Juice"])], hit_policy=HitPolicy.COLLECT)
    record = evaluate_decision(definitions(decision), "d", {"x": "kids"}).as_dict()
    assert record == {
        "decision_id": "d",
        "decision_name": "D",
        "value": ["Apple Juice"],
        "outputs": [{"out": "Apple Juice"}],
        "matched_rules": [{"index": 1, "id": "r1"}],
        "evaluated": {},
    }
