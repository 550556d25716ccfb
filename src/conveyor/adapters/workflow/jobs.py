"""Jobs: timers, async continuations, service handlers run by workers, retries, timer starts.

Claiming is the one place the two databases differ. PostgreSQL: ``SELECT ...
FOR UPDATE SKIP LOCKED`` picks due rows no other transaction holds, and the
same transaction stamps them with the worker's name and a lock expiry. SQLite:
the transaction starts with ``BEGIN IMMEDIATE`` (see ``write_transaction``), so
claimers run one at a time and a plain select-then-update is safe. Either way
a job whose lock expired (its worker died) is due again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.raw import SessionSource, resolve
from conveyor.adapters.db.workflow_tables import jobs


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    instance_id: str | None
    wait_id: int | None
    node_id: str | None
    process_key: str | None
    due_at: datetime
    lock_owner: str | None
    attempts: int
    retries: int
    last_error: str | None
    payload: dict[str, Any] | None


_COLUMNS = (
    jobs.c.id,
    jobs.c.kind,
    jobs.c.instance_id,
    jobs.c.wait_id,
    jobs.c.node_id,
    jobs.c.process_key,
    jobs.c.due_at,
    jobs.c.lock_owner,
    jobs.c.attempts,
    jobs.c.retries,
    jobs.c.last_error,
    jobs.c.payload,
)


def write_transaction(session: Session) -> None:
    """Open the session's transaction as a writer (SQLite: ``BEGIN IMMEDIATE``).

    SQLite in WAL mode lets a deferred transaction read and then fail to write if
    another connection committed meanwhile; taking the write lock first makes
    concurrent steps wait for each other (busy timeout) instead.
    """
    if session.in_transaction():
        return
    session.connection(execution_options={"conveyor_sqlite_immediate": True})


class JobStore:
    """Jobs of one transaction; ``session`` may be a callable that makes it on first use."""

    def __init__(self, session: SessionSource) -> None:
        self._source = session

    @property
    def _s(self) -> Session:
        return resolve(self._source)

    @property
    def _postgres(self) -> bool:
        return self._s.get_bind().dialect.name == "postgresql"

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self._s.execute(insert(jobs), list(rows))

    def get(self, job_id: int, *, owner: str | None = None, lock: bool = True) -> Job | None:
        """The job (if ``owner`` still holds it); ``lock`` takes its row lock on PostgreSQL.

        Lock order matters: a step locks its instance row first and may then delete the
        instance's jobs, so a worker locks a job row only after the instance row.
        """
        query = select(*_COLUMNS).where(jobs.c.id == job_id)
        if owner is not None:
            query = query.where(jobs.c.lock_owner == owner)
        if lock and self._postgres:
            query = query.with_for_update()
        row = self._s.execute(query).first()
        return Job(*row) if row else None

    def claim(self, owner: str, *, now: datetime, until: datetime, limit: int) -> list[int]:
        due = and_(jobs.c.due_at <= now, or_(jobs.c.lock_owner.is_(None), jobs.c.lock_expires_at < now))
        query = select(jobs.c.id).where(due).order_by(jobs.c.due_at, jobs.c.id).limit(limit)
        if self._postgres:
            query = query.with_for_update(skip_locked=True)
        ids = [int(i) for i in self._s.execute(query).scalars()]
        if ids:
            self._s.execute(
                update(jobs).where(jobs.c.id.in_(ids)).values(lock_owner=owner, lock_expires_at=until)
            )
        return ids

    def release(self, ids: Sequence[int], owner: str) -> int:
        if not ids:
            return 0
        result = self._s.execute(
            update(jobs)
            .where(jobs.c.id.in_(list(ids)), jobs.c.lock_owner == owner)
            .values(lock_owner=None, lock_expires_at=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def reschedule(self, job_id: int, *, due: datetime, attempts: int, error: str | None) -> None:
        self._s.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(due_at=due, attempts=attempts, last_error=error, lock_owner=None, lock_expires_at=None)
        )

    def remove(self, job_id: int, *, owner: str | None = None) -> None:
        """Delete a job; with ``owner``, only while that worker holds it.

        SQLite reuses the largest rowid after a delete, so a step that deleted this job and
        created another may have given the new one the same id: the owner check keeps it.
        """
        query = delete(jobs).where(jobs.c.id == job_id)
        if owner is not None:
            query = query.where(jobs.c.lock_owner == owner)
        self._s.execute(query)

    def remove_for_waits(self, instance_id: str, wait_ids: Sequence[int]) -> None:
        if wait_ids:
            self._s.execute(
                delete(jobs).where(jobs.c.instance_id == instance_id, jobs.c.wait_id.in_(list(wait_ids)))
            )

    def move_due(self, instance_id: str, wait_id: int, due: datetime) -> None:
        """A wait's next time (a timer cycle fired): the job is due then, and free for any worker."""
        self._s.execute(
            update(jobs)
            .where(jobs.c.instance_id == instance_id, jobs.c.wait_id == wait_id)
            .values(due_at=due, lock_owner=None, lock_expires_at=None)
        )

    def remove_timer_starts(self, process_key: str) -> None:
        self._s.execute(delete(jobs).where(jobs.c.kind == "timer_start", jobs.c.process_key == process_key))
