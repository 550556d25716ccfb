"""The task inbox: user tasks from every process; claim, unclaim, delegate, complete, comment.

Who may act: an admin; the assignee; a candidate user; a token whose role or
one of whose groups is among the task's candidate groups; the configured
supervisor groups (``manager`` by default). A task claimed by someone else is
theirs: completing it is 403 ``task_claimed_by_other`` naming them, claiming
it 409 ``task_already_claimed``. Form data is validated against the task's
form; a 422 lists every field that is wrong. See docs/tasks.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.entrypoints.api.routes.workflow_common import ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep
from conveyor.services import task_inbox
from conveyor.services.task_inbox import TaskFilter

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskPublic(BaseModel):
    id: int
    instance_id: str
    process: str | None = None
    business_key: str | None = Field(default=None, description="For order processes: the order id")
    node: str
    name: str | None
    assignee: str | None
    owner: str | None = Field(default=None, description="Who delegated the task")
    candidate_groups: list[str]
    candidate_users: list[str]
    due_at: datetime | None
    due_text: str | None = Field(default=None, description="The due date as the model gave it")
    overdue: bool = False
    priority: int | None
    form: dict[str, Any] | None
    state: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    escalated_at: datetime | None = None
    data: dict[str, Any] | None


class TaskActivity(BaseModel):
    at: datetime
    action: str
    actor: str | None
    data: dict[str, Any] | None


class TaskDetail(TaskPublic):
    activity: list[TaskActivity] = Field(default_factory=list)


class TasksPublic(BaseModel):
    data: list[TaskPublic]
    count: int = Field(description="Tasks in this page")
    total: int = Field(description="Tasks matching the filters")


class TaskComplete(BaseModel):
    variables: dict[str, Any] = Field(default_factory=dict, description="The form data")


class TaskClaim(BaseModel):
    assignee: str | None = Field(
        default=None, description="Deprecated: claim for someone else (same as delegating to that user)"
    )


class TaskDelegate(BaseModel):
    user: str | None = Field(default=None, description="Hand the task to this user (token name)")
    group: str | None = Field(default=None, description="Or offer it to this group instead")


class TaskChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: int | None = Field(default=None, description="Higher is more urgent")
    due_at: datetime | None = Field(default=None, description="With a time zone, e.g. 2026-12-01T17:00:00Z")


class CommentCreate(BaseModel):
    body: str = Field(min_length=1, max_length=4000)


class CommentPublic(BaseModel):
    id: int
    author: str
    body: str
    created_at: datetime


class CommentsPublic(BaseModel):
    data: list[CommentPublic]
    count: int


def _public(row: dict[str, Any]) -> TaskPublic:
    return TaskPublic(**{k: v for k, v in row.items() if k in TaskPublic.model_fields})


@router.get(
    "", response_model=TasksPublic, summary="The inbox: user tasks (open ones unless state= says otherwise)"
)
def list_tasks(
    session: ReadSession,
    principal: CurrentPrincipal,
    process_instance_id: str | None = None,
    group: Annotated[str | None, Query(description="Offered to this candidate group")] = None,
    candidate_group: Annotated[str | None, Query(description="The same as group")] = None,
    assignee: str | None = None,
    candidate_user: str | None = None,
    mine: Annotated[bool, Query(description="Assigned to me, or unclaimed and offered to me")] = False,
    due_before: datetime | None = None,
    overdue: bool | None = None,
    priority: Annotated[int | None, Query(description="Exactly this priority")] = None,
    priority_min: int | None = None,
    priority_max: int | None = None,
    process: Annotated[str | None, Query(description="The process id (BPMN key)")] = None,
    order_id: Annotated[
        str | None, Query(description="The order's tasks (its id is the business key)")
    ] = None,
    business_key: str | None = None,
    node: str | None = None,
    escalated: bool | None = None,
    state: Annotated[str, Query(description="open, created, claimed, completed, cancelled or all")] = "open",
    sort: Annotated[
        str, Query(description="due, -due, priority (highest first), -priority, created, -created")
    ] = "due",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TasksPublic:
    flt = TaskFilter(
        state=state, group=group or candidate_group, assignee=assignee, candidate_user=candidate_user,
        mine=principal if mine else None, due_before=due_before, overdue=overdue,
        priority_min=priority if priority is not None else priority_min,
        priority_max=priority if priority is not None else priority_max, process=process,
        business_key=order_id or business_key, instance_id=process_instance_id, node=node,
        escalated=escalated,
    )  # fmt: skip
    rows, total = task_inbox.list_tasks(session, flt, sort=sort, limit=limit, offset=offset)
    return TasksPublic(data=[_public(r) for r in rows], count=len(rows), total=total)


@router.get("/{task_id}", response_model=TaskDetail, summary="One user task with what happened to it")
def read_task(task_id: int, session: ReadSession) -> TaskDetail:
    row = task_inbox.get_task(session, task_id)
    activity = [TaskActivity(**a) for a in task_inbox.activity(session, task_id)]
    return TaskDetail(**_public(row).model_dump(), activity=activity)


@router.patch("/{task_id}", response_model=TaskPublic, summary="Change an open task's priority or due date")
def change_task(
    task_id: int, body: TaskChange, principal: CurrentPrincipal, runtime: RuntimeDep
) -> TaskPublic:
    changed = task_inbox.update_task(
        runtime.unit_of_work(), task_id, principal, priority=body.priority, due_at=body.due_at
    )
    return _public(changed)


@router.post(
    "/{task_id}/claim", response_model=TaskPublic, summary="Take an open task (409 if someone else has)"
)
def claim_task(
    task_id: int, body: TaskClaim, principal: CurrentPrincipal, runtime: RuntimeDep, session: ReadSession
) -> TaskPublic:
    if body.assignee is not None and body.assignee != principal.name:
        task_inbox.delegate_task(runtime.unit_of_work(), task_id, principal, user=body.assignee)
    else:
        task_inbox.claim_task(runtime.unit_of_work(), task_id, principal)
    return _public(task_inbox.get_task(session, task_id))


@router.post("/{task_id}/unclaim", response_model=TaskPublic, summary="Give a claimed task back to its group")
def unclaim_task(
    task_id: int, principal: CurrentPrincipal, runtime: RuntimeDep, session: ReadSession
) -> TaskPublic:
    task_inbox.unclaim_task(runtime.unit_of_work(), task_id, principal)
    return _public(task_inbox.get_task(session, task_id))


@router.post("/{task_id}/delegate", response_model=TaskPublic, summary="Hand a task to a user or a group")
def delegate_task(
    task_id: int, body: TaskDelegate, principal: CurrentPrincipal, runtime: RuntimeDep, session: ReadSession
) -> TaskPublic:
    task_inbox.delegate_task(runtime.unit_of_work(), task_id, principal, user=body.user, group=body.group)
    return _public(task_inbox.get_task(session, task_id))


@router.post("/{task_id}/complete", response_model=TaskPublic, summary="Complete a task with its form data")
def complete_task(
    task_id: int,
    body: TaskComplete,
    principal: CurrentPrincipal,
    workflow: WorkflowDep,
    runtime: RuntimeDep,
    session: ReadSession,
) -> TaskPublic:
    task_inbox.complete_task(runtime.unit_of_work(), workflow, task_id, principal, body.variables)
    return _public(task_inbox.get_task(session, task_id))


@router.get("/{task_id}/comments", response_model=CommentsPublic, summary="A task's comments, oldest first")
def list_comments(task_id: int, session: ReadSession) -> CommentsPublic:
    rows = task_inbox.comments(session, task_id)
    return CommentsPublic(data=[CommentPublic(**r) for r in rows], count=len(rows))


@router.post(
    "/{task_id}/comments",
    response_model=CommentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Comment on a task (its candidates, assignee, owner, supervisors)",
)
def add_comment(
    task_id: int, body: CommentCreate, principal: CurrentPrincipal, runtime: RuntimeDep
) -> CommentPublic:
    return CommentPublic(**task_inbox.add_comment(runtime.unit_of_work(), task_id, principal, body.body))
