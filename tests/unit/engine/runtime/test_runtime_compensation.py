"""Compensation: undoing completed work in reverse order when a compensation event fires."""

from __future__ import annotations

from runtime_models import document, flows

from conveyor.engine.runtime import Handlers


def _order(throw: str) -> str:
    def step(task_id: str, undo: str) -> str:
        return (f'<serviceTask id="{task_id}"><extensionElements><zeebe:taskDefinition type="{task_id}"/>'
                f'</extensionElements></serviceTask>'
                f'<boundaryEvent id="{task_id}_comp" attachedToRef="{task_id}">'
                "<compensateEventDefinition/></boundaryEvent>"
                f'<serviceTask id="{undo}" isForCompensation="true"><extensionElements>'
                f'<zeebe:taskDefinition type="{undo}"/></extensionElements></serviceTask>'
                f'<association id="a_{task_id}" associationDirection="One" sourceRef="{task_id}_comp" '
                f'targetRef="{undo}"/>')

    return document(
        '<startEvent id="start"/>' + step("reserve", "release") + step("charge", "refund")
        + '<userTask id="confirm"/><endEvent id="end"/>' + throw
        + flows("start -> reserve -> charge -> confirm -> end"))


def _recording(calls: list) -> Handlers:
    handlers = Handlers()
    for name in ("reserve", "charge", "release", "refund"):
        handlers.register(name, lambda ctx, name=name: calls.append(name))
    return handlers


CANCEL = ('<boundaryEvent id="cancelled" attachedToRef="confirm"><messageEventDefinition messageRef="m"/>'
          '</boundaryEvent><intermediateThrowEvent id="undo_all"><compensateEventDefinition/>'
          '</intermediateThrowEvent><endEvent id="cancel_end"/>'
          + flows("cancelled -> undo_all -> cancel_end"))


def test_a_cancel_path_undoes_charge_then_reserve_in_reverse_completion_order(run):
    calls: list = []
    body = _order(CANCEL).replace("</process>", "</process><message id=\"m\" name=\"order.cancelled\"/>")
    rt = run(body, handlers=_recording(calls)).start()
    assert calls == ["reserve", "charge"]
    assert rt.message("order.cancelled")
    assert calls == ["reserve", "charge", "refund", "release"]
    assert rt.state == "completed"
    assert rt.path[-2:] == ["undo_all", "cancel_end"]


def test_a_compensation_end_event_for_one_activity_undoes_only_that_activity(run):
    throw = ('<boundaryEvent id="cancelled" attachedToRef="confirm"><messageEventDefinition messageRef="m"/>'
             '</boundaryEvent><endEvent id="undo_charge"><compensateEventDefinition activityRef="charge"/>'
             "</endEvent>" + flows("cancelled -> undo_charge"))
    calls: list = []
    body = _order(throw).replace("</process>", "</process><message id=\"m\" name=\"order.cancelled\"/>")
    rt = run(body, handlers=_recording(calls)).start()
    rt.message("order.cancelled")
    assert calls == ["reserve", "charge", "refund"]
    assert rt.state == "completed"


def test_nothing_is_compensated_when_nothing_completed(run):
    body = document(
        '<startEvent id="start"/><intermediateThrowEvent id="undo"><compensateEventDefinition/>'
        '</intermediateThrowEvent><endEvent id="end"/>' + flows("start -> undo -> end"))
    rt = run(body).start()
    assert rt.path == ["start", "undo", "end"]
