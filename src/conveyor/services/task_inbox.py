"""The task inbox: user tasks from every process, claimed, delegated, completed, commented and escalated.

Every action is one transaction that writes the task's row, a ``task_activity``
row, a line in the instance's workflow history and an event (``task.claimed``,
``task.unclaimed``, ``task.delegated``, ``task.commented``, ``task.escalated``;
completing goes through the runtime, which records ``task.completed`` and moves
the process on). Who may act is decided by ``conveyor.domain.task_inbox``.

Writes open the transaction as a writer first (``BEGIN IMMEDIATE`` on SQLite,
a row lock on PostgreSQL) and claim with a conditional update, so of two people
claiming the same task at once exactly one wins and the other gets a 409
naming the winner.

Due dates come from the model (``camunda:dueDate``: an ISO date-time, or a
duration after the task was created). ``escalate_overdue`` finds open tasks
past due that were never escalated, adds the configured escalation group to
their candidate groups, and files a register record (type ``task.overdue``
by default) for each, in the same transaction. Workers run it with their
maintenance; ``conveyor tasks escalate`` runs it once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.exception_tables import task_activity, task_comments
from conveyor.adapters.db.order_tables import orders
from conveyor.adapters.db.workflow_tables import process_instances, user_tasks
from conveyor.adapters.workflow.instances import InstanceStore
from conveyor.adapters.workflow.jobs import write_transaction
from conveyor.domain.auth import GROUP_PATTERN, Principal, Role
from conveyor.domain.exceptions import ExceptionSettings
from conveyor.domain.problems import Problems, format_path
from conveyor.domain.task_inbox import (
    OPEN_STATES,
    STATES,
    TaskAccess,
    TaskAlreadyClaimed,
    TaskForbidden,
    TaskNotFound,
    check_act_on_claimed,
    check_claim,
    is_candidate,
    parse_due,
    require_candidate,
    require_open,
)
from conveyor.errors import InvalidInput
from conveyor.services import exceptions as register
from conveyor.services.unit_of_work import SqlUnitOfWork

MAX_COMMENT = 4000
SORTS = ("due", "-due", "priority", "-priority", "created", "-created")
LIST_STATES = ("open", *STATES, "all")
SCAN_LIMIT = 5000  # tasks read per list/escalation pass (due dates are parsed in Python)


class InvalidTaskRequest(InvalidInput):
    code = "invalid_task_request"
    title = "Invalid task request"


class InvalidTaskForm(InvalidInput):
    code = "invalid_form_data"
    title = "Form data does not fit the task's form"


class TaskWorkflow(Protocol):
    """The part of the workflow runtime completing a task needs (``services.workflow.Workflow``)."""

    def complete_task(
        self,
        task_id: int,
        data: dict[str, Any] | None = None,
        *,
        completed_by: str | None = None,
        uow: SqlUnitOfWork | None = None,
    ) -> Any: ...


# --- reading ----------------------------------------------------------------------------


_COLUMNS = (
    *user_tasks.c,
    process_instances.c.process_key.label("process"),
    process_instances.c.business_key.label("business_key"),
)


def _base_query() -> Any:
    return select(*_COLUMNS).join(process_instances, process_instances.c.id == user_tasks.c.instance_id)


def _row(r: Any, settings: ExceptionSettings, now: datetime) -> dict[str, Any]:
    m = r._mapping
    due = effective_due(m["due_at"], m["created_at"], settings)
    return {
        "id": m["id"],
        "instance_id": m["instance_id"],
        "process": m["process"],
        "business_key": m["business_key"],
        "node": m["node_id"],
        "name": m["name"],
        "assignee": m["assignee"],
        "owner": m["owner"],
        "candidate_groups": list(m["candidate_groups"] or []),
        "candidate_users": list(m["candidate_users"] or []),
        "due_at": due,
        "due_text": m["due_at"],
        "overdue": due is not None and due < now and m["state"] in OPEN_STATES,
        "priority": m["priority"],
        "form": m["form"],
        "state": m["state"],
        "created_at": m["created_at"],
        "claimed_at": m["claimed_at"],
        "completed_at": m["completed_at"],
        "completed_by": m["completed_by"],
        "escalated_at": m["escalated_at"],
        "data": m["data"],
    }


def effective_due(text: str | None, created_at: datetime, settings: ExceptionSettings) -> datetime | None:
    due = parse_due(text, created_at)
    if due is None and not text and settings.tasks.default_due_hours is not None:
        due = created_at + timedelta(hours=settings.tasks.default_due_hours)
    return due


def _access(task: Mapping[str, Any]) -> TaskAccess:
    return TaskAccess(
        task["id"], task["state"], task["assignee"], task["candidate_groups"], task["candidate_users"]
    )


def get_task(
    session: Session, task_id: int, *, lock: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    query = _base_query().where(user_tasks.c.id == task_id)
    if lock:
        query = query.with_for_update(of=user_tasks)
    row = session.execute(query).first()
    if row is None:
        raise TaskNotFound(
            f"No user task {task_id}; `conveyor tasks list` shows the open ones", task_id=task_id
        )
    return _row(row, register.current_settings(session), now or datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class TaskFilter:
    state: str = "open"
    group: str | None = None
    assignee: str | None = None
    candidate_user: str | None = None
    mine: Principal | None = None  # assigned to the principal, or unclaimed and offered to it
    due_before: datetime | None = None
    overdue: bool | None = None
    priority_min: int | None = None
    priority_max: int | None = None
    process: str | None = None
    business_key: str | None = None  # an order's tasks: its id is the business key
    instance_id: str | None = None
    node: str | None = None
    escalated: bool | None = None


def _validate(f: TaskFilter, sort: str, limit: int, offset: int) -> None:
    problems = Problems()
    if f.state not in LIST_STATES:
        problems.add("state", f"must be one of {list(LIST_STATES)}, got {f.state!r}")
    if sort not in SORTS:
        problems.add("sort", f"must be one of {list(SORTS)}, got {sort!r}")
    if not 1 <= limit <= 500:
        problems.add("limit", f"must be between 1 and 500, got {limit}")
    if offset < 0:
        problems.add("offset", f"must not be negative, got {offset}")
    if f.priority_min is not None and f.priority_max is not None and f.priority_min > f.priority_max:
        problems.add("priority_max", "must not be below priority_min")
    problems.raise_if_any(InvalidTaskRequest, "The task query is invalid")


def list_tasks(
    session: Session,
    f: TaskFilter,
    *,
    sort: str = "due",
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """The tasks matching ``f``, sorted (due dates first-due first, none last), and how many match."""
    _validate(f, sort, limit, offset)
    at = now or datetime.now(UTC)
    settings = register.current_settings(session)
    t = user_tasks.c
    conditions: list[ColumnElement[bool]] = []
    if f.state == "open":
        conditions.append(t.state.in_(tuple(OPEN_STATES)))
    elif f.state != "all":
        conditions.append(t.state == f.state)
    if f.group is not None:
        conditions.append(t.candidate_groups_text.like(f"%,{_like_safe(f.group)},%", escape="\\"))
    if f.assignee is not None:
        conditions.append(t.assignee == f.assignee)
    for column, value in ((t.instance_id, f.instance_id), (t.node_id, f.node),
                          (process_instances.c.process_key, f.process),
                          (process_instances.c.business_key, f.business_key)):  # fmt: skip
        if value is not None:
            conditions.append(column == value)
    if f.priority_min is not None:
        conditions.append(t.priority >= f.priority_min)
    if f.priority_max is not None:
        conditions.append(t.priority <= f.priority_max)
    if f.escalated is True:
        conditions.append(t.escalated_at.is_not(None))
    elif f.escalated is False:
        conditions.append(t.escalated_at.is_(None))
    if f.mine is not None:
        offered = [
            t.candidate_groups_text.like(f"%,{_like_safe(g)},%", escape="\\") for g in f.mine.memberships
        ]
        conditions.append(or_(t.assignee == f.mine.name, t.assignee.is_(None) & or_(*offered)))
    in_python = (f.candidate_user, f.mine, f.due_before, f.overdue) != (None,) * 4 or sort in ("due", "-due")
    if not in_python:  # everything in SQL: exact totals and pages however many tasks there are
        order = {
            "priority": (t.priority.desc().nulls_last(), t.id),
            "-priority": (t.priority.asc().nulls_last(), t.id),
            "created": (t.created_at, t.id), "-created": (t.created_at.desc(), t.id.desc()),
        }[sort]  # fmt: skip
        total = session.execute(
            select(func.count()).select_from(_base_query().where(*conditions).subquery())
        ).scalar_one()
        page = session.execute(_base_query().where(*conditions).order_by(*order).offset(offset).limit(limit))
        return [_row(r, settings, at) for r in page], int(total)
    # due dates are model text (a date-time or a duration after creation): parsed here, newest SCAN_LIMIT
    rows = [
        _row(r, settings, at)
        for r in session.execute(_base_query().where(*conditions).order_by(t.id.desc()).limit(SCAN_LIMIT))
    ]
    if f.candidate_user is not None:
        rows = [r for r in rows if f.candidate_user in r["candidate_users"]]
    if f.mine is not None and f.mine.name:
        rows = [r for r in rows if r["assignee"] == f.mine.name or is_candidate(_access(r), f.mine)]
    if f.due_before is not None:
        rows = [r for r in rows if r["due_at"] is not None and r["due_at"] < f.due_before]
    if f.overdue is not None:
        rows = [r for r in rows if r["overdue"] is f.overdue]
    rows.sort(key=_sort_key(sort))
    return rows[offset : offset + limit], len(rows)


def _like_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sort_key(sort: str) -> Callable[[dict[str, Any]], Any]:
    far = datetime.max.replace(tzinfo=UTC)
    if sort == "due":
        return lambda r: (r["due_at"] or far, r["id"])
    if sort == "-due":
        return lambda r: (r["due_at"] is None, -(r["due_at"] or far).timestamp(), r["id"])
    if sort == "priority":  # highest first, as Camunda's priority
        return lambda r: (-(r["priority"] if r["priority"] is not None else -(10**9)), r["id"])
    if sort == "-priority":
        return lambda r: (r["priority"] if r["priority"] is not None else 10**9, r["id"])
    if sort == "created":
        return lambda r: (r["created_at"], r["id"])
    return lambda r: (-r["created_at"].timestamp(), -r["id"])


def activity(session: Session, task_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(task_activity).where(task_activity.c.task_id == task_id).order_by(task_activity.c.id)
    )
    return [{"at": r.at, "action": r.action, "actor": r.actor, "data": r.data} for r in rows]


def comments(session: Session, task_id: int) -> list[dict[str, Any]]:
    get_task(session, task_id)
    rows = session.execute(
        select(task_comments).where(task_comments.c.task_id == task_id).order_by(task_comments.c.id)
    )
    return [{"id": r.id, "author": r.author, "body": r.body, "created_at": r.created_at} for r in rows]


# --- writing ----------------------------------------------------------------------------


def _supervisors(session: Session) -> tuple[str, ...]:
    return register.current_settings(session).tasks.supervisor_groups


def _log(
    uow: SqlUnitOfWork, task: Mapping[str, Any], at: datetime, action: str, actor: str | None, **data: Any
) -> None:
    session = uow.session
    session.execute(
        insert(task_activity).values(task_id=task["id"], at=at, action=action, actor=actor, data=data or None)
    )
    InstanceStore(session).append_history(
        [{"instance_id": task["instance_id"], "at": at, "event": f"task.{action}", "node_id": task["node"],
          "data": {"task": task["id"], "actor": actor, **data}}]
    )  # fmt: skip
    uow.record({
        "type": f"task.{action}", "id": task["id"], "instance_id": task["instance_id"], "node": task["node"],
        "process": task["process"], "business_key": task["business_key"], "actor": actor, **data,
    })  # fmt: skip


def _open_for_write(uow: SqlUnitOfWork, task_id: int, now: datetime) -> dict[str, Any]:
    write_transaction(uow.session)
    return get_task(uow.session, task_id, lock=True, now=now)


def claim_task(
    uow: SqlUnitOfWork, task_id: int, principal: Principal, *, now: datetime | None = None
) -> dict[str, Any]:
    """Take an open task; 409 ``task_already_claimed`` naming the assignee when someone else has it."""
    at = now or datetime.now(UTC)
    with uow:
        task = _open_for_write(uow, task_id, at)
        check_claim(_access(task), principal, _supervisors(uow.session))
        if task["assignee"] == principal.name and task["state"] == "claimed":
            return task
        done = uow.session.execute(
            update(user_tasks)
            .where(
                user_tasks.c.id == task_id,
                user_tasks.c.state.in_(tuple(OPEN_STATES)),
                or_(user_tasks.c.assignee.is_(None), user_tasks.c.assignee == principal.name),
            )
            .values(assignee=principal.name, state="claimed", claimed_at=at)
            .returning(user_tasks.c.id)
        ).first()
        if done is None:  # someone else claimed it between our read and write
            current = get_task(uow.session, task_id, now=at)
            raise TaskAlreadyClaimed(
                f"Task {task_id} is already claimed by {current['assignee']!r}",
                task_id=task_id,
                assignee=current["assignee"],
            )
        _log(uow, task, at, "claimed", principal.name, assignee=principal.name)
        uow.commit()
    return task | {"assignee": principal.name, "state": "claimed", "claimed_at": at}


def unclaim_task(
    uow: SqlUnitOfWork, task_id: int, principal: Principal, *, now: datetime | None = None
) -> dict[str, Any]:
    """Give a claimed task back to its candidates (the assignee, or an admin)."""
    at = now or datetime.now(UTC)
    with uow:
        task = _open_for_write(uow, task_id, at)
        check_act_on_claimed(_access(task), principal, "unclaimed", _supervisors(uow.session))
        if task["state"] == "created" and task["assignee"] is None:
            return task
        uow.session.execute(
            update(user_tasks)
            .where(user_tasks.c.id == task_id)
            .values(assignee=None, state="created", claimed_at=None)
        )
        _log(uow, task, at, "unclaimed", principal.name, previous_assignee=task["assignee"])
        uow.commit()
    return task | {"assignee": None, "state": "created", "claimed_at": None}


def delegate_task(
    uow: SqlUnitOfWork,
    task_id: int,
    principal: Principal,
    *,
    user: str | None = None,
    group: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Hand a task to a user (it becomes theirs) or to a group (the group's members may claim it).

    The delegating person is kept as the task's ``owner``.
    """
    problems = Problems()
    if (user is None) == (group is None):
        problems.add("user", "give exactly one of 'user' or 'group'")
    if user is not None and not user.strip():
        problems.add("user", "must not be empty")
    if group is not None and not GROUP_PATTERN.match(group):
        problems.add("group", f"{group!r} is not a group name (letters, digits, '_', '.', '-')")
    problems.raise_if_any(InvalidTaskRequest, "The delegation is invalid")
    at = now or datetime.now(UTC)
    with uow:
        task = _open_for_write(uow, task_id, at)
        check_act_on_claimed(_access(task), principal, "delegated", _supervisors(uow.session))
        values: dict[str, Any] = {"owner": task["owner"] or principal.name}
        if user is not None:
            target = user.strip()
            values |= {"assignee": target, "state": "claimed", "claimed_at": at}
            candidates = (
                task["candidate_users"]
                if target in task["candidate_users"]
                else [*task["candidate_users"], target]
            )
            values["candidate_users"] = candidates
            data: dict[str, Any] = {"to_user": target}
        else:
            assert group is not None
            values |= {"assignee": None, "state": "created", "claimed_at": None, "candidate_groups": [group],
                       "candidate_groups_text": f",{group},"}  # fmt: skip
            data = {"to_group": group, "previous_groups": task["candidate_groups"]}
        uow.session.execute(update(user_tasks).where(user_tasks.c.id == task_id).values(**values))
        _log(uow, task, at, "delegated", principal.name, **data)
        uow.commit()
        return get_task(uow.session, task_id, now=at)


def update_task(
    uow: SqlUnitOfWork,
    task_id: int,
    principal: Principal,
    *,
    priority: int | None = None,
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Set an open task's priority or due date (admins, supervisor groups, its assignee or owner).

    A due date moved into the future makes the task eligible for escalation again.
    """
    problems = Problems()
    if priority is None and due_at is None:
        problems.add("priority", "give a priority or a due_at to change")
    if priority is not None and not -(10**6) <= priority <= 10**6:
        problems.add("priority", f"must be between -1000000 and 1000000, got {priority}")
    if due_at is not None and due_at.tzinfo is None:
        problems.add("due_at", "must carry a time zone, e.g. 2026-12-01T17:00:00Z")
    problems.raise_if_any(InvalidTaskRequest, "The task change is invalid")
    at = now or datetime.now(UTC)
    with uow:
        task = _open_for_write(uow, task_id, at)
        require_open(_access(task), "changed")
        supervisors = _supervisors(uow.session)
        mine = principal.name in (task["assignee"], task["owner"])
        if not (mine or principal.role is Role.ADMIN or principal.in_groups(supervisors)):
            raise TaskForbidden(
                f"Only the assignee, the owner, an admin or a supervisor ({', '.join(supervisors)}) "
                f"may change task {task_id}'s priority or due date",
                task_id=task_id,
            )
        values: dict[str, Any] = {}
        data: dict[str, Any] = {}
        if priority is not None and priority != task["priority"]:
            values["priority"] = data["priority"] = priority
        if due_at is not None:
            text = due_at.astimezone(UTC).isoformat()
            if text != task["due_text"]:
                values["due_at"] = data["due_at"] = text
                if due_at > at:
                    values["escalated_at"] = None
        if values:
            uow.session.execute(update(user_tasks).where(user_tasks.c.id == task_id).values(**values))
            _log(uow, task, at, "updated", principal.name, **data)
            uow.commit()
        return get_task(uow.session, task_id, now=at)


def complete_task(
    uow: SqlUnitOfWork,
    workflow: TaskWorkflow,
    task_id: int,
    principal: Principal,
    data: Mapping[str, Any] | None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Complete with form data validated against the task's form (422 listing each field; nothing written).

    Someone else's claimed task is 403 ``task_claimed_by_other`` naming the assignee.
    """
    if data is not None and not isinstance(data, Mapping):
        raise InvalidTaskRequest(
            "The form data must be an object of field values",
            errors=[{"loc": ["variables"], "path": "variables", "msg": "must be an object", "type": "type"}],
        )
    at = now or datetime.now(UTC)
    with uow:
        task = _open_for_write(uow, task_id, at)
        check_act_on_claimed(_access(task), principal, "completed", _supervisors(uow.session))
        try:
            workflow.complete_task(task_id, dict(data or {}), completed_by=principal.name, uow=uow)
        except InvalidInput as err:
            if type(err) is not InvalidInput:
                raise
            errors = [{**e, "path": format_path(e.get("loc", ())), "type": e.get("type", "invalid")}
                      for e in err.errors]  # fmt: skip
            named = "; ".join(f"{e['path']}: {e['msg']}" for e in errors)
            raise InvalidTaskForm(
                f"The data does not fit the form of task {task_id}: {named}", errors=errors, task_id=task_id
            ) from err
        uow.session.execute(
            insert(task_activity).values(
                task_id=task_id,
                at=at,
                action="completed",
                actor=principal.name,
                data={"fields": sorted((data or {}).keys())},
            )
        )
        uow.commit()
        return get_task(uow.session, task_id, now=at)


def add_comment(
    uow: SqlUnitOfWork, task_id: int, principal: Principal, body: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """A comment by a candidate (or the assignee, owner, a supervisor or an admin); open or closed tasks."""
    text = body.strip() if isinstance(body, str) else ""
    if not text or len(text) > MAX_COMMENT:
        raise InvalidTaskRequest(
            f"A comment needs 1 to {MAX_COMMENT} characters",
            errors=[{"loc": ["body"], "path": "body", "msg": f"must be 1 to {MAX_COMMENT} characters"}],
        )
    at = now or datetime.now(UTC)
    with uow:
        write_transaction(uow.session)
        task = get_task(uow.session, task_id, now=at)
        if task["owner"] != principal.name:
            require_candidate(_access(task), principal, _supervisors(uow.session))
        comment_id = uow.session.execute(
            insert(task_comments)
            .values(task_id=task_id, author=principal.name, body=text, created_at=at)
            .returning(task_comments.c.id)
        ).scalar_one()
        _log(uow, task, at, "commented", principal.name, comment_id=comment_id)
        uow.commit()
    return {"id": comment_id, "author": principal.name, "body": text, "created_at": at}


# --- escalation -------------------------------------------------------------------------


def escalate_overdue(uow: SqlUnitOfWork, *, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Escalate open tasks past their due date (once each); returns the escalated task ids."""
    at = now or datetime.now(UTC)
    escalated: list[int] = []
    with uow:
        write_transaction(uow.session)
        session = uow.session
        settings = register.current_settings(session)
        group = settings.tasks.escalation_group
        conditions = [user_tasks.c.state.in_(tuple(OPEN_STATES)), user_tasks.c.escalated_at.is_(None)]
        if settings.tasks.default_due_hours is None:
            conditions.append(user_tasks.c.due_at.is_not(None))  # no due date: never overdue
        candidates = session.execute(
            _base_query().where(*conditions).order_by(user_tasks.c.id).limit(SCAN_LIMIT)
        )
        due_tasks = [row for row in (_row(r, settings, at) for r in candidates) if row["overdue"]][:limit]
        for task in due_tasks:
            groups = (
                task["candidate_groups"]
                if group in task["candidate_groups"]
                else [*task["candidate_groups"], group]
            )
            done = session.execute(
                update(user_tasks)
                .where(user_tasks.c.id == task["id"], user_tasks.c.escalated_at.is_(None))
                .values(
                    escalated_at=at,
                    candidate_groups=groups,
                    candidate_groups_text="," + ",".join(groups) + ",",
                )
                .returning(user_tasks.c.id)
            ).first()
            if done is None:
                continue
            exception_id = register.record_exception(
                uow,
                type=settings.tasks.escalation_type,
                summary=f"Task {task['id']} ({task['name'] or task['node']}) in {task['process']} is overdue "
                f"since {task['due_at'].isoformat()}",
                order_id=task["business_key"] if _is_order(session, task["business_key"]) else None,
                process_instance_id=task["instance_id"],
                task_id=task["id"],
                details={
                    "due_at": task["due_at"].isoformat(),
                    "assignee": task["assignee"],
                    "candidate_groups": task["candidate_groups"],
                    "escalated_to": group,
                },
                now=at,
            )
            _log(uow, task, at, "escalated", None, to_group=group, due_at=task["due_at"].isoformat(),
                 exception_id=exception_id)  # fmt: skip
            escalated.append(task["id"])
        uow.commit()
    return escalated


def _is_order(session: Session, key: str | None) -> bool:
    if not key:
        return False
    return session.execute(select(orders.c.id).where(orders.c.id == key)).first() is not None


def escalate_with(session_factory: sessionmaker[Session], now: datetime | None = None) -> list[int]:
    """``escalate_overdue`` in a unit of work of its own (for workers and the CLI)."""
    return escalate_overdue(SqlUnitOfWork(session_factory), now=now)


def open_task_ids(session: Session, instance_id: str) -> Sequence[int]:
    rows = session.execute(
        select(user_tasks.c.id).where(
            user_tasks.c.instance_id == instance_id, user_tasks.c.state.in_(tuple(OPEN_STATES))
        )
    )
    return [int(r) for r in rows.scalars()]
