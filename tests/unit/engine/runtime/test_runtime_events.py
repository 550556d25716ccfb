"""Catch and throw events: messages, timers, signals, links, event-based gateways, start events."""

from __future__ import annotations

from datetime import timedelta

from runtime_models import document, flows

from conftest import T0
from conveyor.engine.runtime import Handlers, Instance, SignalThrown

MESSAGES = '<message id="m_paid" name="payment.received"><extensionElements>' \
           '<zeebe:subscription correlationKey="=orderId"/></extensionElements></message>'


def _waiting_for(catch: str, roots: str = "") -> str:
    return document('<startEvent id="start"/>' + catch + '<endEvent id="end"/>'
                    + flows("start -> wait -> end"), roots=roots)


def test_a_message_catch_event_waits_for_its_message_with_the_matching_correlation_key(run):
    body = _waiting_for('<intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m_paid"/>'
                        "</intermediateCatchEvent>", MESSAGES)
    rt = run(body).start({"orderId": 42})
    wait = rt.wait_at("wait", "message")
    assert (wait.message_name, wait.correlation_key) == ("payment.received", "42")
    assert rt.message("payment.received", "41") is False
    assert rt.message("payment.received", "42", {"amount": 10}) is True
    assert rt.state == "completed"
    assert rt.variables == {"orderId": 42, "amount": 10}


def test_a_receive_task_waits_for_its_message(run):
    body = _waiting_for('<receiveTask id="wait" messageRef="m_paid"/>', MESSAGES)
    rt = run(body).start({"orderId": "A-1"})
    assert rt.waiting == [("wait", "receiveTask")]
    assert rt.message("payment.received", "A-1")
    assert rt.path == ["start", "wait", "end"]


def test_a_duration_timer_is_due_after_its_duration_from_now(run):
    body = _waiting_for('<intermediateCatchEvent id="wait"><timerEventDefinition>'
                        "<timeDuration>PT15M</timeDuration></timerEventDefinition></intermediateCatchEvent>")
    rt = run(body).start()
    assert rt.wait_at("wait", "timer").due == T0 + timedelta(minutes=15)
    rt.fire("wait")
    assert rt.state == "completed"


def test_a_date_timer_is_due_at_its_date(run):
    body = _waiting_for('<intermediateCatchEvent id="wait"><timerEventDefinition>'
                        "<timeDate>2026-03-05T10:00:00Z</timeDate></timerEventDefinition></intermediateCatchEvent>")
    rt = run(body).start()
    assert rt.wait_at("wait", "timer").due.isoformat() == "2026-03-05T10:00:00+00:00"


def test_a_signal_catch_event_continues_when_the_signal_is_broadcast(run):
    body = _waiting_for('<intermediateCatchEvent id="wait"><signalEventDefinition signalRef="s"/>'
                        "</intermediateCatchEvent>", '<signal id="s" name="warehouse.closed"/>')
    rt = run(body).start()
    assert rt.signal("other") == 0
    assert rt.signal("warehouse.closed") == 1
    assert rt.state == "completed"


def test_a_signal_throw_event_is_reported_for_broadcasting(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="shout"><signalEventDefinition signalRef="s"/>'
        '</intermediateThrowEvent><endEvent id="end"/>' + flows("start -> shout -> end"),
        roots='<signal id="s" name="stock.low"/>')
    rt = run(body).start()
    assert [s.name for s in rt.effects_of(SignalThrown)] == ["stock.low"]


def test_a_link_throw_event_jumps_to_the_catch_event_of_the_same_name(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="go"><linkEventDefinition name="B"/>'
        '</intermediateThrowEvent><intermediateCatchEvent id="land"><linkEventDefinition name="B"/>'
        '</intermediateCatchEvent><task id="after"/><endEvent id="end"/>'
        + flows("start -> go", "land -> after -> end"))
    rt = run(body).start()
    assert rt.path == ["start", "go", "land", "after", "end"]


def _race() -> str:
    return document(
        '<startEvent id="start"/><eventBasedGateway id="race"/>'
        '<intermediateCatchEvent id="paid"><messageEventDefinition messageRef="m_paid"/>'
        "</intermediateCatchEvent>"
        '<intermediateCatchEvent id="late"><timerEventDefinition><timeDuration>P3D</timeDuration>'
        "</timerEventDefinition></intermediateCatchEvent>"
        '<endEvent id="ok"/><endEvent id="expired"/>'
        + flows("start -> race", "race -> paid -> ok", "race -> late -> expired"),
        roots=MESSAGES)


def test_an_event_based_gateway_takes_the_first_event_and_cancels_the_others(run):
    rt = run(_race()).start({"orderId": 1})
    assert rt.waiting == [("late", "timer"), ("paid", "message")]
    assert rt.message("payment.received", 1)
    assert rt.path == ["start", "race", "paid", "ok"]
    assert rt.state == "completed"


def test_an_event_based_gateway_takes_the_timer_when_it_fires_first(run):
    rt = run(_race()).start({"orderId": 1})
    rt.fire("late")
    assert rt.path == ["start", "race", "late", "expired"]
    assert rt.state == "completed"
    assert rt.waiting == []


def test_a_message_start_event_starts_its_process_with_the_message_variables(run):
    body = document('<startEvent id="start"><messageEventDefinition messageRef="m"/></startEvent>'
                    '<endEvent id="end"/>' + flows("start -> end"),
                    roots='<message id="m" name="order.created"/>')
    rt = run(body)
    instance = Instance.start_by_message(rt.library, "order.created", {"orderId": 5}, now=T0)
    assert instance.state == "completed"
    assert dict(instance.variables) == {"orderId": 5}


def test_timer_start_events_are_reported_for_a_scheduler(run):
    body = document('<startEvent id="nightly"><timerEventDefinition><timeCycle>R/P1D</timeCycle>'
                    '</timerEventDefinition></startEvent><endEvent id="end"/>' + flows("nightly -> end"))
    [info] = run(body).library.start_events("timer")
    found = (info.process_id, info.node, info.timer_kind, info.timer_value)
    assert found == ("p", "nightly", "cycle", "R/P1D")


def test_a_thrown_signal_starts_an_event_sub_process_of_the_same_instance_at_once(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="shout"><signalEventDefinition signalRef="s"/>'
        '</intermediateThrowEvent><endEvent id="end"/>'
        '<subProcess id="sub" triggeredByEvent="true"><startEvent id="heard"><signalEventDefinition '
        'signalRef="s"/></startEvent><task id="react"/><endEvent id="sub_end"/>'
        + flows("heard -> react -> sub_end") + "</subProcess>" + flows("start -> shout -> end"),
        roots='<signal id="s" name="recall"/>')
    rt = run(body).start()
    assert rt.state == "completed"
    assert "react" in rt.path
    assert "end" not in rt.path  # the interrupting event sub-process cancelled the thrower


def test_the_echo_of_a_signal_an_instance_threw_itself_is_ignored(run):
    body = document(
        '<startEvent id="start"/><parallelGateway id="fork"/><intermediateThrowEvent id="shout">'
        '<signalEventDefinition signalRef="s"/></intermediateThrowEvent><endEvent id="e1"/>'
        '<userTask id="work"/><endEvent id="e2"/>'
        '<subProcess id="sub" triggeredByEvent="true"><startEvent id="heard" isInterrupting="false">'
        '<signalEventDefinition signalRef="s"/></startEvent><endEvent id="sub_end"/>'
        + flows("heard -> sub_end") + "</subProcess>"
        + flows("start -> fork", "fork -> work -> e2", "fork -> shout -> e1"),
        roots='<signal id="s" name="recall"/>')
    rt = run(body).start()
    assert rt.path.count("sub") == 1
    assert rt.signal("recall") == 0  # the driver's broadcast coming back
    assert rt.signal("recall") == 1  # a later, real one
    assert rt.path.count("sub") == 2


def test_a_message_end_event_that_names_no_message_completes_the_process(run):
    body = document('<startEvent id="start"/><intermediateThrowEvent id="tell"><messageEventDefinition/>'
                    '</intermediateThrowEvent><endEvent id="end"><messageEventDefinition/></endEvent>'
                    + flows("start -> tell -> end"))
    rt = run(body).start()
    assert rt.incidents == []
    assert rt.state == "completed"
    assert rt.path == ["start", "tell", "end"]


def _tell_by_job() -> str:
    task = ('<extensionElements><zeebe:taskDefinition type="notify"/></extensionElements>'
            "<messageEventDefinition/>")
    return document(f'<startEvent id="start"/><intermediateThrowEvent id="tell">{task}'
                    f'</intermediateThrowEvent><endEvent id="end">{task}</endEvent>'
                    + flows("start -> tell -> end"))


def test_a_message_throw_event_with_a_task_definition_calls_the_handler_of_its_type(run):
    sent = []
    handlers = Handlers()
    handlers.register("notify", lambda ctx: sent.append(ctx.node_id) or {"notified": True})
    rt = run(_tell_by_job(), handlers=handlers).start()
    assert sent == ["tell", "end"]
    assert rt.state == "completed"
    assert rt.variables == {"notified": True}


def test_a_message_end_event_with_a_task_definition_and_no_handler_waits_as_a_job(run):
    rt = run(_tell_by_job(), handlers=Handlers(missing="job")).start()
    assert rt.waiting == [("tell", "job")]
    rt.complete_job("tell")
    assert rt.waiting == [("end", "job")]
    rt.complete_job("end")
    assert rt.state == "completed"
    assert rt.path == ["start", "tell", "end"]
