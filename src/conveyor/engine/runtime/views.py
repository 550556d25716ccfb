"""Read-only views of what an instance waits for, as its callers see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from conveyor.engine.bpmn.model import FormField, UserTask
from conveyor.engine.runtime.records import ON_BOUNDARY, ON_SCOPE, WaitRec

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import CompiledProcess


class UserTaskInfo(NamedTuple):
    """The evaluated details of an open user task (what an inbox shows)."""

    name: str | None
    assignee: str | None = None
    candidate_groups: tuple[str, ...] = ()
    candidate_users: tuple[str, ...] = ()
    due_date: str | None = None
    follow_up_date: str | None = None
    priority: int | None = None
    form_key: str | None = None
    form_fields: tuple[FormField, ...] = ()


class Wait(NamedTuple):
    """One thing the instance waits for (an immutable record; a named tuple because callers
    list waits after every step and a tuple is several times cheaper to build).

    ``kind``: ``userTask``, ``message``, ``receiveTask``, ``timer``, ``signal``, ``job``,
    ``callActivity`` or ``incident``. Only the fields of that kind are set.
    ``boundary``/``event_subprocess`` say the wait is a boundary event of an activity
    or the start of an event sub-process rather than a token parked at ``node``.
    """

    id: int
    node: str
    kind: str
    due: datetime | None = None
    message_name: str | None = None
    correlation_key: str | None = None
    signal_name: str | None = None
    task: UserTaskInfo | None = None
    task_type: str | None = None
    headers: dict[str, str] | None = None
    retries: int | None = None
    child_id: str | None = None
    error: str | None = None
    attempts: int = 0
    boundary: bool = False
    event_subprocess: bool = False


@dataclass(frozen=True, slots=True)
class Incident:
    """A token that cannot move until someone fixes the cause and retries it."""

    id: int
    node: str
    error: str
    attempts: int


@dataclass(frozen=True, slots=True)
class StartEventInfo:
    """A start event a scheduler or message router must know about (timer/message/signal)."""

    process_id: str
    version: int
    node: str
    trigger: str
    message_name: str | None = None
    signal_name: str | None = None
    timer_kind: str | None = None
    timer_value: Any = None


def wait_view(proc: CompiledProcess, w: WaitRec) -> Wait:
    """The public view of one wait record."""
    data = w.data
    task = None
    node = proc.nodes.get(w.node)
    if w.kind == "userTask" and isinstance(node, UserTask):
        task = UserTaskInfo(
            name=node.name,
            assignee=data.get("as"),
            candidate_groups=tuple(data.get("cg", ())),
            candidate_users=tuple(data.get("cu", ())),
            due_date=data.get("due"),
            follow_up_date=data.get("fu"),
            priority=data.get("pr"),
            form_key=node.form_key,
            form_fields=node.form_fields,
        )
    headers = dict(getattr(node, "headers", {}) or {}) if w.kind == "job" else None
    return Wait(
        id=w.id,
        node=w.node,
        kind=w.kind,
        due=w.due,
        message_name=data.get("msg"),
        correlation_key=data.get("key"),
        signal_name=data.get("sig"),
        task=task,
        task_type=data.get("type"),
        headers=headers,
        retries=getattr(node, "retries", None) if w.kind == "job" else None,
        child_id=data.get("child"),
        error=data.get("err"),
        attempts=data.get("n", 0),
        boundary=w.via == ON_BOUNDARY,
        event_subprocess=w.via == ON_SCOPE,
    )
