"""Non-executable processes are read permissively; collaborations, inventory and references."""

from __future__ import annotations

from bpmn_samples import NAMESPACES, around, document

from conveyor.engine.bpmn import parse_bpmn, referenced_decisions, referenced_processes
from conveyor.engine.bpmn.model import NodeKind, UnsupportedNode

DESCRIPTIVE = """
<bpmn:laneSet id="ls">
  <bpmn:lane id="lane1" name="Warehouse"><bpmn:flowNodeRef>task</bpmn:flowNodeRef></bpmn:lane>
</bpmn:laneSet>
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
<bpmn:task id="task"/>
<bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="cg"/>
<bpmn:complexGateway id="cg" name="Weird join"/>
<bpmn:sequenceFlow id="f3" sourceRef="cg" targetRef="end"/>
<bpmn:endEvent id="end"/>
<bpmn:dataObject id="do1"/><bpmn:dataObjectReference id="dor1" dataObjectRef="do1"/>
<bpmn:textAnnotation id="ta"><bpmn:text>Note</bpmn:text></bpmn:textAnnotation>
<bpmn:association id="as1" sourceRef="ta" targetRef="task"/>
<bpmn:intermediateCatchEvent id="cond"><bpmn:conditionalEventDefinition>
  <bpmn:condition>stock low</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>
"""


def test_non_executable_process_keeps_unsupported_elements_without_errors() -> None:
    defs = parse_bpmn(document(DESCRIPTIVE, executable="false"))
    process = defs.processes["p"]
    assert not process.executable
    assert defs.executable_processes() == []
    gateway = process.node("cg")
    assert isinstance(gateway, UnsupportedNode) and gateway.kind is NodeKind.UNSUPPORTED
    assert gateway.tag == "complexGateway"
    assert process.node("end").incoming == ("f3",)
    assert all(w.severity == "warning" for w in defs.warnings)


def test_process_without_is_executable_runs_when_everything_is_supported() -> None:
    defs = parse_bpmn(document(around('<bpmn:task id="task"/>'), executable=None))
    assert defs.processes["p"].executable


def test_process_without_is_executable_is_documentation_when_something_cannot_run() -> None:
    defs = parse_bpmn(document(DESCRIPTIVE, executable=None))
    assert not defs.processes["p"].executable
    (why,) = [w for w in defs.warnings if w.code == "read_as_documentation"]
    assert "complexGateway" in why.message


def test_collaboration_participants_and_message_flows_are_read() -> None:
    xml = f"""<bpmn:definitions {NAMESPACES} id="d">
      <bpmn:message id="m1" name="order"/>
      <bpmn:collaboration id="c">
        <bpmn:participant id="shop" name="Shop" processRef="p1"/>
        <bpmn:participant id="customer" name="Customer"/>
        <bpmn:messageFlow id="mf" sourceRef="customer" targetRef="s1" messageRef="m1"/>
      </bpmn:collaboration>
      <bpmn:process id="p1" isExecutable="true">
        <bpmn:startEvent id="s1"><bpmn:messageEventDefinition messageRef="m1"/></bpmn:startEvent>
        <bpmn:sequenceFlow id="f" sourceRef="s1" targetRef="e1"/><bpmn:endEvent id="e1"/>
      </bpmn:process>
    </bpmn:definitions>"""
    defs = parse_bpmn(xml)
    assert [(p.id, p.name, p.process_ref) for p in defs.participants] == [
        ("shop", "Shop", "p1"),
        ("customer", "Customer", None),
    ]
    (flow,) = defs.message_flows
    assert (flow.source, flow.target, flow.message_ref) == ("customer", "s1", "m1")
    assert defs.messages["m1"].name == "order"


def test_inventory_counts_bpmn_elements_and_diagram_is_noticed() -> None:
    xml = document(around('<bpmn:task id="task"/>')).replace(
        "</bpmn:definitions>",
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="dia"/>'
        "</bpmn:definitions>",
    )
    defs = parse_bpmn(xml)
    assert defs.inventory == {
        "definitions": 1,
        "endEvent": 1,
        "process": 1,
        "sequenceFlow": 2,
        "startEvent": 1,
        "task": 1,
    }
    assert defs.has_diagram


def test_referenced_decisions_and_processes_are_listed_for_the_loader() -> None:
    body = (
        '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rules"/>'
        '<bpmn:businessRuleTask id="rules" camunda:decisionRef="carrier"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="rules" targetRef="ship"/>'
        '<bpmn:callActivity id="ship" calledElement="shipping"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="ship" targetRef="dyn"/>'
        '<bpmn:callActivity id="dyn" calledElement="${which}"/>'
    )
    defs = parse_bpmn(document(body))
    assert referenced_decisions(defs) == {"carrier"}
    assert referenced_processes(defs) == {"shipping"}


def test_descriptive_processes_get_no_warnings_about_how_they_would_run() -> None:
    defs = parse_bpmn(document(around('<bpmn:serviceTask id="task"/>'), executable="false"))
    assert defs.warnings == ()


def test_version_tags_of_camunda_7_and_8_are_kept_for_display() -> None:
    seven = document(around('<bpmn:task id="task"/>')).replace(
        'name="Test process"', 'name="Test process" camunda:versionTag="2026.1"'
    )
    eight = document(
        '<bpmn:extensionElements><zeebe:versionTag value="v8"/></bpmn:extensionElements>'
        + around('<bpmn:task id="task"/>')
    )
    assert parse_bpmn(seven).processes["p"].version_tag == "2026.1"
    assert parse_bpmn(eight).processes["p"].version_tag == "v8"
