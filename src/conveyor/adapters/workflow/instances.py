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

from sqlalchemy import delete, insert, select, update
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


class InstanceStore:
    def __init__(self, session: Session) -> None:
        self._s = session
        self._postgres = session.get_bind().dialect.name == "postgresql"

    # --- instances ------------------------------------------------------------------------------

    def load(self, instance_id: str, *, lock: bool = True) -> InstanceRow | None:
        query = select(*_LOAD).where(process_instances.c.id == instance_id)
        if lock and self._postgres:
            query = query.with_for_update()
        row = self._s.execute(query).first()
        return InstanceRow(*row) if row else None

    def insert(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        self._s.execute(
            insert(process_instances).values(
                id=row.id,
                definition_id=row.definition_id,
                process_key=row.process_key,
                version=row.version,
                business_key=row.business_key,
                state=row.state,
                engine_state=row.engine_state,
                variables=variables,
                revision=row.revision,
                parent_id=row.parent_id,
                started_at=now,
                updated_at=now,
                ended_at=now if ended else None,
            )
        )

    def save(self, row: InstanceRow, *, variables: dict[str, Any], now: datetime, ended: bool) -> None:
        values: dict[str, Any] = {
            "state": row.state,
            "engine_state": row.engine_state,
            "variables": variables,
            "revision": row.revision + 1,
            "updated_at": now,
            "definition_id": row.definition_id,
            "version": row.version,
        }
        if ended:
            values["ended_at"] = now
        result = self._s.execute(
            update(process_instances)
            .where(process_instances.c.id == row.id, process_instances.c.revision == row.revision)
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleInstance(row.id)
        row.revision += 1

    # --- waits ----------------------------------------------------------------------------------

    def add_waits(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._s.execute(insert(waits), list(rows))

    def remove_waits(self, instance_id: str, wait_ids: Iterable[int]) -> None:
        ids = list(wait_ids)
        if ids:
            self._s.execute(delete(waits).where(waits.c.instance_id == instance_id, waits.c.wait_id.in_(ids)))

    def move_wait_due(self, instance_id: str, wait_id: int, due: datetime | None) -> None:
        self._s.execute(
            update(waits).where(waits.c.instance_id == instance_id, waits.c.wait_id == wait_id).values(due_at=due)
        )

    # --- user tasks -----------------------------------------------------------------------------

    def add_tasks(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._s.execute(insert(user_tasks), list(rows))

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
        self._s.execute(
            update(user_tasks)
            .where(user_tasks.c.id == task_id)
            .values(state="completed", completed_at=at, completed_by=by, data=data)
        )

    # --- incidents ------------------------------------------------------------------------------

    def open_incident(self, values: dict[str, Any]) -> int:
        return int(self._s.execute(insert(incidents).values(**values).returning(incidents.c.id)).scalar_one())

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
            self._s.execute(insert(workflow_history), list(rows))
