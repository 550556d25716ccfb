"""User tasks (the workflow part of the inbox): list by instance, group, assignee or node; complete them.

A task may be completed by a role named in its candidate groups, or by an
admin or manager; a task without candidate groups by any role but viewer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import TASK_SUPERVISORS, ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal
from conveyor.errors import Forbidden
from conveyor.services.workflow import queries

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskPublic(BaseModel):
    id: int
    instance_id: str
    node: str
    name: str | None
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    due_at: str | None
    priority: int | None
    form: dict[str, Any] | None
    state: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    data: dict[str, Any] | None


class TasksPublic(BaseModel):
    data: list[TaskPublic]
    count: int


class TaskComplete(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict, description="The form data")


def _public(row: dict[str, Any]) -> TaskPublic:
    return TaskPublic(**{k: v for k, v in row.items() if k in TaskPublic.model_fields})


@router.get("", response_model=TasksPublic, summary="User tasks (open ones unless state= says otherwise)")
def list_tasks(
    session: ReadSession,
    process_instance_id: str | None = None,
    group: str | None = None,
    assignee: str | None = None,
    node: str | None = None,
    state: Annotated[str, Query(description="open, created, claimed, completed or cancelled")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TasksPublic:
    rows = queries.list_tasks(
        session,
        instance_id=process_instance_id,
        state=state,
        group=group,
        assignee=assignee,
        node=node,
        limit=limit,
    )
    return TasksPublic(data=[_public(r) for r in rows], count=len(rows))


@router.get("/{task_id}", response_model=TaskPublic, summary="One user task")
def read_task(task_id: int, session: ReadSession) -> TaskPublic:
    return _public(queries.get_task(session, task_id))


class TaskClaim(BaseModel):
    assignee: str | None = Field(default=None, description="Who takes it (default: the caller's token name)")


def _may_work_on(task: dict[str, Any], principal: Principal) -> None:
    groups = set(task["candidate_groups"])
    allowed = principal.role in TASK_SUPERVISORS or (
        principal.role.value in groups if groups else principal.role is not Role.VIEWER
    )
    if not allowed:
        raise Forbidden(
            f"Task {task['id']} is for {', '.join(sorted(groups))}; "
            f"the role {principal.role.value!r} may not work on it",
            role=principal.role.value,
            allowed_roles=sorted(groups | {r.value for r in TASK_SUPERVISORS}),
        )


@router.post("/{task_id}/claim", response_model=TaskPublic, summary="Take (or reassign) an open task")
def claim_task(
    task_id: int, body: TaskClaim, principal: CurrentPrincipal, workflow: WorkflowDep, session: ReadSession
) -> TaskPublic:
    _may_work_on(queries.get_task(session, task_id), principal)
    workflow.claim_task(task_id, body.assignee or principal.name)
    session.rollback()  # end the read snapshot taken before the claim committed
    return _public(queries.get_task(session, task_id))


@router.post("/{task_id}/complete", response_model=TaskPublic, summary="Complete a task with its form data")
def complete_task(
    task_id: int, body: TaskComplete, principal: CurrentPrincipal, workflow: WorkflowDep, session: ReadSession
) -> TaskPublic:
    _may_work_on(queries.get_task(session, task_id), principal)
    workflow.complete_task(task_id, body.variables, completed_by=principal.name)
    session.rollback()  # end the read snapshot taken before the step committed
    return _public(queries.get_task(session, task_id))
