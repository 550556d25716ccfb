"""The parser reads the core elements of a process into the spec model."""

from __future__ import annotations

import pytest
from bpmn_samples import around, document

from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.bpmn.model import (
    Activity,
    BusinessRuleTask,
    CallActivity,
    Event,
    Gateway,
    NodeKind,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    SubProcess,
    Trigger,
    UserTask,
)
from conveyor.engine.errors import ModelError

ORDER = document(
    """
    <bpmn:startEvent id="start" name="Order received"><bpmn:outgoing>wrong</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pay"/>
    <bpmn:serviceTask id="pay" name="Verify payment">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="payment.verify" retries="5"/>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="pay" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="Big order?" default="small"/>
    <bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="qc">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=total &gt; 1000</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="gw" targetRef="end"/>
    <bpmn:userTask id="qc" name="Quality check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="qc" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    """
)


def test_order_process_is_read_with_every_node_and_flow() -> None:
    defs = parse_bpmn(ORDER, file="order.bpmn")
    process = defs.processes["p"]
    assert process.executable
    assert set(process.all_nodes) == {"start", "pay", "gw", "qc", "end"}
    assert set(process.all_flows) == {"f1", "f2", "big", "small", "f3"}
    assert process.body.start_events == ("start",)
    assert defs.file == "order.bpmn"


def test_incoming_and_outgoing_come_from_the_flows_not_from_child_elements() -> None:
    process = parse_bpmn(ORDER).processes["p"]
    assert process.node("start").outgoing == ("f1",)
    assert process.node("end").incoming == ("small", "f3")
    assert process.node("gw").outgoing == ("big", "small")


def test_nodes_know_their_scope_line_name_and_tag() -> None:
    process = parse_bpmn(ORDER).processes["p"]
    pay = process.node("pay")
    assert pay.parent == "p"
    assert pay.name == "Verify payment"
    assert pay.tag == "serviceTask"
    assert pay.line == ORDER.splitlines().index(
        next(line for line in ORDER.splitlines() if 'id="pay"' in line)
    ) + 1


def test_service_task_takes_its_type_and_retries_from_zeebe_task_definition() -> None:
    pay = parse_bpmn(ORDER).processes["p"].node("pay")
    assert isinstance(pay, ServiceTask)
    assert pay.task_type == "payment.verify"
    assert pay.retries == 5


def test_exclusive_gateway_keeps_its_default_flow_and_conditions() -> None:
    process = parse_bpmn(ORDER).processes["p"]
    gw = process.node("gw")
    assert isinstance(gw, Gateway)
    assert gw.kind is NodeKind.EXCLUSIVE_GATEWAY
    assert gw.default == "small"
    assert process.all_flows["big"].condition is not None
    assert process.all_flows["big"].condition.source.strip().endswith("total > 1000")
    assert process.all_flows["small"].condition is None


def test_start_and_end_events_are_none_events() -> None:
    process = parse_bpmn(ORDER).processes["p"]
    start = process.node("start")
    assert isinstance(start, Event)
    assert start.trigger is Trigger.NONE
    assert process.node("end").kind is NodeKind.END_EVENT


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('camunda:type="external" camunda:topic="inventory.allocate"', "inventory.allocate"),
        ('camunda:delegateExpression="${orderService}"', "orderService"),
        ('camunda:class="com.acme.ReserveStock"', "com.acme.ReserveStock"),
        ('conveyor:handler="shipping.create_label"', "shipping.create_label"),
    ],
)
def test_service_task_binds_to_a_handler_in_every_flavour(attributes: str, expected: str) -> None:
    xml = document(around(f'<bpmn:serviceTask id="task" {attributes}/>'))
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, ServiceTask)
    assert task.task_type == expected


def test_plain_task_and_manual_task_are_activities() -> None:
    xml = document(around('<bpmn:manualTask id="task" name="Pack"/>'))
    task = parse_bpmn(xml).processes["p"].node("task")
    assert isinstance(task, Activity)
    assert task.kind is NodeKind.MANUAL_TASK


def test_every_error_is_reported_at_once() -> None:
    xml = document(
        """
        <bpmn:startEvent id="start"/>
        <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="nowhere"/>
        <bpmn:complexGateway id="cg"/>
        <bpmn:exclusiveGateway id="gw"/>
        <bpmn:sequenceFlow id="f2" sourceRef="start" targetRef="gw"/>
        """
    )
    with pytest.raises(ModelError) as caught:
        parse_bpmn(xml, file="broken.bpmn")
    codes = {p.code for p in caught.value.errors}
    assert {"unknown_flow_end", "unsupported_element", "gateway_without_outgoing"} <= codes
    assert all(p.file == "broken.bpmn" and p.line for p in caught.value.errors)


SIGNAL = '<bpmn:signal id="Sig" name="stop"/>'


@pytest.mark.parametrize(
    ("markup", "kind", "spec"),
    [
        ('<bpmn:task id="task"/>', NodeKind.TASK, Activity),
        ('<bpmn:manualTask id="task"/>', NodeKind.MANUAL_TASK, Activity),
        ('<bpmn:serviceTask id="task" conveyor:handler="h"/>', NodeKind.SERVICE_TASK, ServiceTask),
        ('<bpmn:sendTask id="task" conveyor:handler="h"/>', NodeKind.SEND_TASK, ServiceTask),
        ('<bpmn:receiveTask id="task" messageRef="Msg"/>', NodeKind.RECEIVE_TASK, ReceiveTask),
        ('<bpmn:userTask id="task"/>', NodeKind.USER_TASK, UserTask),
        (
            '<bpmn:scriptTask id="task" scriptFormat="feel" camunda:resultVariable="r">'
            "<bpmn:script>1</bpmn:script></bpmn:scriptTask>",
            NodeKind.SCRIPT_TASK,
            ScriptTask,
        ),
        (
            '<bpmn:businessRuleTask id="task" camunda:decisionRef="d"/>',
            NodeKind.BUSINESS_RULE_TASK,
            BusinessRuleTask,
        ),
        ('<bpmn:callActivity id="task" calledElement="c"/>', NodeKind.CALL_ACTIVITY, CallActivity),
        (
            '<bpmn:subProcess id="task"><bpmn:startEvent id="in"/>'
            '<bpmn:sequenceFlow id="i" sourceRef="in" targetRef="out"/><bpmn:endEvent id="out"/>'
            "</bpmn:subProcess>",
            NodeKind.SUB_PROCESS,
            SubProcess,
        ),
        ('<bpmn:exclusiveGateway id="task"/>', NodeKind.EXCLUSIVE_GATEWAY, Gateway),
        ('<bpmn:parallelGateway id="task"/>', NodeKind.PARALLEL_GATEWAY, Gateway),
        ('<bpmn:inclusiveGateway id="task"/>', NodeKind.INCLUSIVE_GATEWAY, Gateway),
        (
            '<bpmn:intermediateThrowEvent id="task"><bpmn:signalEventDefinition signalRef="Sig"/>'
            "</bpmn:intermediateThrowEvent>",
            NodeKind.INTERMEDIATE_THROW_EVENT,
            Event,
        ),
        (
            '<bpmn:intermediateThrowEvent id="task"><bpmn:escalationEventDefinition/>'
            "</bpmn:intermediateThrowEvent>",
            NodeKind.INTERMEDIATE_THROW_EVENT,
            Event,
        ),
        (
            '<bpmn:intermediateCatchEvent id="task"><bpmn:signalEventDefinition signalRef="Sig"/>'
            "</bpmn:intermediateCatchEvent>",
            NodeKind.INTERMEDIATE_CATCH_EVENT,
            Event,
        ),
        ('<bpmn:intermediateThrowEvent id="task"/>', NodeKind.INTERMEDIATE_THROW_EVENT, Event),
    ],
)
def test_every_supported_flow_node_reads_into_its_kind_and_spec(
    markup: str, kind: NodeKind, spec: type
) -> None:
    roots = SIGNAL + '<bpmn:message id="Msg" name="m"/>'
    node = parse_bpmn(document(around(markup), roots=roots)).processes["p"].node("task")
    assert node.kind is kind
    assert isinstance(node, spec)
    assert (node.incoming, node.outgoing) == (("f1",), ("f2",))


@pytest.mark.parametrize(
    ("definition", "trigger"),
    [
        (
            "<bpmn:timerEventDefinition><bpmn:timeCycle>R/P1D</bpmn:timeCycle></bpmn:timerEventDefinition>",
            Trigger.TIMER,
        ),
        ('<bpmn:signalEventDefinition signalRef="Sig"/>', Trigger.SIGNAL),
        ('<bpmn:messageEventDefinition messageRef="Msg"/>', Trigger.MESSAGE),
    ],
)
def test_processes_start_on_timers_signals_and_messages(definition: str, trigger: Trigger) -> None:
    body = f'<bpmn:startEvent id="start">{definition}</bpmn:startEvent>'
    body += '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/><bpmn:endEvent id="end"/>'
    process = parse_bpmn(document(body, roots=SIGNAL + '<bpmn:message id="Msg" name="m"/>')).processes["p"]
    start = process.node("start")
    assert isinstance(start, Event) and start.trigger is trigger
