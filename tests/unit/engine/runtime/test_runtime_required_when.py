"""A form field's ``requiredWhen`` at completion: over the submitted data and the task's variables."""

from __future__ import annotations

import pytest
from runtime_models import document, flows

from conveyor.engine.bpmn.model import FormField
from conveyor.engine.feel import compile_expression
from conveyor.engine.runtime import FormError, validate_form

REVIEW = """<userTask id="review"><extensionElements><camunda:formData>
  <camunda:formField id="approved" type="boolean"><camunda:validation>
    <camunda:constraint name="required"/></camunda:validation></camunda:formField>
  <camunda:formField id="reason" type="string"><camunda:properties>
    <camunda:property id="requiredWhen" value="approved = false"/></camunda:properties></camunda:formField>
  <camunda:formField id="reference" type="string" conveyor:requiredWhen="amount &gt; limit"/>
</camunda:formData></extensionElements></userTask>"""

MODEL = document(
    '<startEvent id="start"/>' + REVIEW + '<endEvent id="end"/>' + flows("start -> review -> end")
)


def test_a_rejection_without_a_reason_is_refused_naming_the_field_and_the_condition(run):
    rt = run(MODEL).start({"amount": 10, "limit": 100})
    for data in (
        {"approved": False},
        {"approved": False, "reason": ""},
        {"approved": "false", "reason": "  "},
    ):
        with pytest.raises(FormError) as caught:
            rt.complete("review", data)
        assert caught.value.field_errors == {"reason": "is required when approved = false"}
    assert rt.state == "active" and rt.waiting == [("review", "userTask")]
    assert "reason" not in rt.variables and "approved" not in rt.variables


def test_an_approval_needs_no_reason_and_a_rejection_with_one_completes(run):
    approved = run(MODEL).start({"amount": 10, "limit": 100})
    approved.complete("review", {"approved": True})
    assert approved.state == "completed" and approved.variables["approved"] is True
    rejected = run(MODEL).start({"amount": 10, "limit": 100})
    rejected.complete("review", {"approved": "false", "reason": "damaged"})
    assert rejected.state == "completed"
    assert (rejected.variables["approved"], rejected.variables["reason"]) == (False, "damaged")


def test_the_condition_reads_the_tasks_variables_under_the_submitted_data(run):
    rt = run(MODEL).start({"amount": 500, "limit": 100})
    with pytest.raises(FormError) as caught:
        rt.complete("review", {"approved": True})
    assert caught.value.field_errors == {"reference": "is required when amount > limit"}
    # submitted data wins over the task's variables
    rt.complete("review", {"approved": True, "limit": 1000})
    assert rt.state == "completed"


def test_a_wrong_value_elsewhere_is_reported_with_the_missing_conditional_field():
    fields = (
        FormField("approved", type="boolean", required=True),
        FormField("count", type="long"),
        FormField("reason", required_when=compile_expression("approved = false")),
    )
    with pytest.raises(FormError) as caught:
        validate_form(fields, {"approved": "false", "count": "many"})
    assert caught.value.field_errors == {
        "count": "must be a whole number",
        "reason": "is required when approved = false",
    }


def test_a_condition_that_is_not_true_leaves_the_field_optional():
    fields = (FormField("reason", required_when=compile_expression("approved = false")),)
    assert validate_form(fields, {}) == {}  # approved unknown: null = false is false
    assert validate_form(fields, {"approved": None}, {"approved": True}) == {"approved": None}
    with pytest.raises(FormError):
        validate_form(fields, {}, {"approved": False})
