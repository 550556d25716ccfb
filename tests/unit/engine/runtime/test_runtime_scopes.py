"""Sub-processes, boundary events, event sub-processes, errors, escalations and terminate."""

from __future__ import annotations

from runtime_models import document, flows

from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import EscalationUncaught, Handlers

ERRORS = '<error id="e_stock" errorCode="OUT_OF_STOCK"/><error id="e_other" errorCode="OTHER"/>' \
         '<escalation id="esc" escalationCode="SLOW"/><message id="m_cancel" name="order.cancelled"/>'


def _sub(inner: str, inner_flows: str, after: str = "", sub_attrs: str = "") -> str:
    return document(
        '<startEvent id="start"/>'
        f'<subProcess id="sub"{sub_attrs}><startEvent id="s_start"/>{inner}{inner_flows}</subProcess>'
        '<endEvent id="end"/>' + after + flows("start -> sub -> end"),
        roots=ERRORS,
    )


def test_a_sub_process_runs_its_body_and_then_continues(run):
    body = _sub('<task id="inner"/><endEvent id="s_end"/>', flows("s_start -> inner -> s_end"))
    rt = run(body).start()
    assert rt.path == ["start", "s_start", "inner", "s_end", "sub", "end"]
    assert rt.state == "completed"


def test_variables_created_in_a_sub_process_scope_stay_there_unless_they_exist_outside(run):
    inner = ('<serviceTask id="inner"><extensionElements><zeebe:taskDefinition type="work"/><zeebe:ioMapping>'
             '<zeebe:input source="=1" target="scratch"/></zeebe:ioMapping></extensionElements></serviceTask>'
             '<endEvent id="s_end"/>')
    handlers = Handlers()
    handlers.register("work", lambda ctx: {"scratch": ctx.variables["scratch"] + 1, "total": 99})
    rt = run(_sub(inner, flows("s_start -> inner -> s_end")), handlers=handlers).start({"total": 1})
    assert rt.variables == {"total": 99}


def test_an_interrupting_timer_boundary_cancels_the_activity_and_takes_its_path(run):
    body = document(
        '<startEvent id="start"/><userTask id="approve"/>'
        '<boundaryEvent id="too_late" attachedToRef="approve"><timerEventDefinition>'
        "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
        '<endEvent id="end"/><endEvent id="escalated"/>'
        + flows("start -> approve -> end", "too_late -> escalated"))
    rt = run(body).start()
    assert rt.waiting == [("approve", "userTask"), ("too_late", "timer")]
    assert rt.wait_at("too_late").boundary
    rt.fire("too_late")
    assert rt.state == "completed"
    assert rt.cancelled == ["approve"]
    assert rt.path[-2:] == ["too_late", "escalated"]


def test_a_boundary_subscription_ends_when_its_activity_completes(run):
    body = document(
        '<startEvent id="start"/><userTask id="approve"/>'
        '<boundaryEvent id="too_late" attachedToRef="approve"><timerEventDefinition>'
        "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
        '<userTask id="next"/><endEvent id="end"/><endEvent id="escalated"/>'
        + flows("start -> approve -> next -> end", "too_late -> escalated"))
    rt = run(body).start().complete("approve")
    assert rt.waiting == [("next", "userTask")]


def test_a_non_interrupting_message_boundary_runs_alongside_the_activity(run):
    body = document(
        '<startEvent id="start"/><userTask id="pack"/>'
        '<boundaryEvent id="note" attachedToRef="pack" cancelActivity="false">'
        '<messageEventDefinition messageRef="m_cancel"/></boundaryEvent>'
        '<task id="log"/><endEvent id="end"/><endEvent id="logged"/>'
        + flows("start -> pack -> end", "note -> log -> logged"), roots=ERRORS)
    rt = run(body).start()
    assert rt.message("order.cancelled")
    assert "log" in rt.path
    assert ("pack", "userTask") in rt.waiting
    rt.complete("pack")
    assert rt.state == "completed"


def test_an_error_end_event_in_a_sub_process_is_caught_by_the_boundary_with_its_code(run):
    inner = ('<exclusiveGateway id="check" default="f_check_fine"/><task id="fine"/><endEvent id="s_end"/>'
             '<endEvent id="fail"><errorEventDefinition errorRef="e_stock"/></endEvent>')
    after = ('<boundaryEvent id="other" attachedToRef="sub"><errorEventDefinition errorRef="e_other"/>'
             '</boundaryEvent><boundaryEvent id="no_stock" attachedToRef="sub">'
             '<errorEventDefinition errorRef="e_stock"/></boundaryEvent>'
             '<task id="backorder"/><endEvent id="b_end"/><endEvent id="o_end"/>'
             + flows("no_stock -> backorder -> b_end", "other -> o_end"))
    body = _sub(inner, flows("s_start -> check", "check -> fail: stock = 0", "check -> fine -> s_end"), after)
    rt = run(body).start({"stock": 0})
    assert rt.state == "completed"
    assert rt.path[-3:] == ["no_stock", "backorder", "b_end"]
    assert "sub" not in rt.path


def test_an_error_boundary_without_an_error_reference_catches_any_code(run):
    body = document(
        '<startEvent id="start"/><serviceTask id="pay"><extensionElements>'
        '<zeebe:taskDefinition type="pay"/></extensionElements></serviceTask>'
        '<boundaryEvent id="any" attachedToRef="pay"><errorEventDefinition/></boundaryEvent>'
        '<endEvent id="end"/><endEvent id="failed"/>' + flows("start -> pay -> end", "any -> failed"))

    def refuse(ctx):
        raise BpmnError("WHATEVER", variables={"why": "no"})

    handlers = Handlers()
    handlers.register("pay", refuse)
    rt = run(body, handlers=handlers).start()
    assert rt.path[-2:] == ["any", "failed"]
    assert rt.variables == {"why": "no"}


def _with_event_subprocess(start: str, interrupting: bool = True) -> str:
    flag = "" if interrupting else ' isInterrupting="false"'
    return document(
        '<startEvent id="start"/><userTask id="pack"/><endEvent id="end"/>'
        '<subProcess id="handler" triggeredByEvent="true">'
        f'<startEvent id="h_start"{flag}>{start}</startEvent><task id="react"/><endEvent id="h_end"/>'
        + flows("h_start -> react -> h_end") + "</subProcess>" + flows("start -> pack -> end"),
        roots=ERRORS)


def test_an_interrupting_message_event_sub_process_cancels_the_process_work(run):
    rt = run(_with_event_subprocess('<messageEventDefinition messageRef="m_cancel"/>')).start()
    assert ("h_start", "message") in rt.waiting
    assert rt.message("order.cancelled")
    assert rt.cancelled == ["pack"]
    assert rt.path[-4:] == ["h_start", "react", "h_end", "handler"]
    assert rt.state == "completed"


def test_a_non_interrupting_event_sub_process_runs_alongside_and_stays_subscribed(run):
    rt = run(_with_event_subprocess('<messageEventDefinition messageRef="m_cancel"/>', interrupting=False))
    rt.start()
    assert rt.message("order.cancelled") and rt.message("order.cancelled")
    assert rt.path.count("react") == 2
    assert ("pack", "userTask") in rt.waiting
    rt.complete("pack")
    assert rt.state == "completed"


def test_an_error_event_sub_process_catches_an_error_thrown_in_its_scope(run):
    body = document(
        '<startEvent id="start"/><serviceTask id="pay"><extensionElements><zeebe:taskDefinition type="pay"/>'
        '</extensionElements></serviceTask><endEvent id="end"/>'
        '<subProcess id="handler" triggeredByEvent="true">'
        '<startEvent id="h_start"><errorEventDefinition errorRef="e_stock"/></startEvent>'
        '<endEvent id="h_end"/>'
        + flows("h_start -> h_end") + "</subProcess>" + flows("start -> pay -> end"), roots=ERRORS)

    def fail(ctx):
        raise BpmnError("OUT_OF_STOCK")

    handlers = Handlers()
    handlers.register("pay", fail)
    rt = run(body, handlers=handlers).start()
    assert rt.state == "completed"
    assert rt.path[-3:] == ["h_start", "h_end", "handler"]


def test_a_timer_event_sub_process_starts_when_its_timer_fires(run):
    timer = "<timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition>"
    body = _with_event_subprocess(timer,
                                  interrupting=False)
    rt = run(body).start()
    rt.fire("h_start")
    assert "react" in rt.path and ("pack", "userTask") in rt.waiting


def test_an_escalation_is_caught_by_a_non_interrupting_boundary_and_the_thrower_goes_on(run):
    inner = ('<intermediateThrowEvent id="shout"><escalationEventDefinition escalationRef="esc"/>'
             '</intermediateThrowEvent><endEvent id="s_end"/>')
    after = ('<boundaryEvent id="heard" attachedToRef="sub" cancelActivity="false">'
             '<escalationEventDefinition escalationRef="esc"/></boundaryEvent><endEvent id="h_end"/>'
             + flows("heard -> h_end"))
    rt = run(_sub(inner, flows("s_start -> shout -> s_end"), after)).start()
    assert rt.state == "completed"
    assert {"heard", "shout", "s_end", "sub", "end"} <= set(rt.path)


def test_an_uncaught_escalation_is_reported_and_is_not_an_error(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="shout">'
        '<escalationEventDefinition escalationRef="esc"/>'
        '</intermediateThrowEvent><endEvent id="end"/>' + flows("start -> shout -> end"), roots=ERRORS)
    rt = run(body).start()
    assert rt.state == "completed"
    assert [(e.code, e.node) for e in rt.effects_of(EscalationUncaught)] == [("SLOW", "shout")]


def test_a_terminate_end_event_in_a_sub_process_ends_only_the_sub_process(run):
    inner = ('<parallelGateway id="fork"/><userTask id="slow"/><endEvent id="stop">'
             "<terminateEventDefinition/></endEvent>")
    rt = run(_sub(inner, flows("s_start -> fork", "fork -> slow", "fork -> stop"))).start()
    assert rt.state == "completed"
    assert rt.cancelled == ["slow"]
    assert rt.path[-2:] == ["sub", "end"]


def test_a_terminate_end_event_at_the_top_ends_the_whole_instance(run):
    body = document(
        '<startEvent id="start"/><parallelGateway id="fork"/><userTask id="slow"/>'
        '<endEvent id="stop"><terminateEventDefinition/></endEvent>'
        + flows("start -> fork", "fork -> slow", "fork -> stop"))
    rt = run(body).start()
    assert rt.state == "completed"
    assert rt.waiting == []
    assert rt.cancelled == ["slow"]
