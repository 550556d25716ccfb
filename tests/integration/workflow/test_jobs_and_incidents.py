"""Jobs and incidents: timers, async handlers run by workers, retries with backoff, incidents, BPMN errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflow_helpers import Clock, drain
from workflow_models import flaky_service, parallel_jobs, quality_check, timer_start, two_steps

from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import HandlerContext
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workers import Worker
from conveyor.services.workflow import HandlerRegistry, Workflow, queries


def _detail(workflow: Workflow, instance_id: str) -> dict[str, Any]:
    with workflow.session_factory() as session:
        return queries.instance_detail(session, instance_id)


def _incidents(workflow: Workflow, **filters: Any) -> list[dict[str, Any]]:
    with workflow.session_factory() as session:
        return queries.list_incidents(session, **filters)


def _failing(calls: list[str], failures: int) -> Callable[[HandlerContext, SqlUnitOfWork], dict[str, Any]]:
    def handler(context: HandlerContext, uow: SqlUnitOfWork) -> dict[str, Any]:
        calls.append(context.node_id)
        if len(calls) <= failures:
            raise ConnectionError("payment provider unreachable")
        return {"charged": True}

    return handler


def test_a_timer_is_a_job_that_fires_only_when_due(workflow: Workflow, worker: Worker, clock: Clock) -> None:
    workflow.deploy(two_steps())
    started = workflow.start("two_steps", {"order_id": "A"})
    (task,) = list(_detail(workflow, started.id)["waiting"])
    with workflow.session_factory() as session:
        (pack,) = queries.list_tasks(session, instance_id=started.id)
    workflow.complete_task(pack["id"], {})
    assert drain(worker, clock, hours=0.5) == 0
    assert drain(worker, clock, hours=0.6) == 1
    assert [w["node"] for w in _detail(workflow, started.id)["waiting"]] == ["delivered"]
    del task


def test_async_handlers_run_in_workers_and_the_join_fires_once(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    runs: list[str] = []
    registry.register(
        "branch", lambda ctx, uow: runs.append(ctx.node_id) or {ctx.node_id: "done"}, async_=True
    )
    registry.register("after_join", lambda ctx, uow: runs.append("ship") or None)
    workflow.deploy(parallel_jobs())
    started = workflow.start("parallel")
    assert runs == []  # async handlers never run inline
    drain(worker, clock, hours=1)
    drain(worker, clock, hours=1)  # the short timer after 'notify'
    detail = _detail(workflow, started.id)
    assert detail["state"] == "completed"
    assert sorted(runs) == ["notify", "pick", "ship"]
    assert detail["variables"] == {"pick": "done", "notify": "done"}


def test_an_inline_handler_failure_is_retried_with_backoff_then_succeeds(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    calls: list[str] = []
    registry.register("flaky", _failing(calls, failures=2))
    workflow.deploy(flaky_service())
    started = workflow.start("flaky")
    assert _detail(workflow, started.id)["state"] == "active" and calls == ["charge"]
    assert drain(worker, clock, hours=0) == 0  # the first retry waits 10 s
    drain(worker, clock, hours=1 / 360 + 0.0001)
    assert len(calls) == 2
    drain(worker, clock, hours=1)
    detail = _detail(workflow, started.id)
    assert detail["state"] == "completed" and detail["variables"] == {"charged": True} and len(calls) == 3
    assert _incidents(workflow) == []


def test_a_handler_failing_past_its_retries_becomes_an_incident_and_a_retry_resolves_it(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    calls: list[str] = []
    registry.register("flaky", _failing(calls, failures=3))
    workflow.deploy(flaky_service(retries=3))
    started = workflow.start("flaky")
    drain(worker, clock, hours=1)
    drain(worker, clock, hours=1)
    assert len(calls) == 3
    (incident,) = _incidents(workflow)
    assert incident["node"] == "charge" and incident["attempts"] == 3
    assert "payment provider unreachable" in incident["error"]
    assert "ConnectionError" in (incident["stacktrace"] or "")
    assert _detail(workflow, started.id)["state"] == "failed"
    workflow.retry_incident(incident["id"])
    assert len(calls) == 4
    assert _detail(workflow, started.id)["state"] == "completed"


def test_retrying_an_incident_starts_a_fresh_round_of_retries(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    calls: list[str] = []
    registry.register("flaky", _failing(calls, failures=4))
    workflow.deploy(flaky_service(retries=2))
    started = workflow.start("flaky")
    drain(worker, clock, hours=1)
    (incident,) = _incidents(workflow)
    assert len(calls) == 2
    workflow.retry_incident(incident["id"])  # fails (3rd call) and is retried, not an incident at once
    assert _incidents(workflow) == [] and _detail(workflow, started.id)["state"] == "active"
    drain(worker, clock, hours=1)  # 4th call fails: the second round is used up
    (second,) = _incidents(workflow)
    assert len(calls) == 4 and second["id"] != incident["id"]
    workflow.retry_incident(second["id"])  # 5th call succeeds
    assert _detail(workflow, started.id)["state"] == "completed"
    assert _incidents(workflow) == [] and _incidents(workflow, state="resolved")[0]["id"] == incident["id"]


def test_an_async_handler_failure_is_retried_then_becomes_an_incident(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    calls: list[str] = []
    registry.register("flaky", _failing(calls, failures=10), async_=True)
    workflow.deploy(flaky_service(retries=2))
    started = workflow.start("flaky")
    drain(worker, clock, hours=1)
    drain(worker, clock, hours=1)
    assert len(calls) == 2
    (incident,) = _incidents(workflow, instance_id=started.id)
    assert incident["node"] == "charge" and "ConnectionError" in incident["error"]
    assert _detail(workflow, started.id)["state"] == "failed"


def test_a_bpmn_error_from_a_handler_takes_the_error_boundary_and_is_no_incident(
    workflow: Workflow, registry: HandlerRegistry
) -> None:
    def refuse(context: HandlerContext, uow: SqlUnitOfWork) -> None:
        raise BpmnError("REFUSED", "card declined")

    registry.register("flaky", refuse)
    workflow.deploy(flaky_service())
    started = workflow.start("flaky")
    detail = _detail(workflow, started.id)
    assert detail["state"] == "completed"
    assert ("node.completed", "refused_end") in {(h["event"], h["node"]) for h in detail["history"]}
    assert _incidents(workflow) == []


def test_a_timer_start_event_starts_instances_on_its_cycle(
    workflow: Workflow, worker: Worker, clock: Clock, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(timer_start("R2/PT1H"))
    assert drain(worker, clock, hours=0.5) == 0
    drain(worker, clock, hours=0.6)
    drain(worker, clock, hours=1)
    drain(worker, clock, hours=1)
    assert sql("SELECT count(*) FROM process_instances WHERE process_key = 'nightly'")[0][0] == 2
    assert sql("SELECT count(*) FROM jobs")[0][0] == 0


def test_redeploying_replaces_the_timer_start_job(workflow: Workflow, sql: Callable[..., list[Any]]) -> None:
    workflow.deploy(timer_start("R/PT1H"))
    workflow.deploy(timer_start("R/PT2H"))
    assert sql("SELECT count(*) FROM jobs WHERE kind = 'timer_start'")[0][0] == 1


def test_an_async_before_task_continues_in_a_worker_not_in_the_callers_transaction(
    workflow: Workflow, worker: Worker, clock: Clock
) -> None:
    model = quality_check().replace(
        '<bpmn:userTask id="quality_check"', '<bpmn:userTask id="quality_check" camunda:asyncBefore="true"'
    )
    workflow.deploy(model)
    started = workflow.start("qc_process")
    waiting = _detail(workflow, started.id)["waiting"]
    assert [(w["node"], w["kind"]) for w in waiting] == [("quality_check", "job")]
    assert drain(worker, clock) == 1
    assert [(w["node"], w["kind"]) for w in _detail(workflow, started.id)["waiting"]] == [
        ("quality_check", "userTask")
    ]


def test_an_async_handler_sees_the_tasks_input_mappings_like_an_inline_one(
    workflow: Workflow, registry: HandlerRegistry, worker: Worker, clock: Clock
) -> None:
    seen: list[dict[str, Any]] = []
    registry.register("flaky", lambda ctx, uow: seen.append(dict(ctx.variables)) or None, async_=True)
    mapped = flaky_service().replace(
        '<bpmn:serviceTask id="charge" conveyor:handler="flaky"/>',
        '<bpmn:serviceTask id="charge" conveyor:handler="flaky"><bpmn:extensionElements><zeebe:ioMapping>'
        '<zeebe:input source="=total * 2" target="amount"/></zeebe:ioMapping></bpmn:extensionElements>'
        "</bpmn:serviceTask>",
    )
    workflow.deploy(mapped)
    workflow.start("flaky", {"total": 21})
    drain(worker, clock)
    assert seen == [{"total": 21, "amount": 42}]
