"""Each remaining problem code, shown on the smallest model that has it, with its element id."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn

SUB_START = '<bpmn:startEvent id="inner"/><bpmn:sequenceFlow id="i1" sourceRef="inner" targetRef="innerEnd"/>'
SUB_START += '<bpmn:endEvent id="innerEnd"/>'

CASES = [
    (
        "bad_compensation_handler",
        "release",
        around('<bpmn:task id="task"/>')
        + '<bpmn:boundaryEvent id="comp" attachedToRef="task"><bpmn:compensateEventDefinition/>'
        '</bpmn:boundaryEvent><bpmn:task id="release"/>'
        '<bpmn:association id="a" sourceRef="comp" targetRef="release"/>',
    ),
    (
        "bad_form_constraint",
        "task",
        around(
            '<bpmn:userTask id="task"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="x"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="many"/>'
            "</camunda:validation></camunda:formField></camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        ),
    ),
    (
        "form_field_without_id",
        "task",
        around(
            '<bpmn:userTask id="task"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField type="long"/>'
            "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        ),
    ),
    (
        "bad_loop_maximum",
        "task",
        around(
            '<bpmn:task id="task"><bpmn:standardLoopCharacteristics loopMaximum="ten">'
            "<bpmn:loopCondition>=again</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>"
        ),
    ),
    ("bad_priority", "task", around('<bpmn:userTask id="task" camunda:priority="high"/>')),
    (
        "bad_retries",
        "task",
        around('<bpmn:serviceTask id="task" conveyor:handler="h" conveyor:retries="x"/>'),
    ),
    ("business_rule_task_without_decision", "task", around('<bpmn:businessRuleTask id="task"/>')),
    ("call_activity_without_process", "task", around('<bpmn:callActivity id="task"/>')),
    (
        "unsupported_decision_ref",
        "task",
        around('<bpmn:businessRuleTask id="task" camunda:decisionRef="${which}"/>'),
    ),
    (
        "mapping_without_target",
        "task",
        around(
            '<bpmn:callActivity id="task" calledElement="c"><bpmn:extensionElements>'
            '<camunda:in sourceExpression="${1}"/></bpmn:extensionElements></bpmn:callActivity>'
        ),
    ),
    ("script_without_body", "task", around('<bpmn:scriptTask id="task" scriptFormat="feel"/>')),
    (
        "script_result_unused",
        "task",
        around(
            '<bpmn:scriptTask id="task" scriptFormat="feel"><bpmn:script>1 + 1</bpmn:script>'
            "</bpmn:scriptTask>"
        ),
    ),
    (
        "timer_without_value",
        "task",
        around(
            '<bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition/>'
            "</bpmn:intermediateCatchEvent>"
        ),
    ),
    (
        "unknown_form_constraint",
        "task",
        around(
            '<bpmn:userTask id="task"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="x"><camunda:validation><camunda:constraint name="validator" config="x"/>'
            "</camunda:validation></camunda:formField></camunda:formData></bpmn:extensionElements></bpmn:userTask>"
        ),
    ),
    ("missing_id", None, around('<bpmn:task id="task"/>') + "<bpmn:task/>"),
    (
        "error_without_code",
        "fail",
        '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fail"/>'
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition/></bpmn:endEvent>',
    ),
    (
        "subprocess_without_start",
        "task",
        around('<bpmn:subProcess id="task"><bpmn:task id="t"/></bpmn:subProcess>'),
    ),
    (
        "subprocess_start_events",
        "task",
        around(
            f'<bpmn:subProcess id="task">{SUB_START}<bpmn:startEvent id="s2"/>'
            '<bpmn:sequenceFlow id="i2" sourceRef="s2" targetRef="innerEnd"/></bpmn:subProcess>'
        ),
    ),
    (
        "event_subprocess_start",
        "esp",
        around('<bpmn:task id="task"/>')
        + '<bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:task id="t"/></bpmn:subProcess>',
    ),
    (
        "event_subprocess_connected",
        "task",
        around(
            '<bpmn:subProcess id="task" triggeredByEvent="true"><bpmn:startEvent id="inner">'
            '<bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>'
            '</bpmn:startEvent><bpmn:sequenceFlow id="i1" sourceRef="inner" targetRef="innerEnd"/>'
            '<bpmn:endEvent id="innerEnd"/></bpmn:subProcess>'
        ),
    ),
]


@pytest.mark.parametrize(("code", "element_id", "body"), CASES, ids=[case[0] for case in CASES])
def test_problem_is_reported_with_its_element_and_line(code: str, element_id: str | None, body: str) -> None:
    problems = [p for p in check_bpmn(document(body), file="m.bpmn") if p.code == code]
    assert problems, f"expected {code}"
    problem = problems[0]
    assert problem.element_id == element_id
    assert problem.line is not None and problem.file == "m.bpmn"
    assert problem.message
