"""Instance rows and everything rewritten with them on a step: waits, user tasks, incidents, history.

``save`` is the optimistic write: ``UPDATE ... SET revision = revision + 1
WHERE id = :id AND revision = :expected``; zero rows means another process
changed the instance since it was read (``StaleInstance``), and the caller
retries the whole step. On PostgreSQL ``load(lock=True)`` also takes the row
lock (``FOR UPDATE``), so concurrent steps of one instance queue up instead of
failing; SQLite's single writer serialises them anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from conveyor import jsontext
from conveyor.adapters.db.raw import RawSql, SessionSource, raw_sql, resolve
from conveyor.adapters.db.workflow_tables import (
    incidents,
    user_tasks,
    waits,
)
from conveyor.adapters.workflow.history import INSERT_HISTORY_SQL, Entry, history_rows


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


# The statements every step runs, with ``?`` placeholders (see ``RawSql``).
_COLUMNS = (
    "id, definition_id, process_key, version, business_key, state, engine_state, revision, parent_id,"
    " started_at"
)
_SELECT_SQL = f"SELECT {_COLUMNS} FROM process_instances WHERE id = ?"  # noqa: S608 - constant text
_SELECT_LOCKED_SQL = _SELECT_SQL + " FOR UPDATE"
_INSERT_SQL = (
    "INSERT INTO process_instances (id, definition_id, process_key, version, business_key, state,"
    " engine_state, variables, revision, parent_id, started_at, updated_at, ended_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SAVE_SQL = (
    "UPDATE process_instances SET state = ?, engine_state = ?, variables = ?, revision = ?, updated_at = ?,"
    " definition_id = ?, version = ?, ended_at = ? WHERE id = ? AND revision = ?"
)
_INSERT_WAITS_SQL = (
    "INSERT INTO waits (instance_id, wait_id, node_id, kind, message_name, correlation_key, signal_name,"
    " due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TASK_SQL = (
    "INSERT INTO user_tasks (instance_id, wait_id, node_id, name, assignee, candidate_groups,"
    " candidate_users, candidate_groups_text, due_at, priority, form, state, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_TASK_SQL = "SELECT instance_id, wait_id, node_id, state FROM user_tasks WHERE id = ?"
_TASK_INSTANCE_COLUMNS = ", ".join(f"i.{c.strip()}" for c in _COLUMNS.split(","))
_TASK_WITH_INSTANCE_SQL = (
    f"SELECT t.wait_id, t.node_id, t.state, {_TASK_INSTANCE_COLUMNS}"  # noqa: S608 - constant text
    " FROM user_tasks t JOIN process_instances i ON i.id = t.instance_id WHERE t.id = ?"
)
_COMPLETE_TASK_SQL = (
    "UPDATE user_tasks SET state = 'completed', completed_at = ?, completed_by = ?, data = ? WHERE id = ?"
)
_json = jsontext.dumps


class InstanceStore:
    """Instances, waits, user tasks, incidents and history of one transaction.

    ``session`` may be a callable that makes the session: the hot statements go through
    ``raw`` and never need one (``services/unit_of_work.LeanUnitOfWork``).
    """

    def __init__(self, session: SessionSource, raw: RawSql | None = None) -> None:
        self._source = session
        self._raw_sql = raw
        self._postgres = raw.postgres if raw is not None else self._s.get_bind().dialect.name == "postgresql"

    @property
    def _s(self) -> Session:
        return resolve(self._source)

    @property
    def _raw(self) -> RawSql:
        if self._raw_sql is None:
            self._raw_sql = raw_sql(self._s)
        return self._raw_sql

    # --- instances ------------------------------------------------------------------------------

    def load(self, instance_id: str, *, lock: bool = True) -> InstanceRow | None:
        raw = self._raw
        sql = _SELECT_LOCKED_SQL if lock and raw.postgres else _SELECT_SQL
        found = raw.execute(sql, (instance_id,)).fetchone()
        if found is None:
            return None
        row = InstanceRow(*found)
        row.started_at = raw.read_time(row.started_at)
        return row

    def insert(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        raw = self._raw
        when = raw.time(now)
        raw.execute(
            _INSERT_SQL,
            (
                row.id,
                row.definition_id,
                row.process_key,
                row.version,
                row.business_key,
                row.state,
                row.engine_state,
                _json(variables),
                row.revision,
                row.parent_id,
                when,
                when,
                when if ended else None,
            ),
        )

    def save(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        raw = self._raw
        when = raw.time(now)
        result = raw.execute(
            _SAVE_SQL,
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
            raw = self._raw
            values = [
                (
                    r["instance_id"],
                    r["wait_id"],
                    r["node_id"],
                    r["kind"],
                    r["message_name"],
                    r["correlation_key"],
                    r["signal_name"],
                    raw.time(r["due_at"]),
                )
                for r in rows
            ]
            if len(values) == 1:
                raw.execute(_INSERT_WAITS_SQL, values[0])
            else:
                raw.execute_many(_INSERT_WAITS_SQL, values)

    def remove_waits(self, instance_id: str, wait_ids: Iterable[int]) -> None:
        ids = list(wait_ids)
        if ids:
            marks = ", ".join("?" for _ in ids)
            sql = f"DELETE FROM waits WHERE instance_id = ? AND wait_id IN ({marks})"  # noqa: S608 - only ?s
            self._raw.execute(sql, (instance_id, *ids))

    def move_wait_due(self, instance_id: str, wait_id: int, due: datetime | None) -> None:
        self._s.execute(
            update(waits)
            .where(waits.c.instance_id == instance_id, waits.c.wait_id == wait_id)
            .values(due_at=due)
        )

    # --- user tasks -----------------------------------------------------------------------------

    def add_tasks(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        raw = self._raw
        sql = _INSERT_TASK_SQL + (" RETURNING id" if raw.postgres else "")
        ids = []
        for r in rows:
            form = r["form"]
            cursor = raw.execute(
                sql,
                (
                    r["instance_id"],
                    r["wait_id"],
                    r["node_id"],
                    r["name"],
                    r["assignee"],
                    _json(r["candidate_groups"]),
                    _json(r["candidate_users"]),
                    r["candidate_groups_text"],
                    r["due_at"],
                    r["priority"],
                    None if form is None else _json(form),
                    r["state"],
                    raw.time(r["created_at"]),
                ),
            )
            ids.append(int(cursor.fetchone()[0] if raw.postgres else cursor.lastrowid))
        return ids

    def task_with_instance(
        self, task_id: int, *, lock: bool = True
    ) -> tuple[int, str, str, InstanceRow] | None:
        """``(wait_id, node_id, task state, instance row)`` in one statement, or None.

        With ``lock`` on PostgreSQL the instance row is locked as ``load`` locks it (the
        returned row is then its latest committed version), so completing a task costs one
        round trip less than reading the task and then loading the instance.
        """
        raw = self._raw
        sql = _TASK_WITH_INSTANCE_SQL + (" FOR UPDATE OF i" if lock and raw.postgres else "")
        found = raw.execute(sql, (task_id,)).fetchone()
        if found is None:
            return None
        row = InstanceRow(*found[3:])
        row.started_at = raw.read_time(row.started_at)
        return int(found[0]), found[1], found[2], row

    def task(self, task_id: int) -> tuple[str, int, str, str] | None:
        """``(instance_id, wait_id, node_id, state)`` of a user task, or None."""
        found = self._raw.execute(_TASK_SQL, (task_id,)).fetchone()
        return None if found is None else (found[0], int(found[1]), found[2], found[3])

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
        raw = self._raw
        raw.execute(_COMPLETE_TASK_SQL, (raw.time(at), by, _json(data), task_id))

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
        """Append history entries given as ``{instance_id, at, event, node_id, data}`` dicts.

        Consecutive entries of one instance become one row (``append_history_fast``).
        """
        start = 0
        for end in range(1, len(rows) + 1):
            if end == len(rows) or rows[end]["instance_id"] != rows[start]["instance_id"]:
                self.append_history_fast(
                    rows[start]["instance_id"],
                    [(r["at"], r["event"], r["node_id"], r["data"]) for r in rows[start:end]],
                )
                start = end

    def append_history_fast(self, instance_id: str, entries: Sequence[Entry]) -> None:
        """Append one step's ``(at, event, node, data as a JSON value)`` entries as one row.

        History is the bulk of what a step records (an entry per node entered and completed,
        variable set ...), so the step writes it as one row straight through the driver: the
        entries encoded as one JSON array, the row's time converted once, one INSERT
        (``adapters/workflow/history.py``; more rows only past 1000 entries).
        """
        if not entries:
            return
        raw = self._raw
        rows = history_rows(instance_id, entries, raw.time)
        if len(rows) == 1:
            raw.execute(INSERT_HISTORY_SQL, rows[0])
        else:
            raw.execute_many(INSERT_HISTORY_SQL, rows)
