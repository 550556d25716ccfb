"""Who may work on a user task: the inbox's rules, plain Python.

A task names candidate groups and candidate users (from the BPMN model) and
may have an assignee. A principal may claim, complete, unclaim or delegate it
when it is an admin, the assignee, a candidate user, or its role or one of
its token groups is a candidate group (``Principal.in_groups``). A task with
no candidates at all is open to every role but viewer. So a model naming the
candidate group ``quality`` works as soon as a token is in group ``quality``,
with no code change.

*Supervisor groups* (configuration ``exceptions.tasks.supervisor_groups``,
``[manager]`` by default) may work on any task whatever its candidates.

A task claimed by someone else may only be completed, unclaimed or delegated
by that person (or an admin): the refusal names the assignee.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from conveyor.domain.auth import Principal, Role
from conveyor.errors import Conflict, Forbidden, NotFound

OPEN_STATES = frozenset({"created", "claimed"})
STATES = ("created", "claimed", "completed", "cancelled")


class TaskNotFound(NotFound):
    code = "task_not_found"
    title = "User task not found"


class TaskForbidden(Forbidden):
    code = "task_forbidden"
    title = "Not a candidate for this task"


class TaskClaimedByOther(Forbidden):
    code = "task_claimed_by_other"
    title = "Task claimed by someone else"


class TaskAlreadyClaimed(Conflict):
    code = "task_already_claimed"
    title = "Task already claimed"


class TaskNotOpen(Conflict):
    code = "task_not_open"
    title = "Task is not open"


@dataclass(frozen=True, slots=True)
class TaskAccess:
    """What the rules need to know about a task."""

    id: int
    state: str
    assignee: str | None
    candidate_groups: Sequence[str]
    candidate_users: Sequence[str]


def is_candidate(task: TaskAccess, principal: Principal, supervisors: Collection[str] = ()) -> bool:
    """True when the principal may work on the task at all (ignoring who claimed it)."""
    if principal.role is Role.ADMIN or principal.in_groups(supervisors):
        return True
    if task.assignee is not None and task.assignee == principal.name:
        return True
    if principal.name in task.candidate_users:
        return True
    if principal.in_groups(task.candidate_groups):
        return True
    if not task.candidate_groups and not task.candidate_users:
        return principal.role is not Role.VIEWER
    return False


def require_candidate(task: TaskAccess, principal: Principal, supervisors: Collection[str] = ()) -> None:
    if not is_candidate(task, principal, supervisors):
        who = sorted(principal.memberships)
        groups = ", ".join(sorted(task.candidate_groups)) or "nobody's group"
        users = f" (or the users {', '.join(sorted(task.candidate_users))})" if task.candidate_users else ""
        raise TaskForbidden(
            f"Task {task.id} is for {groups}{users}; {principal.name!r} (role and groups: {', '.join(who)}) "
            "is not a candidate",
            task_id=task.id,
            candidate_groups=sorted(task.candidate_groups),
            candidate_users=sorted(task.candidate_users),
            groups=who,
        )


def require_open(task: TaskAccess, action: str) -> None:
    if task.state not in OPEN_STATES:
        raise TaskNotOpen(
            f"Task {task.id} is {task.state}; only open tasks can be {action}",
            task_id=task.id,
            state=task.state,
        )


def claimed_by_other(task: TaskAccess, principal: Principal) -> bool:
    """Someone else has it: claimed, delegated, or assigned by the model (``camunda:assignee``)."""
    return task.state in OPEN_STATES and task.assignee is not None and task.assignee != principal.name


def check_claim(task: TaskAccess, principal: Principal, supervisors: Collection[str] = ()) -> None:
    """A candidate may claim an unclaimed task (again: a no-op); one claimed by another is 409 naming them."""
    require_open(task, "claimed")
    require_candidate(task, principal, supervisors)
    if claimed_by_other(task, principal):
        raise TaskAlreadyClaimed(
            f"Task {task.id} is already claimed by {task.assignee!r}",
            task_id=task.id,
            assignee=task.assignee,
        )


def check_act_on_claimed(
    task: TaskAccess, principal: Principal, action: str, supervisors: Collection[str] = ()
) -> None:
    """Complete / unclaim / delegate: candidates only, and only the assignee (or an admin) once claimed."""
    require_open(task, action)
    require_candidate(task, principal, supervisors)
    if claimed_by_other(task, principal) and principal.role is not Role.ADMIN:
        raise TaskClaimedByOther(
            f"Task {task.id} is claimed by {task.assignee!r}; only they (or an admin) may have it {action}",
            task_id=task.id,
            assignee=task.assignee,
        )


def parse_due(text: str | None, created_at: datetime) -> datetime | None:
    """A task's due date as an aware datetime: ISO 8601 date-time or date, or a duration after creation.

    Returns None for text that is none of these (the task then has no usable due date).
    """
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if value.upper().startswith("P"):
        delta = _duration(value.upper())
        return created_at + delta if delta is not None else None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _duration(text: str) -> timedelta | None:
    """``P1DT2H30M`` / ``PT45M`` / ``P2W`` (days, hours, minutes, seconds, weeks) as a timedelta."""
    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text)
    if match is None or text in ("P", "PT"):
        return None
    weeks, days, hours, minutes, seconds = match.groups()
    return timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=float(seconds or 0),
    )
