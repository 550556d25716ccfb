"""Validation: every error and warning names the element and its line, all reported at once."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.errors import ModelError, Problem


def problems(body: str, **kw: str) -> list[Problem]:
    return check_bpmn(document(body, **kw), file="model.bpmn")


def errors(body: str, **kw: str) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in problems(body, **kw) if p.severity == "error"]


def warnings(body: str, **kw: str) -> list[tuple[str, str | None]]:
    return [(p.code, p.element_id) for p in problems(body, **kw) if p.severity == "warning"]


START_END = '<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>'


def test_flow_to_an_unknown_element_suggests_the_closest_id() -> None:
    found = problems(around('<bpmn:task id="task"/>').replace('targetRef="end"', 'targetRef="ned"'))
    (problem,) = [p for p in found if p.severity == "error"]
    assert (problem.code, problem.element_id, problem.file) == ("unknown_flow_end", "f2", "model.bpmn")
    assert problem.hint == "did you mean 'end'?"
    assert problem.line is not None


def test_flow_without_source_is_an_error() -> None:
    body = START_END + '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'
    body += '<bpmn:sequenceFlow id="f2" targetRef="end"/>'
    assert errors(body) == [("flow_without_end", "f2")]


def test_flow_into_another_scope_is_an_error() -> None:
    body = around(
        """<bpmn:subProcess id="task">
             <bpmn:startEvent id="inner"/><bpmn:sequenceFlow id="i1" sourceRef="inner" targetRef="end"/>
           </bpmn:subProcess>"""
    )
    assert ("flow_crosses_scope", "i1") in errors(body)


def test_duplicate_ids_are_an_error() -> None:
    body = around('<bpmn:task id="task"/><bpmn:task id="task"/>')
    assert ("duplicate_id", "task") in errors(body)


def test_gateway_without_outgoing_flow_is_an_error() -> None:
    body = '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="gw"/>'
    body += '<bpmn:exclusiveGateway id="gw"/>'
    assert errors(body) == [("gateway_without_outgoing", "gw")]


def test_start_event_without_outgoing_flow_is_an_error_but_a_task_may_end_the_path() -> None:
    body = '<bpmn:startEvent id="start"/><bpmn:startEvent id="s2"/>'
    body += '<bpmn:sequenceFlow id="f1" sourceRef="s2" targetRef="t"/><bpmn:task id="t"/>'
    assert errors(body) == [("start_without_outgoing", "start")]


def test_executable_process_without_a_start_event_is_an_error() -> None:
    assert errors('<bpmn:task id="t"/>') == [("no_start_event", "p")]


def test_boundary_event_attached_to_nothing_or_to_a_gateway_is_an_error() -> None:
    body = around('<bpmn:task id="task"/>')
    for boundary, host in (("b1", "tsak"), ("b2", "start")):
        body += f'<bpmn:boundaryEvent id="{boundary}" attachedToRef="{host}">'
        body += "<bpmn:messageEventDefinition/></bpmn:boundaryEvent>"
    found = [p for p in problems(body) if p.code == "boundary_not_attached"]
    assert [p.element_id for p in found] == ["b1", "b2"]
    assert found[0].hint == "did you mean 'task'?"


def test_link_throw_without_a_matching_catch_is_an_error() -> None:
    body = '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="jump"/>'
    body += '<bpmn:intermediateThrowEvent id="jump">'
    body += '<bpmn:linkEventDefinition name="B"/></bpmn:intermediateThrowEvent>'
    assert errors(body) == [("link_without_catch", "jump")]


def test_event_based_gateway_must_lead_to_catch_events() -> None:
    body = around(
        '<bpmn:eventBasedGateway id="task"/>'
    ).replace('targetRef="end"', 'targetRef="t2"') + '<bpmn:task id="t2"/>'
    assert ("bad_event_gateway_target", "task") in errors(body)


def test_default_flow_must_leave_its_gateway() -> None:
    body = around('<bpmn:exclusiveGateway id="task" default="f1"/>')
    assert errors(body) == [("bad_default_flow", "task")]


def test_bad_condition_syntax_names_the_flow_and_the_position() -> None:
    body = around('<bpmn:exclusiveGateway id="task"/>').replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end">'
        "<bpmn:conditionExpression>=total &gt;&gt; 3</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    (problem,) = [p for p in problems(body) if p.severity == "error"]
    assert (problem.code, problem.element_id) == ("bad_expression", "f2")
    assert "total >> 3" in problem.message and "position" in problem.message


def test_exclusive_gateway_with_only_conditional_flows_and_no_default_warns() -> None:
    body = '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>'
    body += '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
    for flow, target, cond in (("fa", "a", "=x &gt; 1"), ("fb", "b", "=x &lt; 1")):
        body += (
            f'<bpmn:sequenceFlow id="{flow}" sourceRef="gw" targetRef="{target}">'
            f"<bpmn:conditionExpression>{cond}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        )
    assert warnings(body) == [("no_default_flow", "gw")]


def test_condition_on_a_parallel_gateway_flow_warns_that_it_is_ignored() -> None:
    body = around('<bpmn:parallelGateway id="task"/>').replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end">'
        "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    assert warnings(body) == [("condition_ignored", "f2")]


def test_unreachable_nodes_warn() -> None:
    body = around('<bpmn:task id="task"/>') + '<bpmn:task id="orphan"/>'
    assert warnings(body) == [("unreachable", "orphan")]


def test_problems_carry_file_line_name_and_hint() -> None:
    body = around('<bpmn:complexGateway id="task" name="Odd gateway"/>')
    with pytest.raises(ModelError) as caught:
        parse_bpmn(document(body), file="odd.bpmn")
    (problem,) = caught.value.errors
    assert problem.code == "unsupported_element"
    assert (problem.element_id, problem.element_name, problem.file) == ("task", "Odd gateway", "odd.bpmn")
    assert problem.line == 7
    assert problem.hint is not None and problem.hint.startswith("use an inclusive gateway")
    assert "odd.bpmn:7" in str(caught.value)


@pytest.mark.parametrize("tag", ["adHocSubProcess", "transaction", "complexGateway"])
def test_unsupported_elements_are_refused_in_executable_processes(tag: str) -> None:
    body = around(f'<bpmn:{tag} id="task"/>')
    assert ("unsupported_element", "task") in errors(body)


def test_unknown_bpmn_elements_are_refused_never_skipped() -> None:
    body = around('<bpmn:task id="task"/>') + '<bpmn:futureThing id="x"/>'
    assert ("unsupported_element", "x") in errors(body)


def test_parse_raises_with_all_errors_and_keeps_warnings_on_definitions() -> None:
    body = around('<bpmn:serviceTask id="task"/>')
    defs = parse_bpmn(document(body))
    assert [w.code for w in defs.warnings] == ["service_task_without_type"]
    assert all(w.severity == "warning" for w in defs.warnings)


def test_flows_into_a_start_event_or_out_of_an_end_event_are_errors() -> None:
    body = around('<bpmn:task id="task"/>')
    body += '<bpmn:sequenceFlow id="back" sourceRef="end" targetRef="start"/>'
    assert sorted(errors(body)) == [("flow_into_start", "start"), ("flow_out_of_end", "end")]


def test_activity_whose_outgoing_flows_all_have_conditions_and_no_default_warns() -> None:
    body = around('<bpmn:task id="task"/>').replace(
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end">'
        "<bpmn:conditionExpression>=ok</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    assert warnings(body) == [("no_default_flow", "task")]


def test_instantiating_event_based_gateway_is_refused() -> None:
    body = around('<bpmn:eventBasedGateway id="task" instantiate="true"/>')
    assert ("unsupported_element", "task") in errors(body)


def test_condition_on_a_flow_out_of_an_event_warns_that_it_is_ignored() -> None:
    body = around('<bpmn:task id="task"/>').replace(
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>',
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task">'
        "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    assert warnings(body) == [("condition_ignored", "f1")]


def test_boundary_event_without_outgoing_flow_warns_that_its_path_ends() -> None:
    body = around('<bpmn:userTask id="task"/>')
    body += '<bpmn:boundaryEvent id="late" attachedToRef="task"><bpmn:timerEventDefinition>'
    body += "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    (problem,) = problems(body)
    assert (problem.code, problem.element_id) == ("boundary_without_outgoing", "late")
    assert problem.severity == "warning"
    assert "cancelled" in problem.message


def test_compensation_boundary_event_with_an_outgoing_flow_is_an_error() -> None:
    body = around('<bpmn:serviceTask id="task" conveyor:handler="charge"/>')
    body += '<bpmn:boundaryEvent id="comp" attachedToRef="task"><bpmn:compensateEventDefinition/>'
    body += "</bpmn:boundaryEvent>"
    body += '<bpmn:serviceTask id="refund" isForCompensation="true" conveyor:handler="r"/>'
    body += '<bpmn:association id="a" sourceRef="comp" targetRef="refund"/>'
    body += '<bpmn:sequenceFlow id="wrong" sourceRef="comp" targetRef="end"/>'
    assert errors(body) == [("compensation_with_flow", "comp")]


def test_condition_on_a_default_flow_warns_that_it_is_ignored() -> None:
    body = '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>'
    body += '<bpmn:exclusiveGateway id="gw" default="fb"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
    body += '<bpmn:sequenceFlow id="fa" sourceRef="gw" targetRef="a"/>'
    body += '<bpmn:sequenceFlow id="fb" sourceRef="gw" targetRef="b">'
    body += "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>"
    assert warnings(body) == [("condition_ignored", "fb")]
