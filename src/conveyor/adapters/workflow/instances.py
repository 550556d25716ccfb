"""Instance rows and everything rewritten with them on a step: waits, user tasks, incidents, history.

``save`` is the optimistic write: ``UPDATE ... SET revision = revision + 1
WHERE id = :id AND revision = :expected``; zero rows means another process
changed the instance since it was read (``StaleInstance``), and the caller
retries the whole step. On PostgreSQL ``load(lock=True)`` also takes the row
lock (``FOR UPDATE``), so concurrent steps of one instance queue up instead of
failing; SQLite's single writer serialises them anyway.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import (
    incidents,
    process_instances,
    user_tasks,
    waits,
    workflow_history,
)


class StaleInstance(Exception):
    """The instance changed between reading and writing it; retry the step."""


@dataclass(slots=True)
class InstanceRow:
    id: str
    definition_id: int
    process_key: str
    version: int
    business_key: str | None
    state: str
    engine_state: str
    revision: int
    parent_id: str | None
    started_at: datetime


_LOAD = (
    process_instances.c.id,
    process_instances.c.definition_id,
    process_instances.c.process_key,
    process_instances.c.version,
    process_instances.c.business_key,
    process_instances.c.state,
    process_instances.c.engine_state,
    process_instances.c.revision,
    process_instances.c.parent_id,
    process_instances.c.started_at,
)


# Statements on the hot path are built once: SQLAlchemy then reuses their compiled form, and a
# step spends its time in the database rather than in building SQL.
_SELECT = select(*_LOAD).where(process_instances.c.id == bindparam("instance_id"))
_SELECT_LOCKED = _SELECT.with_for_update()
_INSERT_TASK = insert(user_tasks).returning(user_tasks.c.id)
_INSERT_HISTORY = insert(workflow_history)
_SAVE_SQL = (
    "UPDATE process_instances SET state = ?, engine_state = ?, variables = ?, revision = ?, updated_at = ?,"
    " definition_id = ?, version = ?, ended_at = ? WHERE id = ? AND revision = ?"
)
_INSERT_WAITS_SQL = (
    "INSERT INTO waits (instance_id, wait_id, node_id, kind, message_name, correlation_key, signal_name,"
    " due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_json = json.JSONEncoder(separators=(",", ":")).encode
_HISTORY_SQL = "INSERT INTO workflow_history (instance_id, at, event, node_id, data) VALUES (?, ?, ?, ?, ?)"
#: how SQLAlchemy stores a DateTime in SQLite (read back by ``UtcDateTime``)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_COMPLETE_TASK = (
    update(user_tasks)
    .where(user_tasks.c.id == bindparam("task_id"))
    .values(
        state="completed", completed_at=bindparam("at"), completed_by=bindparam("by"), data=bindparam("data")
    )
)


_INSERT_INSTANCE = insert(process_instances)


class InstanceStore:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # --- instances ------------------------------------------------------------------------------

    def load(self, instance_id: str, *, lock: bool = True) -> InstanceRow | None:
        query = _SELECT_LOCKED if lock and self._postgres else _SELECT
        row = self._s.connection().execute(query, {"instance_id": instance_id}).first()
        return InstanceRow(*row) if row else None

    def insert(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        self._s.connection().execute(
            _INSERT_INSTANCE,
            {
                "id": row.id,
                "definition_id": row.definition_id,
                "process_key": row.process_key,
                "version": row.version,
                "business_key": row.business_key,
                "state": row.state,
                "engine_state": row.engine_state,
                "variables": variables,
                "revision": row.revision,
                "parent_id": row.parent_id,
                "started_at": now,
                "updated_at": now,
                "ended_at": now if ended else None,
            },
        )

    def save(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        when = self._time(now)
        result = self._s.connection().exec_driver_sql(
            self._sql(_SAVE_SQL),
            (
                row.state,
                row.engine_state,
                _json(variables),
                row.revision + 1,
                when,
                row.definition_id,
                row.version,
                when if ended else None,
                row.id,
                row.revision,
            ),
        )
        if result.rowcount != 1:
            raise StaleInstance(row.id)
        row.revision += 1

    # --- waits ----------------------------------------------------------------------------------

    def add_waits(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            values = [
                (
                    r["instance_id"],
                    r["wait_id"],
                    r["node_id"],
                    r["kind"],
                    r["message_name"],
                    r["correlation_key"],
                    r["signal_name"],
                    None if r["due_at"] is None else self._time(r["due_at"]),
                )
                for r in rows
            ]
            self._s.connection().exec_driver_sql(self._sql(_INSERT_WAITS_SQL), values)

    def remove_waits(self, instance_id: str, wait_ids: Iterable[int]) -> None:
        ids = list(wait_ids)
        if ids:
            marks = ", ".join("?" for _ in ids)
            sql = f"DELETE FROM waits WHERE instance_id = ? AND wait_id IN ({marks})"  # noqa: S608 - only ?s
            self._s.connection().exec_driver_sql(self._sql(sql), (instance_id, *ids))

    # --- driver-level statements ------------------------------------------------------------------
    # The statements every step runs go straight to the driver: values are converted once here
    # (UTC times; JSON as text) instead of through SQLAlchemy's per-value type processing.

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._postgres else sql

    def _time(self, moment: datetime) -> Any:
        moment = moment.astimezone(UTC)
        return moment if self._postgres else moment.strftime(_SQLITE_TIME)

    def move_wait_due(self, instance_id: str, wait_id: int, due: datetime | None) -> None:
        self._s.execute(
            update(waits).where(waits.c.instance_id == instance_id, waits.c.wait_id == wait_id).values(
                due_at=due
            )
        )

    # --- user tasks -----------------------------------------------------------------------------

    def add_tasks(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        connection = self._s.connection()
        return [int(connection.execute(_INSERT_TASK, row).scalar_one()) for row in rows]

    def cancel_tasks(self, instance_id: str, wait_ids: Iterable[int]) -> None:
        ids = list(wait_ids)
        if ids:
            self._s.execute(
                update(user_tasks)
                .where(
                    user_tasks.c.instance_id == instance_id,
                    user_tasks.c.wait_id.in_(ids),
                    user_tasks.c.state.in_(("created", "claimed")),
                )
                .values(state="cancelled")
            )

    def complete_task(self, task_id: int, *, at: datetime, by: str | None, data: dict[str, Any]) -> None:
        self._s.connection().execute(_COMPLETE_TASK, {"task_id": task_id, "at": at, "by": by, "data": data})

    # --- incidents ------------------------------------------------------------------------------

    def open_incident(self, values: dict[str, Any]) -> int:
        return int(self._s.execute(insert(incidents).values(**values).returning(incidents.c.id)).scalar_one())

    def has_open_incidents(self, instance_id: str) -> bool:
        query = select(incidents.c.id).where(
            incidents.c.instance_id == instance_id, incidents.c.state == "open"
        )
        return self._s.execute(query.limit(1)).first() is not None

    def resolved_attempts(self, instance_id: str, node_id: str) -> int:
        """The attempts of the last resolved incident at ``node_id`` (0 if none)."""
        found = self._s.execute(
            select(func.max(incidents.c.attempts)).where(
                incidents.c.instance_id == instance_id,
                incidents.c.node_id == node_id,
                incidents.c.state == "resolved",
            )
        ).scalar_one()
        return int(found or 0)

    def resolve_incidents(self, instance_id: str, wait_ids: Iterable[int], at: datetime) -> None:
        ids = list(wait_ids)
        if ids:
            self._s.execute(
                update(incidents)
                .where(
                    incidents.c.instance_id == instance_id,
                    incidents.c.wait_id.in_(ids),
                    incidents.c.state == "open",
                )
                .values(state="resolved", resolved_at=at)
            )

    # --- history --------------------------------------------------------------------------------

    def append_history(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._s.connection().execute(_INSERT_HISTORY, list(rows))

    def append_history_fast(
        self, instance_id: str, events: Sequence[tuple[datetime, str, str, str | None]]
    ) -> None:
        """Append ``(at, event, node, data as JSON text)`` rows straight through the driver.

        History is the bulk of what a step writes (a row per node entered and completed),
        so these rows skip SQLAlchemy's per-value type processing: the timestamp is
        converted once here, the data is already JSON text.
        """
        if not events:
            return
        connection = self._s.connection()
        rows: list[tuple[Any, ...]]
        if self._postgres:
            sql = _HISTORY_SQL.replace("?", "%s")
            rows = [(instance_id, at.astimezone(UTC), kind, node, data) for at, kind, node, data in events]
        else:
            sql = _HISTORY_SQL
            rows = [
                (instance_id, at.astimezone(UTC).strftime(_SQLITE_TIME), kind, node, data)
                for at, kind, node, data in events
            ]
        connection.exec_driver_sql(sql, rows)
