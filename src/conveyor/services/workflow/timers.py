"""Timer start events: a deployed process whose start event is a timer gets a recurring job.

The job of the latest version replaces any earlier one on deploy. Each firing
starts an instance at that start event and moves the job to the next due time
of its cycle (``R5/PT1H``: five more, ``R/PT10M``: for ever, a cron expression
such as ``0 0 9 * * MON-FRI``: at its next time after the firing, for ever); a date
or a duration fires once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from conveyor.adapters.workflow.jobs import Job, JobStore
from conveyor.engine.bpmn.model import TimerKind
from conveyor.engine.runtime.timers import first_due, next_due
from conveyor.services.workflow.context import StepContext

if TYPE_CHECKING:
    from conveyor.services.workflow.runtime import WorkflowRuntime


def schedule_timer_starts(runtime: WorkflowRuntime, ctx: StepContext, process_key: str) -> int:
    """Replace the timer-start jobs of ``process_key`` with those of its latest version."""
    store = JobStore(ctx.uow.session)
    store.remove_timer_starts(process_key)
    rows = []
    for info in runtime.models.library.start_events("timer"):
        if info.process_id != process_key or info.timer_value is None:
            continue
        kind = TimerKind(info.timer_kind) if info.timer_kind else None
        due, cycle = first_due(kind, info.timer_value, ctx.now)
        rows.append(
            {
                "kind": "timer_start",
                "process_key": process_key,
                "node_id": info.node,
                "due_at": due,
                "attempts": 0,
                "retries": 1,
                "payload": {"version": info.version, "cycle": cycle},
                "created_at": ctx.now,
            }
        )
    store.add(rows)
    return len(rows)


def fire_timer_start(runtime: WorkflowRuntime, ctx: StepContext, job: Job) -> bool:
    """Start the instance; True when the job has another firing (it was moved), False when done."""
    payload: dict[str, Any] = job.payload or {}
    assert job.process_key is not None and job.node_id is not None
    runtime.start_in(ctx, job.process_key, {}, version=payload.get("version"), start_event=job.node_id)
    following = next_due(job.due_at, payload.get("cycle") or {}, now=ctx.now)
    if following is None:
        return False
    due, cycle = following
    _move(ctx, job, due, {**payload, "cycle": cycle})
    return True


def _move(ctx: StepContext, job: Job, due: datetime, payload: dict[str, Any]) -> None:
    from sqlalchemy import update

    from conveyor.adapters.db.workflow_tables import jobs

    ctx.uow.session.execute(
        update(jobs)
        .where(jobs.c.id == job.id)
        .values(due_at=due, payload=payload, lock_owner=None, lock_expires_at=None)
    )
