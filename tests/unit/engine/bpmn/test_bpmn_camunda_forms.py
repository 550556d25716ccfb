"""Camunda 8 user tasks get a validated form from the Camunda Forms JSON embedded in the model."""

from __future__ import annotations

import json

from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.model import UserTask

SCHEMA = {
    "components": [
        {"type": "text", "text": "Check the return before refunding."},
        {"key": "orderId", "label": "Order", "type": "textfield", "disabled": True},
        {
            "type": "group",
            "components": [
                {
                    "key": "amount",
                    "label": "Refund amount",
                    "type": "number",
                    "validate": {"required": True, "min": 0, "max": 5000},
                },
                {"key": "items", "type": "number", "decimalDigits": 0},
            ],
        },
        {
            "key": "reason",
            "label": "Reason",
            "type": "select",
            "values": [{"label": "Damaged", "value": "damaged"}, {"label": "Late", "value": "late"}],
            "defaultValue": "damaged",
        },
        {
            "key": "note",
            "type": "textarea",
            "validate": {"minLength": 3, "maxLength": 500, "pattern": "[^<>]*"},
        },
        {"key": "approve", "type": "checkbox"},
        {"key": "pickup", "type": "datetime"},
    ]
}


def user_task(schema_text: str, form_key: str = "camunda-forms:bpmn:refundForm") -> str:
    body = around(
        '<bpmn:userTask id="task"><bpmn:extensionElements>'
        f'<zeebe:formDefinition formKey="{form_key}"/></bpmn:extensionElements></bpmn:userTask>'
    )
    form = f'<bpmn:extensionElements><zeebe:userTaskForm id="refundForm"><![CDATA[{schema_text}]]>'
    return document(form + "</zeebe:userTaskForm></bpmn:extensionElements>" + body)


def test_embedded_form_components_become_validated_form_fields() -> None:
    task = parse_bpmn(user_task(json.dumps(SCHEMA))).processes["p"].node("task")
    assert isinstance(task, UserTask)
    fields = {f.id: f for f in task.form_fields}
    assert list(fields) == ["orderId", "amount", "items", "reason", "note", "approve", "pickup"]
    assert fields["orderId"].readonly
    amount = fields["amount"]
    assert (amount.type, amount.required, amount.minimum, amount.maximum) == ("number", True, 0, 5000)
    assert fields["items"].type == "long"
    reason = fields["reason"]
    assert (reason.type, reason.values, reason.default) == (
        "enum",
        (("damaged", "Damaged"), ("late", "Late")),
        "damaged",
    )
    note = fields["note"]
    assert (note.type, note.min_length, note.max_length, note.pattern) == ("string", 3, 500, "[^<>]*")
    assert (fields["approve"].type, fields["pickup"].type) == ("boolean", "date")


def test_embedded_form_that_is_not_json_is_an_error() -> None:
    problems = check_bpmn(user_task("{not json"))
    assert [(p.code, p.element_id) for p in problems] == [("bad_form", "task")]


def test_form_key_naming_no_embedded_form_is_an_error() -> None:
    problems = check_bpmn(user_task("{}", form_key="camunda-forms:bpmn:otherForm"))
    assert [(p.code, p.element_id) for p in problems] == [("unknown_form", "task")]
