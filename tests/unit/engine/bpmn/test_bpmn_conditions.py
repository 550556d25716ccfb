"""Sequence-flow conditions in every dialect models are written in."""

from __future__ import annotations

import pytest
from bpmn_samples import NAMESPACES

from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.bpmn.model import Evaluable
from conveyor.engine.bpmn.xpath import xpath_to_feel
from conveyor.engine.errors import ModelError


def condition_of(text: str, language: str = "", expression_language: str = "") -> Evaluable | None:
    lang = f' language="{language}"' if language else ""
    default = f' expressionLanguage="{expression_language}"' if expression_language else ""
    xml = f"""<bpmn:definitions {NAMESPACES}{default}>
      <bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="gw"/>
        <bpmn:exclusiveGateway id="gw" default="other"/>
        <bpmn:sequenceFlow id="cond" sourceRef="gw" targetRef="e">
          <bpmn:conditionExpression{lang}><![CDATA[{text}]]></bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:sequenceFlow id="other" sourceRef="gw" targetRef="e"/>
        <bpmn:endEvent id="e"/>
      </bpmn:process></bpmn:definitions>"""
    return parse_bpmn(xml).processes["p"].all_flows["cond"].condition


@pytest.mark.parametrize(
    "text",
    ["=total > 1000", "total > 1000", "${total > 1000}", "#{total gt 1000}"],
    ids=["camunda-8-feel", "plain-feel", "camunda-7-juel", "juel-hash"],
)
def test_conditions_in_feel_and_juel_evaluate(text: str) -> None:
    condition = condition_of(text)
    assert condition is not None
    assert condition.evaluate({"total": 1500}) is True
    assert condition.evaluate({"total": 10}) is False


def test_xpath_data_access_conditions_are_read_when_the_file_says_xpath() -> None:
    condition = condition_of(
        "bpmn:getDataObject('clarified') = 'yes'", expression_language="http://www.w3.org/1999/XPath"
    )
    assert condition is not None
    assert condition.evaluate({"clarified": "yes"}) is True
    assert condition.source == "bpmn:getDataObject('clarified') = 'yes'"


def test_xpath_rewrite_turns_data_access_and_quotes_into_feel() -> None:
    assert xpath_to_feel("not(bpmn:getDataObject('approved'))") == "not(approved)"
    assert xpath_to_feel("level == 'gold'") == 'level = "gold"'


def test_condition_in_an_unsupported_language_is_refused() -> None:
    with pytest.raises(ModelError, match="javascript"):
        condition_of("total > 1", language="javascript")


@pytest.mark.parametrize(
    ("text", "done", "expected"), [("not done", False, True), ("x and not done", True, False)]
)
def test_unmarked_python_comparisons_that_feel_would_misread_are_read_as_python(
    text: str, done: bool, expected: bool
) -> None:
    condition = condition_of(text)
    assert condition is not None
    assert condition.evaluate({"done": done, "x": True}) is expected


def test_feel_names_with_spaces_stay_feel() -> None:
    condition = condition_of('Vacation Approval = "Approved"')
    assert condition is not None
    assert condition.evaluate({"Vacation Approval": "Approved"}) is True


def test_explicit_feel_reading_a_name_that_starts_with_not_warns() -> None:
    xml = f"""<bpmn:definitions {NAMESPACES}>
      <bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="s"/>
        <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e">
          <bpmn:conditionExpression>=not done</bpmn:conditionExpression>
        </bpmn:sequenceFlow>
        <bpmn:endEvent id="e"/>
      </bpmn:process></bpmn:definitions>"""
    codes = [(w.code, w.element_id) for w in parse_bpmn(xml).warnings]
    assert ("suspicious_name", "f") in codes
