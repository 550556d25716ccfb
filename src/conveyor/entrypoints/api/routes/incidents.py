"""Incidents: tokens stuck after a handler used up its retries (or an expression failed); list and retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.routes.workflow_common import MODELLERS, ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import require_roles
from conveyor.services.workflow import queries

router = APIRouter(prefix="/incidents", tags=["incidents"])
Operator = Annotated[Principal, Depends(require_roles(*MODELLERS))]


class IncidentPublic(BaseModel):
    id: int
    instance_id: str
    process: str
    version: int
    node: str
    error: str
    stacktrace: str | None
    attempts: int
    state: str
    created_at: datetime
    resolved_at: datetime | None


class IncidentsPublic(BaseModel):
    data: list[IncidentPublic]
    count: int


class RetryPublic(BaseModel):
    incident_id: int
    instance_id: str
    instance_state: str


@router.get("", response_model=IncidentsPublic, summary="Incidents (open ones unless state= says otherwise)")
def list_incidents(
    session: ReadSession,
    _: Operator,
    state: Annotated[str | None, Query(description="open (default), resolved, or all")] = "open",
    process_instance_id: str | None = None,
) -> IncidentsPublic:
    rows = queries.list_incidents(
        session, instance_id=process_instance_id, state=None if state == "all" else state
    )
    return IncidentsPublic(data=[IncidentPublic(**r) for r in rows], count=len(rows))


@router.post("/{incident_id}/retry", response_model=RetryPublic, summary="Run the incident's node again")
def retry_incident(incident_id: int, workflow: WorkflowDep, session: ReadSession, _: Operator) -> RetryPublic:
    instance_id = workflow.retry_incident(incident_id)
    detail = queries.instance_detail(session, instance_id, history_limit=1)
    return RetryPublic(incident_id=incident_id, instance_id=instance_id, instance_state=detail["state"])
