"""``requiredWhen`` on a Camunda 7 form field: read from a camunda:property or conveyor:requiredWhen."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.model import UserTask
from conveyor.engine.errors import ModelError


def _form(fields: str) -> str:
    return document(
        around(
            '<bpmn:userTask id="task"><bpmn:extensionElements><camunda:formData>\n'
            '<camunda:formField id="approved" type="boolean"><camunda:validation>'
            '<camunda:constraint name="required"/></camunda:validation></camunda:formField>\n'
            f"{fields}\n"
            "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        )
    )


def _reason(xml: str) -> tuple[str, object]:
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, UserTask)
    reason = next(f for f in task.form_fields if f.id == "reason")
    assert reason.required_when is not None
    return reason.required_when.source, reason.required_when


def test_a_camunda_property_named_required_when_becomes_the_fields_condition() -> None:
    xml = _form(
        '<camunda:formField id="reason" type="string"><camunda:properties>'
        '<camunda:property id="requiredWhen" value="approved = false"/>'
        "</camunda:properties></camunda:formField>"
    )
    source, condition = _reason(xml)
    assert source == "approved = false"
    assert condition.evaluate({"approved": False}) is True  # type: ignore[attr-defined]
    assert condition.evaluate({"approved": True}) is False  # type: ignore[attr-defined]


def test_the_conveyor_attribute_is_read_too_and_an_equal_property_beside_it_is_fine() -> None:
    xml = _form(
        '<camunda:formField id="reason" type="string" conveyor:requiredWhen="=not(approved)">'
        '<camunda:properties><camunda:property id="requiredWhen" value=" =not(approved) "/>'
        "</camunda:properties></camunda:formField>"
    )
    source, _ = _reason(xml)
    assert source == "=not(approved)"
    assert parse_bpmn(xml).warnings == ()


def test_a_field_without_the_property_or_with_other_properties_has_no_condition() -> None:
    xml = _form(
        '<camunda:formField id="reason" type="string"><camunda:properties>'
        '<camunda:property id="placeholder" value="why?"/></camunda:properties></camunda:formField>'
    )
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, UserTask)
    assert [f.required_when for f in task.form_fields] == [None, None]


def test_a_feel_syntax_error_is_a_model_error_naming_the_task_the_field_and_the_line() -> None:
    xml = _form(
        '<camunda:formField id="reason" type="string"><camunda:properties>\n'
        '<camunda:property id="requiredWhen" value="approved = = false"/>\n'
        "</camunda:properties></camunda:formField>"
    )
    [problem] = check_bpmn(xml)
    assert (problem.severity, problem.code, problem.element_id) == ("error", "bad_expression", "task")
    assert "requiredWhen" in problem.message and "'reason'" in problem.message
    assert (
        problem.line
        == xml.splitlines().index(next(line for line in xml.splitlines() if "approved = = false" in line)) + 1
    )
    with pytest.raises(ModelError):
        parse_bpmn(xml)


@pytest.mark.parametrize(
    "field",
    [
        '<camunda:formField id="reason" type="string" conveyor:requiredWhen="  "/>',
        '<camunda:formField id="reason" type="string" conveyor:requiredWhen="approved = false">'
        '<camunda:properties><camunda:property id="requiredWhen" value="approved = true"/>'
        "</camunda:properties></camunda:formField>",
    ],
    ids=["empty", "two-different-conditions"],
)
def test_an_empty_or_a_doubled_condition_is_a_model_error(field: str) -> None:
    problems = check_bpmn(_form(field))
    assert problems and all(p.severity == "error" and p.element_id == "task" for p in problems)
    assert all("'reason'" in p.message for p in problems)
