"""A workflow incident becomes an exception record (category system) in the same transaction, and is
resolved with it when a retry succeeds."""

from __future__ import annotations

from typing import Any

from register_models import Clock, failing_service

from conveyor.bootstrap import Runtime
from conveyor.engine.runtime import HandlerContext
from conveyor.services.exceptions import ExceptionFilter, get_exception, list_exceptions
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow import HandlerRegistry, Workflow, WorkflowSettings, queries


def test_an_incident_is_recorded_and_resolved_with_its_retry(migrated_runtime: Runtime) -> None:
    calls: list[str] = []

    def handler(context: HandlerContext, uow: SqlUnitOfWork) -> dict[str, Any]:
        calls.append(context.node_id)
        if len(calls) == 1:
            raise ConnectionError("payment provider unreachable")
        return {"charged": True}

    registry = HandlerRegistry()
    registry.register("always_fails", handler)
    clock = Clock()
    workflow = Workflow(
        migrated_runtime.session_factory, settings=WorkflowSettings(), registry=registry, clock=clock
    )
    workflow.deploy(failing_service())
    started = workflow.start("charging", business_key="K-1")
    with migrated_runtime.session_factory() as session:
        (incident,) = queries.list_incidents(session)
        (record,) = list_exceptions(session, ExceptionFilter(type="incident.created"))[0]
    assert record["incident_id"] == incident["id"]
    assert (record["category"], record["severity"], record["owner_group"]) == ("system", "high", "manager")
    assert record["process_instance_id"] == started.id
    assert "payment provider unreachable" in record["summary"]
    assert record["order_id"] is None  # K-1 is no order

    workflow.retry_incident(incident["id"])
    with migrated_runtime.session_factory() as session:
        resolved = get_exception(session, record["id"])
    assert resolved["status"] == "resolved"
    assert [h["action"] for h in resolved["history"]] == ["recorded", "resolved"]
