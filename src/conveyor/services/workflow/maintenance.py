"""Housekeeping: expired buffered messages and history retention.

History is the source for analytics, so it is kept unless an operator sets
``CONVEYOR_HISTORY_RETENTION_DAYS``; then the history of instances that ended
more than that many days ago is deleted (running instances keep all of theirs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from conveyor.adapters.db.workflow_tables import process_instances, workflow_history
from conveyor.adapters.workflow.messages import MessageStore
from conveyor.services.unit_of_work import SqlUnitOfWork

if TYPE_CHECKING:
    from conveyor.services.workflow.runtime import WorkflowRuntime


def purge_expired_messages(runtime: WorkflowRuntime) -> int:
    with SqlUnitOfWork(runtime.session_factory) as uow:
        removed = MessageStore(uow.session).purge_expired(runtime.clock())
        uow.commit()
    return removed


def prune_history(runtime: WorkflowRuntime, older_than_days: int) -> int:
    """Delete history rows of instances that ended more than ``older_than_days`` ago."""
    cutoff = runtime.clock() - timedelta(days=older_than_days)
    ended = (
        select(process_instances.c.id)
        .where(process_instances.c.ended_at.is_not(None), process_instances.c.ended_at < cutoff)
    )
    with SqlUnitOfWork(runtime.session_factory) as uow:
        result = uow.session.execute(
            delete(workflow_history).where(workflow_history.c.instance_id.in_(ended))
        )
        uow.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]
