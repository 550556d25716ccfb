"""The task inbox service: who may claim and complete, delegation, comments, escalation, filters, races."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from register_models import Clock, review
from sqlalchemy import func, select

from conveyor.adapters.db.exception_tables import task_activity, task_comments
from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Principal, Role
from conveyor.domain.task_inbox import TaskAlreadyClaimed, TaskClaimedByOther, TaskForbidden, TaskNotOpen
from conveyor.errors import Conflict
from conveyor.services import outbox, task_inbox
from conveyor.services.exceptions import ExceptionFilter, list_exceptions
from conveyor.services.task_inbox import InvalidTaskForm, InvalidTaskRequest, TaskFilter
from conveyor.services.workflow import HandlerRegistry, Workflow, WorkflowSettings

KIM = Principal(1, "kim", Role.WAREHOUSE, frozenset({"quality"}))
LEE = Principal(2, "lee", Role.SUPPORT, frozenset({"quality", "packing"}))
MAX = Principal(3, "max", Role.WAREHOUSE)  # no groups: not a candidate for 'quality'
ADA = Principal(4, "ada", Role.ADMIN)
MIA = Principal(5, "mia", Role.MANAGER)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workflow(migrated_runtime: Runtime, clock: Clock) -> Workflow:
    return Workflow(
        migrated_runtime.session_factory, settings=WorkflowSettings(), registry=HandlerRegistry(), clock=clock
    )


def _task(workflow: Workflow, key: str = "K-1", **model: Any) -> int:
    process_id = model.pop("process_id", "review")
    workflow.deploy(review(process_id=process_id, **model))
    started = workflow.start(process_id, business_key=key)
    (task_id,) = started.opened_tasks if hasattr(started, "opened_tasks") else _open_ids(workflow, started.id)
    return int(task_id)


def _open_ids(workflow: Workflow, instance_id: str) -> list[int]:
    with workflow.session_factory() as session:
        return list(task_inbox.open_task_ids(session, instance_id))


def _get(runtime: Runtime, task_id: int) -> dict[str, Any]:
    with runtime.session_factory() as session:
        return task_inbox.get_task(session, task_id)


def _event_types(runtime: Runtime) -> list[str]:
    with runtime.session_factory() as session:
        return [e["type"] for e in outbox.read(session)]


def _count(runtime: Runtime, table: Any) -> int:
    with runtime.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_group_member_claims_and_completes_a_quality_task(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    claimed = task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    assert (claimed["assignee"], claimed["state"]) == ("kim", "claimed")
    done = task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, KIM, {"passed": True})
    assert (done["state"], done["completed_by"]) == ("completed", "kim")
    types = _event_types(migrated_runtime)
    assert types.count("task.claimed") == 1 and types.count("task.completed") == 1
    with migrated_runtime.session_factory() as session:
        assert [a["action"] for a in task_inbox.activity(session, task_id)] == ["claimed", "completed"]


def test_a_principal_outside_the_candidate_groups_is_refused(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    with pytest.raises(TaskForbidden) as caught:
        task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, MAX)
    assert "quality" in caught.value.detail and caught.value.extra["candidate_groups"] == ["quality"]
    with pytest.raises(TaskForbidden):
        task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, MAX, {"passed": True})
    assert _get(migrated_runtime, task_id)["state"] == "created"
    # admins and the configured supervisor group (manager) may always
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, MIA)
    assert _get(migrated_runtime, task_id)["assignee"] == "mia"


def test_completing_someone_elses_claimed_task_is_403_naming_them_and_writes_nothing(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    before = (_event_types(migrated_runtime), _count(migrated_runtime, task_activity))
    with pytest.raises(TaskClaimedByOther) as caught:
        task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, LEE, {"passed": True})
    assert "'kim'" in caught.value.detail and caught.value.extra["assignee"] == "kim"
    assert _get(migrated_runtime, task_id)["state"] == "claimed"
    assert (_event_types(migrated_runtime), _count(migrated_runtime, task_activity)) == before
    # an admin may complete it
    done = task_inbox.complete_task(
        migrated_runtime.unit_of_work(), workflow, task_id, ADA, {"passed": False}
    )
    assert done["completed_by"] == "ada"


def test_a_form_missing_a_required_field_is_422_naming_it_and_writes_nothing(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    before = _event_types(migrated_runtime)
    with pytest.raises(InvalidTaskForm) as caught:
        task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, KIM, {"note": "ok"})
    assert [e["path"] for e in caught.value.errors] == ["variables.passed"]
    assert "variables.passed" in caught.value.detail
    with pytest.raises(InvalidTaskForm) as wrong_type:
        task_inbox.complete_task(
            migrated_runtime.unit_of_work(), workflow, task_id, KIM, {"passed": "perhaps"}
        )
    assert [e["path"] for e in wrong_type.value.errors] == ["variables.passed"]
    task = _get(migrated_runtime, task_id)
    assert (task["state"], task["completed_at"]) == ("created", None)
    assert _event_types(migrated_runtime) == before
    assert _count(migrated_runtime, task_activity) == 0


def test_claiming_a_task_someone_else_has_is_a_conflict_and_a_done_task_cannot_be_claimed(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)  # again: no-op
    with pytest.raises(TaskAlreadyClaimed) as caught:
        task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, LEE)
    assert caught.value.extra["assignee"] == "kim"
    assert _event_types(migrated_runtime).count("task.claimed") == 1
    task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, KIM, {"passed": True})
    with pytest.raises(TaskNotOpen):
        task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    with pytest.raises(Conflict):
        task_inbox.complete_task(migrated_runtime.unit_of_work(), workflow, task_id, KIM, {"passed": True})


def test_two_people_claiming_at_once_one_wins_the_other_gets_a_conflict(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    task_id = _task(workflow)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def claim(principal: Principal) -> None:
        barrier.wait(timeout=10)
        try:
            task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, principal)
            outcomes[principal.name] = "won"
        except TaskAlreadyClaimed:
            outcomes[principal.name] = "409"

    threads = [threading.Thread(target=claim, args=(p,)) for p in (KIM, LEE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["409", "won"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert _get(migrated_runtime, task_id)["assignee"] == winner
    assert _event_types(migrated_runtime).count("task.claimed") == 1
    assert _count(migrated_runtime, task_activity) == 1


def test_unclaim_delegate_and_comment(migrated_runtime: Runtime, workflow: Workflow) -> None:
    task_id = _task(workflow)
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    with pytest.raises(TaskClaimedByOther):
        task_inbox.unclaim_task(migrated_runtime.unit_of_work(), task_id, LEE)
    task = task_inbox.unclaim_task(migrated_runtime.unit_of_work(), task_id, KIM)
    assert (task["assignee"], task["state"]) == (None, "created")
    to_user = task_inbox.delegate_task(migrated_runtime.unit_of_work(), task_id, KIM, user="sam")
    assert (to_user["assignee"], to_user["owner"], to_user["state"]) == ("sam", "kim", "claimed")
    sam = Principal(9, "sam", Role.VIEWER)  # the assignee may work on it whatever the role
    task_inbox.add_comment(migrated_runtime.unit_of_work(), task_id, sam, "Looking at it now")
    to_group = task_inbox.delegate_task(migrated_runtime.unit_of_work(), task_id, sam, group="packing")
    assert to_group["candidate_groups"] == ["packing"]
    assert (to_group["assignee"], to_group["state"]) == (None, "created")
    with pytest.raises(TaskForbidden):
        task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, KIM)  # kim is not in packing
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, LEE)
    task_inbox.add_comment(migrated_runtime.unit_of_work(), task_id, LEE, "Packed again")
    with pytest.raises(InvalidTaskRequest) as bad:
        task_inbox.delegate_task(migrated_runtime.unit_of_work(), task_id, LEE, user="a", group="b")
    assert bad.value.errors[0]["path"] == "user"
    with pytest.raises(InvalidTaskRequest):
        task_inbox.add_comment(migrated_runtime.unit_of_work(), task_id, LEE, "   ")
    with migrated_runtime.session_factory() as session:
        assert [(c["author"], c["body"]) for c in task_inbox.comments(session, task_id)] == [
            ("sam", "Looking at it now"), ("lee", "Packed again"),
        ]  # fmt: skip
        actions = [a["action"] for a in task_inbox.activity(session, task_id)]
    assert actions == ["claimed", "unclaimed", "delegated", "commented", "delegated", "claimed", "commented"]
    types = _event_types(migrated_runtime)
    assert types.count("task.delegated") == 2 and types.count("task.commented") == 2
    assert _count(migrated_runtime, task_comments) == 2


def test_an_overdue_task_is_escalated_once_to_the_manager_group_and_recorded(
    migrated_runtime: Runtime, workflow: Workflow, clock: Clock
) -> None:
    task_id = _task(workflow, due="PT4H")
    created = _get(migrated_runtime, task_id)
    assert created["due_at"] == clock.now + timedelta(hours=4)
    early = clock.now + timedelta(hours=3)
    assert task_inbox.escalate_overdue(migrated_runtime.unit_of_work(), now=early) == []
    later = clock.now + timedelta(hours=5)
    assert task_inbox.escalate_overdue(migrated_runtime.unit_of_work(), now=later) == [task_id]
    assert task_inbox.escalate_overdue(migrated_runtime.unit_of_work(), now=later) == []
    task = _get(migrated_runtime, task_id)
    assert task["candidate_groups"] == ["quality", "manager"] and task["escalated_at"] == later
    with migrated_runtime.session_factory() as session:
        (record,), _ = list_exceptions(session, ExceptionFilter(type="task.overdue"))
    assert (record["task_id"], record["category"], record["owner_group"]) == (task_id, "system", "manager")
    assert "task.escalated" in _event_types(migrated_runtime)
    manager_only = Principal(7, "mo", Role.SUPPORT, frozenset({"manager"}))
    task_inbox.claim_task(migrated_runtime.unit_of_work(), task_id, manager_only)


def test_list_filters_and_sorting(migrated_runtime: Runtime, workflow: Workflow, clock: Clock) -> None:
    soon = _task(workflow, key="ORD-A", due="PT1H", priority=10, process_id="review_a")
    late = _task(workflow, key="ORD-B", due="P2D", priority=90, process_id="review_b")
    packing = _task(workflow, key="ORD-C", groups="packing", priority=50, process_id="review_c")
    task_inbox.claim_task(migrated_runtime.unit_of_work(), late, KIM)
    with migrated_runtime.session_factory() as session:

        def ids(sort: str = "due", **filters: Any) -> list[int]:
            rows, _ = task_inbox.list_tasks(session, TaskFilter(**filters), sort=sort, now=clock.now)
            return [r["id"] for r in rows]

        assert ids() == [soon, late, packing]  # no due date last
        assert ids(sort="priority") == [late, packing, soon]
        assert ids(group="quality") == [soon, late]
        assert ids(assignee="kim") == [late]
        assert ids(mine=KIM) == [soon, late]
        assert ids(mine=LEE) == [soon, packing]  # late is kim's
        assert ids(mine=MAX) == []
        assert ids(business_key="ORD-C") == [packing]
        assert ids(process="review_b") == [late]
        assert ids(due_before=clock.now + timedelta(hours=2)) == [soon]
        assert ids(priority_min=50) == [late, packing]
        assert ids(state="claimed") == [late]
        rows, _ = task_inbox.list_tasks(session, TaskFilter(overdue=True), now=clock.now + timedelta(hours=3))
        assert [r["id"] for r in rows] == [soon]
        page, total = task_inbox.list_tasks(session, TaskFilter(), limit=1, offset=1)
        assert ([r["id"] for r in page], total) == ([late], 3)
        page, total = task_inbox.list_tasks(session, TaskFilter(), sort="-priority", limit=2, offset=1)
        assert ([r["id"] for r in page], total) == ([packing, late], 3)  # in SQL
        with pytest.raises(InvalidTaskRequest) as caught:
            task_inbox.list_tasks(session, TaskFilter(state="done"), sort="size")
        assert sorted(e["path"] for e in caught.value.errors) == ["sort", "state"]


def test_the_workers_maintenance_escalates_overdue_tasks(
    migrated_runtime: Runtime, workflow: Workflow, clock: Clock
) -> None:
    from conveyor.services.workers import Worker

    task_id = _task(workflow, due="PT1H")
    worker = Worker(workflow, "maintenance-test")
    worker._maintain()
    assert _get(migrated_runtime, task_id)["escalated_at"] is None
    clock.advance(hours=2)
    worker._maintain()
    assert _get(migrated_runtime, task_id)["escalated_at"] == clock.now


def test_default_due_hours_give_undated_tasks_a_due_date(
    migrated_runtime: Runtime, workflow: Workflow, clock: Clock
) -> None:
    import copy

    from conveyor.services.configuration import apply_configuration, default_configuration

    section = copy.deepcopy(default_configuration()["exceptions"])
    section["tasks"]["default_due_hours"] = 8
    apply_configuration(migrated_runtime.unit_of_work(), {"exceptions": section})
    task_id = _task(workflow)  # the model sets no due date
    assert _get(migrated_runtime, task_id)["due_at"] == clock.now + timedelta(hours=8)
    later = clock.now + timedelta(hours=9)
    assert task_inbox.escalate_overdue(migrated_runtime.unit_of_work(), now=later) == [task_id]
