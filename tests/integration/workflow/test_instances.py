"""Instances: started, persisted after every step, restored by a fresh process between waits, queried."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from workflow_helpers import Clock, drain
from workflow_models import quality_check, two_steps

from conveyor.errors import InvalidInput
from conveyor.services.workers import Worker
from conveyor.services.workflow import Workflow, queries
from conveyor.services.workflow.queries import InstanceFilter


def _tasks(workflow: Workflow, **filters: Any) -> list[dict[str, Any]]:
    with workflow.session_factory() as session:
        return queries.list_tasks(session, **filters)


def _detail(workflow: Workflow, instance_id: str) -> dict[str, Any]:
    with workflow.session_factory() as session:
        return queries.instance_detail(session, instance_id)


def test_starting_an_instance_persists_it_waiting_at_its_user_task(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    started = workflow.start("qc_process", {"total": 1500}, business_key="order-1")
    detail = _detail(workflow, started.id)
    assert (started.state, detail["state"], detail["version"]) == ("active", "active", 1)
    assert detail["variables"] == {"total": 1500}
    assert [(w["node"], w["kind"]) for w in detail["waiting"]] == [("quality_check", "userTask")]
    assert [t["node"] for t in detail["tokens"]] == ["quality_check"]


def test_a_user_task_is_a_row_with_its_candidate_groups_and_form(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    started = workflow.start("qc_process")
    (task,) = _tasks(workflow, instance_id=started.id)
    assert task["node"] == "quality_check" and task["state"] == "created"
    assert task["candidate_groups"] == ["warehouse", "support"]
    assert [f["id"] for f in task["form"]["fields"]] == ["passed"]
    assert _tasks(workflow, group="warehouse") == [task]
    assert _tasks(workflow, group="finance") == []


def test_completing_a_task_validates_its_form_and_advances_the_instance(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    started = workflow.start("qc_process")
    (task,) = _tasks(workflow, instance_id=started.id)
    with pytest.raises(InvalidInput) as refused:
        workflow.complete_task(task["id"], {"passed": "perhaps"})
    assert refused.value.errors[0]["loc"] == ["variables", "passed"]
    assert _detail(workflow, started.id)["state"] == "active"
    workflow.complete_task(task["id"], {"passed": True}, completed_by="ann")
    detail = _detail(workflow, started.id)
    assert detail["state"] == "completed" and detail["variables"]["passed"] is True
    (done,) = _tasks(workflow, instance_id=started.id, state="completed")
    assert done["completed_by"] == "ann" and done["data"] == {"passed": True}


def test_history_records_nodes_variables_and_tasks_with_utc_times(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    started = workflow.start("qc_process", {"total": 10})
    (task,) = _tasks(workflow, instance_id=started.id)
    workflow.complete_task(task["id"], {"passed": True})
    history = _detail(workflow, started.id)["history"]
    events = [(h["event"], h["node"]) for h in history]
    assert ("node.entered", "quality_check") in events
    assert ("task.created", "quality_check") in events
    assert ("task.completed", "quality_check") in events
    assert ("instance.completed", "qc_process") in events or events[-1][0].startswith("instance.")
    assert all(h["at"].utcoffset().total_seconds() == 0 for h in history)


def test_an_instance_restored_by_a_fresh_process_between_every_wait_finishes(
    workflow: Workflow, restarted: Callable[[], Workflow], clock: Clock
) -> None:
    workflow.deploy(two_steps())
    started = restarted().start("two_steps", {"order_id": "A-1"})
    (pack,) = _tasks(restarted(), instance_id=started.id)
    restarted().complete_task(pack["id"], {})
    assert [w["kind"] for w in _detail(restarted(), started.id)["waiting"]] == ["timer"]
    assert drain(Worker(restarted(), name="w1"), clock, hours=2) == 1
    assert [w["node"] for w in _detail(restarted(), started.id)["waiting"]] == ["delivered"]
    restarted().correlate("delivered", "A-1", {"carrier": "DHL"})
    (ship,) = _tasks(restarted(), instance_id=started.id)
    restarted().complete_task(ship["id"], {})
    detail = _detail(restarted(), started.id)
    assert detail["state"] == "completed"
    assert detail["variables"] == {"order_id": "A-1", "carrier": "DHL"}


def test_instances_are_found_by_business_key_process_state_node_and_variable(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    workflow.deploy(two_steps())
    big = workflow.start("qc_process", {"total": 1500, "channel": "shop"}, business_key="order-big")
    workflow.start("qc_process", {"total": 20, "channel": "shop"}, business_key="order-small")
    other = workflow.start("two_steps", {"order_id": "X"})

    def ids(**where: Any) -> set[str]:
        with workflow.session_factory() as session:
            page, _ = queries.list_instances(session, InstanceFilter(**where))
        return {row["id"] for row in page}

    assert ids(business_key="order-big") == {big.id}
    assert ids(node="quality_check") == ids(process="qc_process")
    assert len(ids(node="quality_check")) == 2
    assert ids(waiting_kind="userTask", process="two_steps") == {other.id}
    assert ids(variable="total:1500") == {big.id}
    assert len(ids(variable="channel:shop")) == 2
    assert ids(state="completed") == set()
    assert ids(version=1, process="two_steps") == {other.id}


def test_instance_pages_follow_the_cursor(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    started = {workflow.start("qc_process").id for _ in range(5)}
    seen: list[str] = []
    cursor = None
    with workflow.session_factory() as session:
        while True:
            page, cursor = queries.list_instances(session, InstanceFilter(), limit=2, after=cursor)
            seen.extend(row["id"] for row in page)
            if cursor is None:
                break
    assert sorted(seen) == sorted(started) and len(seen) == 5


def test_running_instances_keep_their_version_and_new_ones_use_the_latest(workflow: Workflow) -> None:
    workflow.deploy(quality_check())
    old = workflow.start("qc_process")
    workflow.deploy(quality_check(name="Check quality"))
    new = workflow.start("qc_process")
    pinned = workflow.start("qc_process", version=1)
    assert (old.version, new.version, pinned.version) == (1, 2, 1)
    (task,) = _tasks(workflow, instance_id=old.id)
    workflow.complete_task(task["id"], {"passed": True})
    assert _detail(workflow, old.id)["state"] == "completed"
