"""Call activities, business rule tasks, and the in-memory Engine routing between instances."""

from __future__ import annotations

import json

import pytest
from runtime_models import document, flows, process

from conftest import T0, library_of
from conveyor.engine.api import Engine
from conveyor.engine.dmn import parse_dmn
from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import Handlers, Instance

CHILD = process(
    '<startEvent id="c_start"/><serviceTask id="pick"><extensionElements><zeebe:taskDefinition type="pick"/>'
    '</extensionElements></serviceTask><userTask id="pack"/><endEvent id="c_end"/>'
    + flows("c_start -> pick -> pack -> c_end"),
    "fulfil",
)


def _parent(call: str, after: str = "") -> str:
    return document('<startEvent id="start"/>' + call + '<endEvent id="end"/>' + after
                    + flows("start -> call -> end"), more=CHILD, roots='<error id="e" errorCode="NO_STOCK"/>')


def _save_all(engine: Engine, roundtrip: bool) -> None:
    if roundtrip:
        for instance_id, instance in list(engine.instances.items()):
            saved = json.loads(json.dumps(instance.to_state()))
            engine.instances[instance_id] = Instance.from_state(engine.library, saved, engine.handlers)


def _engine(body: str, handlers: Handlers) -> Engine:
    return Engine(library_of(body), handlers)


def test_a_call_activity_runs_the_called_process_as_a_child_and_maps_variables_back(roundtrip):
    call = ('<callActivity id="call" calledElement="fulfil"><extensionElements>'
            '<camunda:in source="orderId" target="order"/><camunda:out source="picked" target="pickedLines"/>'
            "</extensionElements></callActivity>")
    seen = {}
    handlers = Handlers()
    handlers.register("pick", lambda ctx: seen.update(dict(ctx.variables)) or {"picked": 3})
    engine = _engine(_parent(call), handlers)
    parent = engine.start("p", {"orderId": 7, "secret": "x"}, now=T0, instance_id="o1")
    _save_all(engine, roundtrip)
    assert seen == {"order": 7}
    child = engine.instances["o1/3"]
    assert child.parent == ("o1", 3)
    assert [w.kind for w in engine.instances["o1"].waits] == ["callActivity"]
    wait = next(w for w in child.waits if w.kind == "userTask")
    child.complete_user_task(wait.id, {"box": "B1"}, now=T0)
    engine.pump(T0)
    parent = engine.instances["o1"]
    assert parent.state == "completed"
    assert dict(parent.variables) == {"orderId": 7, "secret": "x", "pickedLines": 3}


def test_a_bpmn_error_escaping_the_child_is_caught_by_the_call_activity_boundary(roundtrip):
    call = '<callActivity id="call" calledElement="fulfil"/>'
    after = ('<boundaryEvent id="short" attachedToRef="call"><errorEventDefinition errorRef="e"/>'
             '</boundaryEvent><endEvent id="backordered"/>' + flows("short -> backordered"))

    def no_stock(ctx):
        raise BpmnError("NO_STOCK", "nothing on the shelf")

    handlers = Handlers()
    handlers.register("pick", no_stock)
    engine = _engine(_parent(call, after), handlers)
    parent = engine.start("p", now=T0, instance_id="o1")
    _save_all(engine, roundtrip)
    assert engine.instances["o1"].state == "completed"
    assert engine.instances["o1/3"].state == "terminated"
    history = [r.event for r in engine.history if r.instance_id == "o1"]
    path = [event.node for event in history if event.kind == "node.completed"]
    assert path[-2:] == ["short", "backordered"]
    del parent


def test_cancelling_the_parent_cancels_the_called_child():
    handlers = Handlers()
    handlers.register("pick", lambda ctx: None)
    engine = _engine(_parent('<callActivity id="call" calledElement="fulfil"/>'), handlers)
    parent = engine.start("p", now=T0, instance_id="o1")
    parent.cancel(now=T0)
    engine.pump(T0)
    assert engine.instances["o1/3"].state == "cancelled"


def test_a_thrown_message_is_delivered_to_the_instance_waiting_for_it():
    sender = process(
        '<startEvent id="s1"/><intermediateThrowEvent id="tell"><messageEventDefinition messageRef="m"/>'
        '</intermediateThrowEvent><endEvent id="s2"/>' + flows("s1 -> tell -> s2"), "sender")
    body = document('<startEvent id="start"/><receiveTask id="hear" messageRef="m"/><endEvent id="end"/>'
                    + flows("start -> hear -> end"), roots='<message id="m" name="ping"/>', more=sender)
    engine = Engine(library_of(body))
    listener = engine.start("p", now=T0)
    engine.start("sender", now=T0)
    assert listener.state == "completed"


DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
  <decision id="carrier" name="Carrier">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1" label="Weight">
        <inputExpression id="ie1" typeRef="number"><text>weight</text></inputExpression></input>
      <output id="o1" name="carrier" typeRef="string"/>
      <rule id="r1"><inputEntry id="e1"><text>&lt; 2</text></inputEntry>
        <outputEntry id="x1"><text>"post"</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>-</text></inputEntry>
        <outputEntry id="x2"><text>"freight"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def _around_rules(task: str) -> str:
    body = '<startEvent id="start"/>' + task + '<endEvent id="end"/>'
    return document(body + flows("start -> rules -> end"))


@pytest.mark.parametrize(("weight", "carrier"), [(1, "post"), (30, "freight")])
def test_a_business_rule_task_evaluates_its_decision_into_the_result_variable(run, weight, carrier):
    task = ('<businessRuleTask id="rules" camunda:decisionRef="carrier" camunda:resultVariable="carrier" '
            'camunda:mapDecisionResult="singleEntry"/>')
    rt = run(_around_rules(task))
    rt.library.add_decisions(parse_dmn(DMN))
    rt.start({"weight": weight})
    assert rt.state == "completed", rt.incidents
    assert rt.variables["carrier"] == carrier


def test_a_business_rule_task_whose_decision_is_missing_is_an_incident(run):
    task = '<businessRuleTask id="rules" camunda:decisionRef="nope" camunda:resultVariable="x"/>'
    rt = run(_around_rules(task))
    rt.start()
    [(node, error)] = rt.incidents
    assert node == "rules" and "nope" in error


def test_an_escalation_from_the_child_reaches_a_non_interrupting_boundary_of_the_call_activity():
    child = process(
        '<startEvent id="c_start"/><intermediateThrowEvent id="shout"><escalationEventDefinition '
        'escalationRef="esc"/></intermediateThrowEvent><userTask id="pack"/><endEvent id="c_end"/>'
        + flows("c_start -> shout -> pack -> c_end"), "fulfil")
    body = document(
        '<startEvent id="start"/><callActivity id="call" calledElement="fulfil"/><endEvent id="end"/>'
        '<boundaryEvent id="late" attachedToRef="call" cancelActivity="false">'
        '<escalationEventDefinition escalationRef="esc"/></boundaryEvent><endEvent id="noted"/>'
        + flows("start -> call -> end", "late -> noted"),
        roots='<escalation id="esc" escalationCode="LATE"/>', more=child)
    engine = Engine(library_of(body))
    engine.start("p", now=T0, instance_id="o1")
    history = [r.event for r in engine.history if r.instance_id == "o1"]
    assert [e.node for e in history if e.kind == "node.completed"][-2:] == ["late", "noted"]
    assert engine.instances["o1"].state == "active"
    assert engine.instances["o1/3"].state == "active"


def test_a_process_calling_itself_forever_stops_with_an_incident():
    body = document('<startEvent id="start"/><callActivity id="call" calledElement="p"/><endEvent id="end"/>'
                    + flows("start -> call -> end"))
    engine = Engine(library_of(body))
    engine.start("p", now=T0, instance_id="o1")
    failed = [i for i in engine.instances.values() if i.incidents]
    assert len(failed) == 1
    assert "nested more than" in failed[0].incidents[0].error


def test_a_process_calling_itself_forever_puts_the_incident_on_the_call_the_user_started():
    body = document('<startEvent id="start"/><callActivity id="call" calledElement="p"/><endEvent id="end"/>'
                    + flows("start -> call -> end"))
    engine = Engine(library_of(body))
    root = engine.start("p", now=T0, instance_id="o1")
    assert root.state == "failed"
    [incident] = root.incidents
    assert incident.node == "call" and "nested more than" in incident.error
    assert {i.state for i in engine.instances.values() if i is not root} == {"cancelled"}


def test_calling_a_process_that_is_not_loaded_is_an_incident_on_the_call_activity():
    body = document('<startEvent id="start"/><callActivity id="call" calledElement="nowhere"/>'
                    '<endEvent id="end"/>' + flows("start -> call -> end"))
    engine = Engine(library_of(body))
    root = engine.start("p", now=T0, instance_id="o1")
    assert root.state == "failed"
    [incident] = root.incidents
    assert incident.node == "call" and "nowhere" in incident.error


def test_a_thrown_message_nobody_waits_for_starts_the_process_with_that_message_start_event():
    sender = process(
        '<startEvent id="s1"/><intermediateThrowEvent id="tell"><messageEventDefinition messageRef="m"/>'
        '</intermediateThrowEvent><endEvent id="s2"/>' + flows("s1 -> tell -> s2"), "sender")
    body = document('<startEvent id="start"><messageEventDefinition messageRef="m"/></startEvent>'
                    '<userTask id="answer"/><endEvent id="end"/>' + flows("start -> answer -> end"),
                    roots='<message id="m" name="ping"/>', more=sender)
    engine = Engine(library_of(body))
    engine.start("sender", now=T0, instance_id="1")  # the started one must not take this id
    assert engine.instances["1"].process_id == "sender"
    [started] = [i for i in engine.instances.values() if i.process_id == "p"]
    assert [w.node for w in started.waits] == ["answer"]
    assert engine.outbox == []


def test_a_parallel_multi_instance_call_activity_completes_when_every_called_process_has():
    child = process('<startEvent id="c_start"/><userTask id="pack"/><endEvent id="c_end"/>'
                    + flows("c_start -> pack -> c_end"), "fulfil")
    body = document('<startEvent id="start"/><callActivity id="call" calledElement="fulfil">'
                    "<multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality>"
                    '</multiInstanceLoopCharacteristics></callActivity><endEvent id="end"/>'
                    + flows("start -> call -> end"), more=child)
    engine = Engine(library_of(body))
    parent = engine.start("p", now=T0, instance_id="o1")
    children = [i for i in engine.instances.values() if i.process_id == "fulfil"]
    assert all("nrOfInstances" not in c.variables for c in children)
    for called in children:
        [wait] = called.waits
        called.complete_user_task(wait.id, {"packed": True}, now=T0)
        engine.pump(T0)
    assert parent.state == "completed"
    assert dict(parent.variables) == {"packed": True}


def test_each_iteration_of_a_multi_instance_call_activity_passes_its_own_element_and_collects_its_output():
    child = process(
        '<startEvent id="c_start"/><scriptTask id="calc"><extensionElements>'
        '<zeebe:script expression="=item * 2" resultVariable="doubled"/></extensionElements></scriptTask>'
        '<endEvent id="c_end"/>' + flows("c_start -> calc -> c_end"), "double")
    body = document(
        '<startEvent id="start"/><callActivity id="call"><extensionElements>'
        '<zeebe:calledElement processId="double" propagateAllChildVariables="false"/>'
        '<zeebe:ioMapping><zeebe:output source="=doubled" target="d"/></zeebe:ioMapping>'
        "</extensionElements><multiInstanceLoopCharacteristics><extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" '
        'outputCollection="results" outputElement="=d"/></extensionElements>'
        '</multiInstanceLoopCharacteristics></callActivity><endEvent id="end"/>'
        + flows("start -> call -> end"), more=child)
    engine = Engine(library_of(body))
    parent = engine.start("p", {"items": [1, 2, 3]}, now=T0, instance_id="o1")
    engine.pump(T0)
    assert parent.state == "completed"
    assert [int(x) for x in parent.variables["results"]] == [2, 4, 6]
    assert "d" not in parent.variables
