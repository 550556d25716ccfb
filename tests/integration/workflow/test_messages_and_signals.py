"""Messages go to exactly one waiting instance (or start one, or wait in the buffer); signals broadcast."""

from __future__ import annotations

from typing import Any

import pytest
from workflow_helpers import Clock, drain
from workflow_models import call_parent, message_start, race, signal_wait

from conveyor.errors import Conflict, NotFound
from conveyor.services.workers import Worker
from conveyor.services.workflow import Workflow, queries


def _detail(workflow: Workflow, instance_id: str) -> dict[str, Any]:
    with workflow.session_factory() as session:
        return queries.instance_detail(session, instance_id)


def _ended_at(workflow: Workflow, instance_id: str) -> list[str]:
    return [h["node"] for h in _detail(workflow, instance_id)["history"] if h["event"] == "node.completed"]


def test_a_message_reaches_the_instance_waiting_with_its_correlation_key(workflow: Workflow) -> None:
    workflow.deploy(race())
    first = workflow.start("race", {"order_id": "A-1"})
    second = workflow.start("race", {"order_id": "A-2"})
    delivered = workflow.correlate("delivered", "A-2", {"signed_by": "Bo"})
    assert delivered.instance_id == second.id
    assert _detail(workflow, second.id)["state"] == "completed"
    assert _detail(workflow, second.id)["variables"]["signed_by"] == "Bo"
    assert _detail(workflow, first.id)["state"] == "active"


def test_a_message_several_instances_could_take_is_refused_naming_them(workflow: Workflow) -> None:
    workflow.deploy(race())
    ids = {workflow.start("race", {"order_id": "same"}).id for _ in range(2)}
    with pytest.raises(Conflict) as refused:
        workflow.correlate("delivered", "same", buffer=False)
    assert set(refused.value.extra["instances"]) == ids


def test_a_message_nobody_waits_for_is_refused_when_buffering_is_off(workflow: Workflow) -> None:
    workflow.deploy(race())
    with pytest.raises(NotFound):
        workflow.correlate("delivered", "nobody", buffer=False)


def test_an_early_message_is_buffered_and_taken_when_the_instance_starts_waiting(workflow: Workflow) -> None:
    workflow.deploy(race())
    early = workflow.correlate("delivered", "B-7", {"signed_by": "Cy"})
    assert early.buffered and early.instance_id is None
    started = workflow.start("race", {"order_id": "B-7"})
    detail = _detail(workflow, started.id)
    assert detail["state"] == "completed" and detail["variables"]["signed_by"] == "Cy"
    assert "delivered_end" in _ended_at(workflow, started.id)


def test_a_buffered_message_expires_after_its_time_to_live(workflow: Workflow, clock: Clock) -> None:
    workflow.deploy(race())
    workflow.correlate("delivered", "C-1", ttl_seconds=60)
    clock.advance(minutes=2)
    started = workflow.start("race", {"order_id": "C-1"})
    assert _detail(workflow, started.id)["state"] == "active"


def test_a_message_start_event_starts_a_new_instance(workflow: Workflow) -> None:
    workflow.deploy(message_start())
    result = workflow.correlate("return.requested", None, {"order": "O-9"})
    assert result.started and result.instance_id is not None
    detail = _detail(workflow, result.instance_id)
    assert detail["process"] == "returns" and detail["variables"] == {"order": "O-9"}


def test_a_signal_reaches_every_waiting_instance(workflow: Workflow) -> None:
    workflow.deploy(signal_wait())
    ids = [workflow.start("recall").id for _ in range(3)]
    assert workflow.signal("recall", {"reason": "batch 7"}) == 3
    assert {_detail(workflow, i)["state"] for i in ids} == {"completed"}


def test_the_timer_loses_when_the_message_came_first(
    workflow: Workflow, worker: Worker, clock: Clock
) -> None:
    workflow.deploy(race())
    started = workflow.start("race", {"order_id": "D-1"})
    workflow.correlate("delivered", "D-1")
    drain(worker, clock, hours=2)
    assert _ended_at(workflow, started.id)[-1] == "delivered_end"
    assert "timeout_end" not in _ended_at(workflow, started.id)


def test_the_message_loses_when_the_timer_fired_first(
    workflow: Workflow, worker: Worker, clock: Clock
) -> None:
    workflow.deploy(race())
    started = workflow.start("race", {"order_id": "E-1"})
    drain(worker, clock, hours=2)
    with pytest.raises(NotFound):
        workflow.correlate("delivered", "E-1", buffer=False)
    assert "timeout_end" in _ended_at(workflow, started.id)
    assert "delivered_end" not in _ended_at(workflow, started.id)


def test_a_call_activity_runs_its_child_and_the_parent_goes_on_when_it_ends(workflow: Workflow) -> None:
    workflow.deploy(call_parent())
    parent = workflow.start("parent")
    with workflow.session_factory() as session:
        (child_task,) = queries.list_tasks(session, node="child_task")
    workflow.complete_task(child_task["id"], {})
    assert [w["node"] for w in _detail(workflow, parent.id)["waiting"]] == ["after_child"]
    assert _detail(workflow, child_task["instance_id"])["parent_id"] == parent.id
