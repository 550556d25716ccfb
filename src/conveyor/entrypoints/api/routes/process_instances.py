"""Process instances: start, query (business key, process, version, state, node, waiting kind, variable),
read one with its tokens, waits, variables, incidents and history, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.routes.workflow_common import MODELLERS, STARTERS, ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import require_roles
from conveyor.services.workflow import queries
from conveyor.services.workflow.queries import InstanceFilter

router = APIRouter(prefix="/process-instances", tags=["process-instances"])


class InstanceCreate(BaseModel):
    process: str = Field(description="The process id (key) to start")
    version: int | None = Field(default=None, description="A deployed version; the latest when omitted")
    business_key: str | None = Field(default=None, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class InstanceCreated(BaseModel):
    id: str
    process: str
    version: int
    state: str = Field(description="active, completed, failed, terminated or cancelled")


class InstanceSummary(BaseModel):
    id: str
    process: str
    version: int
    business_key: str | None
    state: str
    started_at: datetime
    ended_at: datetime | None


class InstancesPublic(BaseModel):
    data: list[InstanceSummary]
    next_cursor: str | None = Field(description="Pass as ?after= for the next page; null on the last page")


@router.post(
    "", response_model=InstanceCreated, status_code=status.HTTP_201_CREATED, summary="Start an instance"
)
def start_instance(
    body: InstanceCreate,
    workflow: WorkflowDep,
    _: Annotated[Principal, Depends(require_roles(*STARTERS))],
) -> InstanceCreated:
    started = workflow.start(
        body.process, body.variables, version=body.version, business_key=body.business_key
    )
    return InstanceCreated(
        id=started.id, process=started.process, version=started.version, state=started.state
    )


@router.get("", response_model=InstancesPublic, summary="Find instances (all filters combine)")
def list_instances(
    session: ReadSession,
    business_key: str | None = None,
    process: str | None = None,
    version: int | None = None,
    state: str | None = None,
    node: Annotated[str | None, Query(description="Waiting at this node, e.g. quality_check")] = None,
    waiting_kind: Annotated[str | None, Query(description="userTask, message, timer, signal, job...")] = None,
    variable: Annotated[str | None, Query(description="name:value, e.g. total:1500 or status:paid")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: Annotated[str | None, Query(description="The next_cursor of the previous page")] = None,
) -> InstancesPublic:
    where = InstanceFilter(business_key, process, version, state, node, waiting_kind, variable)
    page, cursor = queries.list_instances(session, where, limit=limit, after=after)
    return InstancesPublic(data=[InstanceSummary(**row) for row in page], next_cursor=cursor)


@router.get(
    "/{instance_id}", summary="One instance: state, variables, tokens, waits, incidents and history (paged)"
)
def read_instance(
    instance_id: str,
    session: ReadSession,
    history_limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    history_after: Annotated[int | None, Query(description="history_next of the previous read")] = None,
) -> dict[str, Any]:
    return queries.instance_detail(
        session, instance_id, history_limit=history_limit, history_after=history_after
    )


@router.post("/{instance_id}/cancel", summary="Cancel a running instance (its called instances too)")
def cancel_instance(
    instance_id: str,
    workflow: WorkflowDep,
    session: ReadSession,
    _: Annotated[Principal, Depends(require_roles(*MODELLERS))],
) -> dict[str, Any]:
    workflow.cancel(instance_id)
    return {"id": instance_id, "state": "cancelled"}


class VariablesUpdate(BaseModel):
    variables: dict[str, Any]


@router.post("/{instance_id}/variables", summary="Set process variables (e.g. to fix an incident's cause)")
def set_variables(
    instance_id: str,
    body: VariablesUpdate,
    workflow: WorkflowDep,
    session: ReadSession,
    _: Annotated[Principal, Depends(require_roles(*MODELLERS))],
) -> dict[str, Any]:
    workflow.set_variables(instance_id, body.variables)
    return queries.instance_detail(session, instance_id, history_limit=1)
