"""What ``/metrics`` reports about the database: instances, jobs, tasks, incidents, event backlog.

Each figure is one indexed ``GROUP BY`` or ``count`` read at scrape time (so
every API process reports the same numbers, whichever served the scrape);
``entrypoints/api/metrics.py`` turns them into Prometheus metrics next to the
per-process HTTP request counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.delivery_tables import dispatch_cursors, webhook_deliveries
from conveyor.adapters.db.outbox_tables import outbox
from conveyor.adapters.db.workflow_tables import incidents, jobs, process_instances, user_tasks


@dataclass
class Snapshot:
    """The database's figures at one moment."""

    #: (process key, state) -> instances
    instances: dict[tuple[str, str], int] = field(default_factory=dict)
    #: job kind -> jobs due now and not held by a live worker lock
    jobs_due: dict[str, int] = field(default_factory=dict)
    #: job kind -> jobs held by a worker whose lock has not expired
    jobs_locked: dict[str, int] = field(default_factory=dict)
    #: job kind -> jobs due later (timers, retries with backoff)
    jobs_scheduled: dict[str, int] = field(default_factory=dict)
    #: process key -> open incidents
    incidents_open: dict[str, int] = field(default_factory=dict)
    #: user-task state (created, claimed) -> tasks
    tasks_open: dict[str, int] = field(default_factory=dict)
    #: the outbox's highest sequence number (0 when empty)
    outbox_last_sequence: int = 0
    #: outbox rows kept
    outbox_events: int = 0
    #: event consumer -> outbox events after its cursor (not taken in yet)
    outbox_backlog: dict[str, int] = field(default_factory=dict)
    #: webhook delivery status (pending, delivering, failed ...) -> deliveries
    webhook_deliveries: dict[str, int] = field(default_factory=dict)


def snapshot(session: Session, now: datetime) -> Snapshot:
    """Read every figure in one short read-only transaction of ``session``."""
    found = Snapshot()
    pi = process_instances.c
    for key, state, count in session.execute(
        select(pi.process_key, pi.state, func.count()).group_by(pi.process_key, pi.state)
    ):
        found.instances[(key, state)] = count
    j = jobs.c
    held = and_(j.lock_owner.is_not(None), j.lock_expires_at >= now)
    free = or_(j.lock_owner.is_(None), j.lock_expires_at < now)
    for kind, count in session.execute(select(j.kind, func.count()).where(held).group_by(j.kind)):
        found.jobs_locked[kind] = count
    for kind, count in session.execute(
        select(j.kind, func.count()).where(free, j.due_at <= now).group_by(j.kind)
    ):
        found.jobs_due[kind] = count
    for kind, count in session.execute(
        select(j.kind, func.count()).where(free, j.due_at > now).group_by(j.kind)
    ):
        found.jobs_scheduled[kind] = count
    for key, count in session.execute(
        select(pi.process_key, func.count())
        .select_from(incidents.join(process_instances, incidents.c.instance_id == pi.id))
        .where(incidents.c.state == "open")
        .group_by(pi.process_key)
    ):
        found.incidents_open[key] = count
    for state, count in session.execute(
        select(user_tasks.c.state, func.count())
        .where(user_tasks.c.state.in_(("created", "claimed")))
        .group_by(user_tasks.c.state)
    ):
        found.tasks_open[state] = count
    last, total = session.execute(select(func.max(outbox.c.sequence), func.count()).select_from(outbox)).one()
    found.outbox_last_sequence, found.outbox_events = int(last or 0), int(total or 0)
    for consumer, position in session.execute(
        select(dispatch_cursors.c.consumer, dispatch_cursors.c.position)
    ):
        found.outbox_backlog[consumer] = max(found.outbox_last_sequence - int(position), 0)
    for status, count in session.execute(
        select(webhook_deliveries.c.status, func.count()).group_by(webhook_deliveries.c.status)
    ):
        found.webhook_deliveries[status] = count
    return found
