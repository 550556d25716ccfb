"""Reading workflows: instances (with waits, tokens, incidents and history), tasks, incidents, processes.

Queries go to the indexed side tables, never into saved engine state, except
``tokens`` of one instance's detail. Variables come back as JSON: decimals as
strings (money is never a float), dates and times in ISO 8601.

Variable-value filters use the portable JSON path operators of SQLAlchemy
(``json_extract`` on SQLite, ``->>`` on PostgreSQL) on the ``variables`` column;
the value is read as JSON (``total:1500`` compares numbers, ``status:"paid"``
or ``status:paid`` compares text).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import (
    incidents,
    process_instances,
    user_tasks,
    waits,
)
from conveyor.adapters.workflow.history import history_entries
from conveyor.engine.runtime.values import decode, decode_vars
from conveyor.errors import InvalidInput, NotFound


def json_value(value: Any) -> Any:
    """A decoded variable value as plain JSON."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _variables(encoded: dict[str, Any] | None) -> dict[str, Any]:
    return {k: json_value(v) for k, v in decode_vars(encoded or {}).items()}


@dataclass(frozen=True, slots=True)
class InstanceFilter:
    business_key: str | None = None
    process: str | None = None
    version: int | None = None
    state: str | None = None
    node: str | None = None
    waiting_kind: str | None = None
    variable: str | None = None  # name:value


def _variable_condition(spec: str) -> ColumnElement[bool]:
    name, sep, raw = spec.partition(":")
    if not sep or not name:
        raise InvalidInput(
            "Filter variables as name:value, e.g. variable=total:1500 or variable=status:paid",
            errors=[{"loc": ["query", "variable"], "msg": "expected name:value"}],
        )
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    element = process_instances.c.variables[name]
    condition: ColumnElement[bool]
    if isinstance(value, bool):
        condition = element.as_boolean() == value
    elif isinstance(value, int | float):
        condition = element.as_float() == float(value)
    else:
        condition = element.as_string() == str(value)
    return condition


def list_instances(
    session: Session, where: InstanceFilter, *, limit: int = 50, after: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of instances (ordered by id) and the cursor of the next page (None at the end)."""
    pi = process_instances.c
    conditions: list[ColumnElement[bool]] = []
    if where.business_key is not None:
        conditions.append(pi.business_key == where.business_key)
    if where.process is not None:
        conditions.append(pi.process_key == where.process)
    if where.version is not None:
        conditions.append(pi.version == where.version)
    if where.state is not None:
        conditions.append(pi.state == where.state)
    if where.node is not None or where.waiting_kind is not None:
        wait_conditions = [waits.c.instance_id == pi.id]
        if where.node is not None:
            wait_conditions.append(waits.c.node_id == where.node)
        if where.waiting_kind is not None:
            wait_conditions.append(waits.c.kind == where.waiting_kind)
        conditions.append(exists().where(and_(*wait_conditions)))
    if where.variable:
        conditions.append(_variable_condition(where.variable))
    if after:
        conditions.append(pi.id > after)
    query = (
        select(pi.id, pi.process_key, pi.version, pi.business_key, pi.state, pi.started_at, pi.ended_at)
        .where(*conditions)
        .order_by(pi.id)
        .limit(limit + 1)
    )
    rows = session.execute(query).all()
    page = [
        {
            "id": r.id,
            "process": r.process_key,
            "version": r.version,
            "business_key": r.business_key,
            "state": r.state,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
        }
        for r in rows[:limit]
    ]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def instance_detail(
    session: Session, instance_id: str, *, history_limit: int = 100, history_after: int | None = None
) -> dict[str, Any]:
    pi = process_instances.c
    row = session.execute(select(process_instances).where(pi.id == instance_id)).first()
    if row is None:
        raise NotFound(f"No process instance {instance_id!r}")
    state = json.loads(row.engine_state)
    waiting = [
        {
            "id": w.wait_id,
            "node": w.node_id,
            "kind": w.kind,
            "message_name": w.message_name,
            "correlation_key": w.correlation_key,
            "signal_name": w.signal_name,
            "due_at": w.due_at,
        }
        for w in session.execute(
            select(waits).where(waits.c.instance_id == instance_id).order_by(waits.c.wait_id)
        )
    ]
    history = [
        {"id": h.id, "at": h.at, "event": h.event, "node": h.node_id, "data": json_value(decode(h.data))}
        for h in history_entries(session, instance_id, after=history_after, limit=history_limit)
    ]
    return {
        "id": row.id,
        "process": row.process_key,
        "version": row.version,
        "business_key": row.business_key,
        "state": row.state,
        "variables": _variables(row.variables),
        "waiting": waiting,
        "tokens": [{"id": t[0], "node": t[1]} for t in state.get("t", [])],
        "incidents": list_incidents(session, instance_id=instance_id, state=None),
        "history": history,
        "history_next": history[-1]["id"] if len(history) == history_limit else None,
        "parent_id": row.parent_id,
        "revision": row.revision,
        "started_at": row.started_at,
        "updated_at": row.updated_at,
        "ended_at": row.ended_at,
    }


def list_tasks(
    session: Session,
    *,
    instance_id: str | None = None,
    state: str | None = "open",
    group: str | None = None,
    assignee: str | None = None,
    node: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    t = user_tasks.c
    conditions: list[ColumnElement[bool]] = []
    if instance_id is not None:
        conditions.append(t.instance_id == instance_id)
    if state == "open":
        conditions.append(t.state.in_(("created", "claimed")))
    elif state is not None:
        conditions.append(t.state == state)
    if group is not None:
        conditions.append(t.candidate_groups_text.like(f"%,{group},%"))
    if assignee is not None:
        conditions.append(t.assignee == assignee)
    if node is not None:
        conditions.append(t.node_id == node)
    rows = session.execute(select(user_tasks).where(*conditions).order_by(t.id).limit(limit))
    return [task_row(r) for r in rows]


def task_row(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "instance_id": r.instance_id,
        "node": r.node_id,
        "name": r.name,
        "assignee": r.assignee,
        "candidate_groups": r.candidate_groups or [],
        "candidate_users": r.candidate_users or [],
        "due_at": r.due_at,
        "priority": r.priority,
        "form": r.form,
        "state": r.state,
        "created_at": r.created_at,
        "claimed_at": r.claimed_at,
        "completed_at": r.completed_at,
        "completed_by": r.completed_by,
        "data": r.data,
    }


def get_task(session: Session, task_id: int) -> dict[str, Any]:
    row = session.execute(select(user_tasks).where(user_tasks.c.id == task_id)).first()
    if row is None:
        raise NotFound(f"No user task {task_id}")
    return task_row(row)


def list_incidents(
    session: Session, *, instance_id: str | None = None, state: str | None = "open", limit: int = 200
) -> list[dict[str, Any]]:
    i = incidents.c
    conditions: list[ColumnElement[bool]] = []
    if instance_id is not None:
        conditions.append(i.instance_id == instance_id)
    if state is not None:
        conditions.append(i.state == state)
    query = (
        select(incidents, process_instances.c.process_key, process_instances.c.version)
        .join(process_instances, process_instances.c.id == i.instance_id)
        .where(*conditions)
        .order_by(i.id)
        .limit(limit)
    )
    return [
        {
            "id": r.id,
            "instance_id": r.instance_id,
            "process": r.process_key,
            "version": r.version,
            "node": r.node_id,
            "error": r.error,
            "stacktrace": r.stacktrace,
            "attempts": r.attempts,
            "state": r.state,
            "created_at": r.created_at,
            "resolved_at": r.resolved_at,
        }
        for r in session.execute(query)
    ]
