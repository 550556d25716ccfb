"""Further element semantics: standard loops, timer cycles, nested error propagation,
boundary events on multi-instance bodies, mapped user tasks, cancel, signal and message starts."""

from __future__ import annotations

from datetime import timedelta

from runtime_models import document, flows

from conftest import T0, library_of
from conveyor.engine.api import Engine
from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import CallCancelled, Handlers, InstanceEnded, core


def test_a_standard_loop_repeats_its_activity_while_the_condition_holds(run):
    body = document(
        '<startEvent id="start"/><scriptTask id="count" scriptFormat="feel" camunda:resultVariable="n">'
        "<standardLoopCharacteristics><loopCondition>n &lt; 3</loopCondition></standardLoopCharacteristics>"
        "<script>n + 1</script></scriptTask><endEvent id=\"end\"/>" + flows("start -> count -> end"))
    rt = run(body).start({"n": 0})
    assert rt.state == "completed", rt.incidents
    assert rt.variables["n"] == 3


def test_a_non_interrupting_timer_cycle_boundary_fires_on_every_repetition(run):
    body = document(
        '<startEvent id="start"/><userTask id="approve"/>'
        '<boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false"><timerEventDefinition>'
        "<timeCycle>R2/PT1H</timeCycle></timerEventDefinition></boundaryEvent>"
        '<task id="nudge"/><endEvent id="end"/><endEvent id="nudged"/>'
        + flows("start -> approve -> end", "remind -> nudge -> nudged"))
    rt = run(body).start()
    first = rt.wait_at("remind").due
    assert first == T0 + timedelta(hours=1)
    rt.fire("remind")
    assert rt.wait_at("remind").due == first + timedelta(hours=1)
    rt.fire("remind")
    assert rt.path.count("nudge") == 2
    assert rt.waiting == [("approve", "userTask")]


def test_an_error_crosses_two_sub_process_levels_to_the_outer_boundary(run):
    body = document(
        '<startEvent id="start"/><subProcess id="outer"><startEvent id="o_s"/>'
        '<subProcess id="inner"><startEvent id="i_s"/>'
        '<endEvent id="boom"><errorEventDefinition errorRef="e"/>'
        "</endEvent>" + flows("i_s -> boom") + '</subProcess><endEvent id="o_e"/>'
        + flows("o_s -> inner -> o_e") + "</subProcess>"
        '<boundaryEvent id="caught" attachedToRef="outer"><errorEventDefinition errorRef="e"/>'
        "</boundaryEvent>"
        '<endEvent id="end"/><endEvent id="handled"/>' + flows("start -> outer -> end", "caught -> handled"),
        roots='<error id="e" errorCode="BOOM"/>')
    rt = run(body).start()
    assert rt.state == "completed"
    assert rt.path[-2:] == ["caught", "handled"]
    assert "outer" not in rt.path and "inner" not in rt.path


def test_an_uncaught_error_end_event_is_an_incident_at_the_end_event(run):
    body = document('<startEvent id="start"/><endEvent id="boom"><errorEventDefinition errorRef="e"/>'
                    "</endEvent>" + flows("start -> boom"), roots='<error id="e" errorCode="BOOM"/>')
    rt = run(body).start()
    [(node, error)] = rt.incidents
    assert node == "boom" and "'BOOM'" in error


def test_an_interrupting_timer_on_a_multi_instance_body_cancels_every_iteration(run):
    body = document(
        '<startEvent id="start"/><userTask id="each"><multiInstanceLoopCharacteristics><extensionElements>'
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></extensionElements>'
        "</multiInstanceLoopCharacteristics></userTask>"
        '<boundaryEvent id="late" attachedToRef="each"><timerEventDefinition>'
        "<timeDuration>PT1H</timeDuration>"
        '</timerEventDefinition></boundaryEvent><endEvent id="end"/><endEvent id="timeout"/>'
        + flows("start -> each -> end", "late -> timeout"))
    rt = run(body).start({"items": [1, 2, 3]})
    assert [k for _, k in rt.waiting].count("userTask") == 3
    rt.fire("late")
    assert rt.state == "completed"
    assert rt.cancelled.count("each") == 4  # three iterations and the body
    assert rt.path[-2:] == ["late", "timeout"]


def test_a_user_task_with_mappings_gets_inputs_and_only_its_outputs_leave(run):
    task = ('<userTask id="t"><extensionElements><zeebe:ioMapping>'
            '<zeebe:input source="=total * 2" target="shown"/>'
            '<zeebe:output source="=decision" target="approved"/></zeebe:ioMapping>'
            "</extensionElements></userTask>")
    body = document('<startEvent id="start"/>' + task + '<endEvent id="end"/>' + flows("start -> t -> end"))
    rt = run(body).start({"total": 4})
    rt.complete("t", {"decision": True, "note": "local only"})
    assert rt.variables == {"total": 4, "approved": True}


def test_cancelling_an_instance_removes_every_wait_and_reports_the_end(run):
    body = document('<startEvent id="start"/><userTask id="t"/><endEvent id="end"/>'
                    + flows("start -> t -> end"))
    rt = run(body).start()
    rt.do(lambda i: i.cancel(now=rt.now))
    assert rt.state == "cancelled"
    assert rt.waiting == []
    assert rt.cancelled == ["t"]
    assert [e.state for e in rt.effects_of(InstanceEnded)] == ["cancelled"]


def test_a_cancelled_call_activity_reports_its_child_for_cancelling(run):
    body = document('<startEvent id="start"/><callActivity id="call" calledElement="other"/>'
                    '<endEvent id="end"/>'
                    + flows("start -> call -> end"))
    rt = run(body).start()
    rt.do(lambda i: i.cancel(now=rt.now))
    [cancelled] = rt.effects_of(CallCancelled)
    assert cancelled.child_id == "i1/" + str(rt.effects[0].wait_id)


def test_the_engine_starts_processes_by_signal_and_by_message():
    by_signal = document('<startEvent id="s"><signalEventDefinition signalRef="sig"/></startEvent>'
                         '<endEvent id="e"/>' + flows("s -> e"), roots='<signal id="sig" name="restock"/>',
                         process_id="on_signal")
    by_message = document('<startEvent id="s"><messageEventDefinition messageRef="m"/></startEvent>'
                          '<endEvent id="e"/>' + flows("s -> e"),
                          roots='<message id="m" name="order.created"/>',
                          process_id="on_message")
    engine = Engine(library_of(by_signal, by_message))
    assert engine.broadcast_signal("restock", {"sku": "A"}, now=T0) == 1
    assert engine.deliver_message("order.created", None, {"id": 1}, now=T0) is True
    assert engine.deliver_message("nobody.listens", None, None, now=T0) is False
    assert sorted((i.process_id, i.state) for i in engine.instances.values()) == [
        ("on_message", "completed"), ("on_signal", "completed")]


def test_the_engine_fires_due_timers_only_when_they_are_due():
    body = document('<startEvent id="start"/><intermediateCatchEvent id="wait"><timerEventDefinition>'
                    "<timeDuration>PT10M</timeDuration></timerEventDefinition></intermediateCatchEvent>"
                    '<endEvent id="end"/>' + flows("start -> wait -> end"))
    engine = Engine(library_of(body))
    instance = engine.start("p", now=T0)
    assert engine.fire_due_timers(T0 + timedelta(minutes=5)) == 0
    assert engine.next_timer() == T0 + timedelta(minutes=10)
    assert engine.fire_due_timers(T0 + timedelta(minutes=10)) == 1
    assert instance.state == "completed"


def test_a_retried_handler_sees_fewer_retries_left(run):
    seen = []

    def flaky(ctx):
        seen.append(ctx.retries_left)
        raise RuntimeError("down")

    handlers = Handlers()
    handlers.register("work", flaky)
    body = document('<startEvent id="start"/><serviceTask id="t"><extensionElements>'
                    '<zeebe:taskDefinition type="work" retries="3"/></extensionElements></serviceTask>'
                    '<endEvent id="end"/>' + flows("start -> t -> end"))
    rt = run(body, handlers=handlers).start()
    rt.retry("t")
    assert seen == [3, 2]
    assert rt.i.incidents[0].attempts == 2


def test_a_loop_without_a_wait_state_becomes_an_incident_instead_of_hanging(run, monkeypatch):
    monkeypatch.setattr(core, "MAX_STEPS", 500)
    body = document('<startEvent id="start"/><task id="again"/><exclusiveGateway id="gw"/>'
                    '<endEvent id="end"/>'
                    + flows("start -> again -> gw", "gw -> again: true", "gw -> end: false"))
    rt = run(body)
    rt.start()
    [(_node, error)] = rt.incidents
    assert "a loop without a wait state" in error


def test_an_event_based_gateway_can_wait_on_a_receive_task(run):
    body = document(
        '<startEvent id="start"/><eventBasedGateway id="race"/><receiveTask id="answer" messageRef="m"/>'
        '<intermediateCatchEvent id="silence"><timerEventDefinition><timeDuration>P1D</timeDuration>'
        '</timerEventDefinition></intermediateCatchEvent><endEvent id="ok"/><endEvent id="chase"/>'
        + flows("start -> race", "race -> answer -> ok", "race -> silence -> chase"),
        roots='<message id="m" name="customer.replied"/>')
    rt = run(body).start()
    assert rt.waiting == [("answer", "receiveTask"), ("silence", "timer")]
    assert rt.message("customer.replied", None, {"text": "yes"})
    assert rt.path == ["start", "race", "answer", "ok"]
    assert rt.variables == {"text": "yes"}


def test_signal_and_escalation_event_sub_processes_start_in_their_scope(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="shout"><escalationEventDefinition '
        'escalationRef="esc"/></intermediateThrowEvent><userTask id="work"/><endEvent id="end"/>'
        '<subProcess id="on_signal" triggeredByEvent="true">'
        '<startEvent id="sig_start" isInterrupting="false">'
        '<signalEventDefinition signalRef="sig"/></startEvent><endEvent id="sig_end"/>'
        + flows("sig_start -> sig_end") + "</subProcess>"
        '<subProcess id="on_esc" triggeredByEvent="true"><startEvent id="esc_start" isInterrupting="false">'
        '<escalationEventDefinition escalationRef="esc"/></startEvent><endEvent id="esc_end"/>'
        + flows("esc_start -> esc_end") + "</subProcess>" + flows("start -> shout -> work -> end"),
        roots='<signal id="sig" name="recall"/><escalation id="esc" escalationCode="SLOW"/>')
    rt = run(body).start()
    assert "on_esc" in rt.path
    assert rt.signal("recall") == 1
    assert "on_signal" in rt.path
    assert ("work", "userTask") in rt.waiting


def test_a_call_activity_can_pin_the_called_process_version():
    v1 = document('<startEvent id="s"/><endEvent id="e"/>' + flows("s -> e"), process_id="child")
    v2 = document('<startEvent id="s"/><userTask id="new_step"/><endEvent id="e"/>'
                  + flows("s -> new_step -> e"), process_id="child")
    parent = document('<startEvent id="start"/><callActivity id="call" calledElement="child" '
                      'camunda:calledElementBinding="version" camunda:calledElementVersion="1"/>'
                      '<endEvent id="end"/>' + flows("start -> call -> end"))
    engine = Engine(library_of(v1, v2, parent))
    started = engine.start("p", now=T0)
    assert started.state == "completed"
    assert [i.version for i in engine.instances.values() if i.process_id == "child"] == [1]


def test_an_error_in_one_iteration_is_caught_by_the_boundary_of_the_multi_instance_activity(run):
    body = document(
        '<startEvent id="start"/><serviceTask id="each"><extensionElements>'
        '<zeebe:taskDefinition type="check"/></extensionElements><multiInstanceLoopCharacteristics>'
        '<extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/>'
        "</extensionElements></multiInstanceLoopCharacteristics></serviceTask>"
        '<boundaryEvent id="bad" attachedToRef="each"><errorEventDefinition/></boundaryEvent>'
        '<endEvent id="end"/><endEvent id="rejected"/>' + flows("start -> each -> end", "bad -> rejected"))

    def check(ctx):
        if ctx.variables["item"] == "broken":
            raise BpmnError("BROKEN")

    handlers = Handlers()
    handlers.register("check", check)
    rt = run(body, handlers=handlers).start({"items": ["ok", "broken", "ok"]})
    assert rt.state == "completed"
    assert rt.path[-2:] == ["bad", "rejected"]


def test_an_instance_with_an_incident_on_one_branch_still_takes_messages_on_another():
    body = document(
        '<startEvent id="start"/><parallelGateway id="fork"/><exclusiveGateway id="stuck"/>'
        '<receiveTask id="hear" messageRef="m"/><task id="never"/><endEvent id="e1"/><endEvent id="e2"/>'
        + flows("start -> fork", "fork -> stuck", "stuck -> never: false", "never -> e1",
                "fork -> hear -> e2"), roots='<message id="m" name="ping"/>')
    engine = Engine(library_of(body))
    instance = engine.start("p", now=T0)
    assert instance.state == "failed"
    assert engine.deliver_message("ping", None, None, now=T0)
    assert [w.kind for w in instance.waits] == ["incident"]


def test_a_timer_cycle_with_an_end_date_stops_firing_after_it(run):
    body = document(
        '<startEvent id="start"/><userTask id="approve"/>'
        '<boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false"><timerEventDefinition>'
        "<timeCycle>R/PT1H/2026-03-02T11:30:00Z</timeCycle></timerEventDefinition></boundaryEvent>"
        '<endEvent id="end"/><endEvent id="nudged"/>' + flows("start -> approve -> end", "remind -> nudged"))
    rt = run(body).start()
    rt.fire("remind").fire("remind")
    assert rt.path.count("remind") == 2
    assert rt.waiting == [("approve", "userTask")]
