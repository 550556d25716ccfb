"""Events, their definitions, boundary events, compensation and event sub-processes."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import check_bpmn, parse_bpmn
from conveyor.engine.bpmn.model import (
    Activity,
    BoundaryEvent,
    Const,
    Event,
    ProcessSpec,
    SubProcess,
    TimerKind,
    Trigger,
)
from conveyor.engine.errors import ModelError

ROOTS = """
<bpmn:message id="Msg_order" name="order.created">
  <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements>
</bpmn:message>
<bpmn:message id="Msg_cancel" name="order.cancelled"/>
<bpmn:signal id="Sig_stop" name="stop-the-line"/>
<bpmn:error id="Err_stock" name="No stock" errorCode="OUT_OF_STOCK"/>
<bpmn:escalation id="Esc_late" name="Late" escalationCode="LATE"/>
"""


def process_of(body: str, roots: str = ROOTS) -> ProcessSpec:
    return parse_bpmn(document(body, roots=roots)).processes["p"]


def test_message_start_event_knows_its_message_and_correlation_key() -> None:
    process = process_of(
        """<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="Msg_order"/></bpmn:startEvent>
           <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/><bpmn:endEvent id="end"/>"""
    )
    start = process.node("start")
    assert isinstance(start, Event)
    assert start.trigger is Trigger.MESSAGE
    message = start.definitions[0].message
    assert message is not None and message.name == "order.created"
    assert message.correlation_key is not None
    assert message.correlation_key.evaluate({"orderId": "A-1"}) == "A-1"


@pytest.mark.parametrize(
    ("body", "kind", "value"),
    [
        ("<bpmn:timeDuration>PT5M</bpmn:timeDuration>", TimerKind.DURATION, "PT5M"),
        ('<bpmn:timeDuration>"PT0.5S"</bpmn:timeDuration>', TimerKind.DURATION, "PT0.5S"),
        ("<bpmn:timeDate>2026-03-01T09:00:00Z</bpmn:timeDate>", TimerKind.DATE, "2026-03-01T09:00:00Z"),
        ("<bpmn:timeCycle>R3/PT10M</bpmn:timeCycle>", TimerKind.CYCLE, "R3/PT10M"),
        ("<bpmn:timeCycle>0 0 9 * * MON-FRI</bpmn:timeCycle>", TimerKind.CYCLE, "0 0 9 * * MON-FRI"),
    ],
)
def test_timer_constants_are_read_as_iso_8601_values(body: str, kind: TimerKind, value: str) -> None:
    process = process_of(
        around(f'<bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>{body}'
               "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    )
    timer = process.node("task")
    assert isinstance(timer, Event)
    (definition,) = timer.definitions
    assert definition.trigger is Trigger.TIMER
    assert definition.timer_kind is kind
    assert isinstance(definition.timer_value, Const) and definition.timer_value.value == value


def test_timer_expressions_are_compiled() -> None:
    process = process_of(
        around('<bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>'
               "<bpmn:timeDate>=shipBy</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    )
    timer = process.node("task")
    assert isinstance(timer, Event)
    value = timer.definitions[0].timer_value
    assert value is not None and value.evaluate({"shipBy": "2026-01-01"}) == "2026-01-01"


def test_timer_with_a_value_that_is_not_iso_8601_is_an_error_with_a_hint() -> None:
    xml = document(
        around('<bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>'
               "<bpmn:timeDuration>5 minutes</bpmn:timeDuration>"
               "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    )
    with pytest.raises(ModelError) as caught:
        parse_bpmn(xml)
    (problem,) = caught.value.errors
    assert (problem.code, problem.element_id) == ("bad_timer", "task")
    assert problem.hint is not None and "PT15M" in problem.hint


def test_boundary_events_attach_to_their_activity() -> None:
    process = process_of(
        around('<bpmn:userTask id="task"/>')
        + """<bpmn:boundaryEvent id="late" attachedToRef="task" cancelActivity="false">
               <bpmn:timerEventDefinition><bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition>
             </bpmn:boundaryEvent>
             <bpmn:boundaryEvent id="nostock" attachedToRef="task">
               <bpmn:errorEventDefinition errorRef="Err_stock"/>
             </bpmn:boundaryEvent>
             <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="remind"/>
             <bpmn:task id="remind"/>
             <bpmn:sequenceFlow id="f4" sourceRef="nostock" targetRef="end"/>"""
    )
    task = process.node("task")
    assert isinstance(task, Activity)
    assert task.boundary_events == ("late", "nostock")
    late, nostock = process.node("late"), process.node("nostock")
    assert isinstance(late, BoundaryEvent) and isinstance(nostock, BoundaryEvent)
    assert (late.attached_to, late.cancel_activity, late.trigger) == ("task", False, Trigger.TIMER)
    assert nostock.cancel_activity
    error = nostock.definitions[0].error
    assert error is not None and error.code == "OUT_OF_STOCK"


def test_compensation_boundary_links_the_handler_to_the_activity() -> None:
    process = process_of(
        around('<bpmn:serviceTask id="task" conveyor:handler="inventory.reserve"/>')
        + """<bpmn:boundaryEvent id="comp" attachedToRef="task">
               <bpmn:compensateEventDefinition/>
             </bpmn:boundaryEvent>
             <bpmn:serviceTask id="release" isForCompensation="true" conveyor:handler="inventory.release"/>
             <bpmn:association id="a1" associationDirection="One" sourceRef="comp" targetRef="release"/>"""
    )
    task, release = process.node("task"), process.node("release")
    assert isinstance(task, Activity) and isinstance(release, Activity)
    assert task.compensation_handler == "release"
    assert release.is_for_compensation


def test_compensation_boundary_without_handler_is_an_error() -> None:
    xml = document(
        around('<bpmn:task id="task"/>')
        + '<bpmn:boundaryEvent id="comp" attachedToRef="task">'
        + "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>",
        roots=ROOTS,
    )
    codes = [(p.code, p.element_id) for p in check_bpmn(xml) if p.severity == "error"]
    assert codes == [("compensation_without_handler", "comp")]


def test_event_sub_process_is_listed_in_its_scope_with_a_non_interrupting_start() -> None:
    process = process_of(
        around('<bpmn:task id="task"/>')
        + """<bpmn:subProcess id="onCancel" triggeredByEvent="true">
               <bpmn:startEvent id="cancelStart" isInterrupting="false">
                 <bpmn:messageEventDefinition messageRef="Msg_cancel"/>
               </bpmn:startEvent>
               <bpmn:sequenceFlow id="c1" sourceRef="cancelStart" targetRef="cancelEnd"/>
               <bpmn:endEvent id="cancelEnd"/>
             </bpmn:subProcess>"""
    )
    assert process.body.event_subprocesses == ("onCancel",)
    sub = process.node("onCancel")
    assert isinstance(sub, SubProcess) and sub.triggered_by_event
    assert sub.body.start_events == ("cancelStart",)
    start = process.node("cancelStart")
    assert isinstance(start, Event) and not start.interrupting
    assert start.parent == "onCancel"
    assert process.all_flows["c1"].parent == "onCancel"


def test_end_events_throw_error_escalation_signal_and_terminate() -> None:
    process = process_of(
        """<bpmn:startEvent id="start"/>
           <bpmn:parallelGateway id="fork"/>
           <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
           <bpmn:endEvent id="e1"><bpmn:errorEventDefinition errorRef="Err_stock"/></bpmn:endEvent>
           <bpmn:endEvent id="e2"><bpmn:escalationEventDefinition escalationRef="Esc_late"/></bpmn:endEvent>
           <bpmn:endEvent id="e3"><bpmn:signalEventDefinition signalRef="Sig_stop"/></bpmn:endEvent>
           <bpmn:endEvent id="e4"><bpmn:terminateEventDefinition/></bpmn:endEvent>
           <bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="e1"/>
           <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="e2"/>
           <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="e3"/>
           <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="e4"/>"""
    )
    ends = [process.node(f"e{i}") for i in range(1, 5)]
    assert [e.trigger for e in ends if isinstance(e, Event)] == [
        Trigger.ERROR,
        Trigger.ESCALATION,
        Trigger.SIGNAL,
        Trigger.TERMINATE,
    ]
    e2, e3 = ends[1], ends[2]
    assert isinstance(e2, Event) and e2.definitions[0].escalation is not None
    assert e2.definitions[0].escalation.code == "LATE"
    assert isinstance(e3, Event) and e3.definitions[0].signal is not None
    assert e3.definitions[0].signal.name == "stop-the-line"


def test_link_events_carry_their_link_name_and_the_catch_is_reachable() -> None:
    defs = parse_bpmn(document(
        """<bpmn:startEvent id="start"/>
           <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="jump"/>
           <bpmn:intermediateThrowEvent id="jump">
             <bpmn:linkEventDefinition name="page2"/></bpmn:intermediateThrowEvent>
           <bpmn:intermediateCatchEvent id="land">
             <bpmn:linkEventDefinition name="page2"/></bpmn:intermediateCatchEvent>
           <bpmn:sequenceFlow id="f2" sourceRef="land" targetRef="end"/>
           <bpmn:endEvent id="end"/>"""
    ))
    land = defs.processes["p"].node("land")
    assert isinstance(land, Event) and land.definitions[0].link_name == "page2"
    assert not [w for w in defs.warnings if w.code == "unreachable"]


def test_reference_to_an_undefined_message_is_an_error_with_a_suggestion() -> None:
    xml = document(
        around('<bpmn:intermediateCatchEvent id="task"><bpmn:messageEventDefinition messageRef="Msg_ordr"/>'
               "</bpmn:intermediateCatchEvent>"),
        roots=ROOTS,
    )
    (problem,) = [p for p in check_bpmn(xml) if p.severity == "error"]
    assert problem.code == "unknown_reference"
    assert problem.element_id == "task"
    assert problem.hint == "did you mean 'Msg_order'?"


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ('<bpmn:intermediateCatchEvent id="task"/>', "catch_event_without_definition"),
        (
            '<bpmn:intermediateCatchEvent id="task"><bpmn:conditionalEventDefinition>'
            "<bpmn:condition>=x &gt; 1</bpmn:condition></bpmn:conditionalEventDefinition>"
            "</bpmn:intermediateCatchEvent>",
            "unsupported_element",
        ),
        (
            '<bpmn:intermediateThrowEvent id="task"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:intermediateThrowEvent>",
            "unsupported_element",
        ),
    ],
)
def test_events_the_runtime_cannot_run_are_refused(event: str, code: str) -> None:
    errors = [p for p in check_bpmn(document(around(event), roots=ROOTS)) if p.severity == "error"]
    assert [(p.code, p.element_id) for p in errors] == [(code, "task")]


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        ("<bpmn:messageEventDefinition/>", "message_without_name"),
        ("<bpmn:signalEventDefinition/>", "signal_without_name"),
    ],
)
def test_catch_event_that_names_no_message_or_signal_is_an_error(definition: str, code: str) -> None:
    event = f'<bpmn:intermediateCatchEvent id="task">{definition}</bpmn:intermediateCatchEvent>'
    xml = document(around(event))
    assert [(p.code, p.element_id, p.severity) for p in check_bpmn(xml)] == [(code, "task", "error")]


def test_camunda_8_message_end_event_names_the_handler_that_sends_it() -> None:
    process = process_of(
        """<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>
           <bpmn:endEvent id="end"><bpmn:extensionElements><zeebe:taskDefinition type="notify.customer"/>
           </bpmn:extensionElements><bpmn:messageEventDefinition messageRef="Msg_order"/></bpmn:endEvent>"""
    )
    end = process.node("end")
    assert isinstance(end, Event)
    assert (end.trigger, end.task_type) == (Trigger.MESSAGE, "notify.customer")


def test_camunda_7_error_catch_names_the_variables_receiving_code_and_message() -> None:
    process = process_of(
        around('<bpmn:task id="task"/>')
        + """<bpmn:boundaryEvent id="failed" attachedToRef="task">
               <bpmn:errorEventDefinition errorRef="Err_stock" camunda:errorCodeVariable="code"
                 camunda:errorMessageVariable="why"/>
             </bpmn:boundaryEvent><bpmn:sequenceFlow id="f9" sourceRef="failed" targetRef="end"/>"""
    )
    failed = process.node("failed")
    assert isinstance(failed, BoundaryEvent)
    definition = failed.definitions[0]
    assert (definition.code_variable, definition.message_variable) == ("code", "why")


def test_conveyor_correlation_key_on_a_message() -> None:
    roots = '<bpmn:message id="Msg_paid" name="payment.received" conveyor:correlationKey="=orderId"/>'
    defs = parse_bpmn(document(around('<bpmn:task id="task"/>'), roots=roots))
    key = defs.messages["Msg_paid"].correlation_key
    assert key is not None and key.evaluate({"orderId": "A-7"}) == "A-7"
