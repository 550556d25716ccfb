"""The workflow runtime's tables: deployments, instances, waits, tasks, jobs, incidents, history.

They live on the same ``metadata`` as ``tables.py`` (migration 0002 creates them).
The split of an instance over several tables is deliberate:

- ``process_instances.state`` is the engine's saved state (tokens, scopes, waits),
  compact JSON text rewritten on every step and guarded by ``revision``;
- ``waits`` repeats each current wait as an indexed row, so "every instance
  waiting at quality_check" and message correlation are index lookups, not
  scans of JSON;
- ``workflow_history`` is append-only and never read by a step, so a step
  costs the same at the first node and the thousandth; a step writes one row
  holding all its entries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime


def _present(column: str) -> dict[str, Any]:
    """A partial index's condition: only rows that have ``column`` enter it (fewer pages per commit)."""
    where = text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", String(300), nullable=True),
    Column("checksum", String(64), nullable=False),
    Column("deployed_at", UtcDateTime(), nullable=False),
    Column("deployed_by", String(200), nullable=True),
)

process_definitions = Table(
    "process_definitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deployment_id", Integer, ForeignKey("deployments.id"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("version", Integer, nullable=False),
    # sha256 of the whole file: redeploying an unchanged file adds no version
    Column("checksum", String(64), nullable=False),
    Column("name", String(300), nullable=True),
    Column("source", Text, nullable=False),
    Column("deployed_at", UtcDateTime(), nullable=False),
    UniqueConstraint("key", "kind", "version"),
    UniqueConstraint("key", "kind", "checksum"),
    CheckConstraint("kind IN ('bpmn', 'dmn')", name="kind_known"),
)

process_instances = Table(
    "process_instances",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("definition_id", Integer, ForeignKey("process_definitions.id"), nullable=False),
    Column("process_key", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("business_key", String(200), nullable=True),
    Column("state", String(16), nullable=False),
    # the engine's to_state() as compact JSON text (read and written whole, never queried)
    Column("engine_state", Text, nullable=False),
    # the process-scope variables (encoded as the engine saves them), for queries and reads
    Column("variables", JSON, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("parent_id", String(100), nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    CheckConstraint(
        "state IN ('active', 'failed', 'completed', 'terminated', 'cancelled')", name="state_known"
    ),
    Index("ix_process_instances_process_key_version_state", "process_key", "version", "state"),
    # partial indexes (migration 0011): rows without the value never enter them
    Index("ix_process_instances_business_key", "business_key", **_present("business_key")),
    Index("ix_process_instances_state_ended_at", "state", "ended_at", **_present("ended_at")),
)

waits = Table(
    "waits",
    metadata,
    Column("instance_id", String(100), ForeignKey("process_instances.id"), primary_key=True),
    Column("wait_id", Integer, primary_key=True),
    Column("node_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("message_name", String(200), nullable=True),
    Column("correlation_key", String(200), nullable=True),
    Column("signal_name", String(200), nullable=True),
    Column("due_at", UtcDateTime(), nullable=True),
    Index("ix_waits_node_id_kind", "node_id", "kind"),
    Index(
        "ix_waits_message_name_correlation_key",
        "message_name",
        "correlation_key",
        **_present("message_name"),
    ),
    Index("ix_waits_signal_name", "signal_name", **_present("signal_name")),
    # SQLite: the primary key is the table (no rowid b-tree beside it), one page less per step
    sqlite_with_rowid=False,
)

user_tasks = Table(
    "user_tasks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("instance_id", String(100), ForeignKey("process_instances.id"), nullable=False),
    Column("wait_id", Integer, nullable=False),
    Column("node_id", String(200), nullable=False),
    Column("name", String(300), nullable=True),
    Column("assignee", String(200), nullable=True),
    # JSON lists for reading, plus ",a,b," text so "in group a" is a portable LIKE '%,a,%'
    Column("candidate_groups", JSON, nullable=False),
    Column("candidate_users", JSON, nullable=False),
    Column("candidate_groups_text", String(1000), nullable=False),
    Column("due_at", String(64), nullable=True),
    Column("priority", Integer, nullable=True),
    Column("form", JSON, nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("completed_by", String(200), nullable=True),
    Column("data", JSON, nullable=True),
    # the task inbox's (migration 0005): when the task was escalated, and who delegated it
    Column("escalated_at", UtcDateTime(), nullable=True),
    Column("owner", String(200), nullable=True),
    UniqueConstraint("instance_id", "wait_id"),
    CheckConstraint("state IN ('created', 'claimed', 'completed', 'cancelled')", name="state_known"),
    Index("ix_user_tasks_state_node_id", "state", "node_id"),
    Index("ix_user_tasks_assignee", "assignee", **_present("assignee")),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("instance_id", String(100), nullable=True),
    Column("wait_id", Integer, nullable=True),
    Column("node_id", String(200), nullable=True),
    Column("process_key", String(200), nullable=True),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("lock_owner", String(200), nullable=True),
    Column("lock_expires_at", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("retries", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("payload", JSON, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "kind IN ('timer', 'async', 'service', 'retry', 'timer_start', 'call')", name="kind_known"
    ),
    Index("ix_jobs_due_at", "due_at"),
    Index("ix_jobs_instance_id_wait_id", "instance_id", "wait_id"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("instance_id", String(100), ForeignKey("process_instances.id"), nullable=False),
    Column("wait_id", Integer, nullable=False),
    Column("node_id", String(200), nullable=False),
    Column("job_id", BigInteger, nullable=True),
    Column("error", Text, nullable=False),
    Column("stacktrace", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    CheckConstraint("state IN ('open', 'resolved')", name="state_known"),
    Index("ix_incidents_state", "state"),
    Index("ix_incidents_instance_id", "instance_id"),
)

buffered_messages = Table(
    "buffered_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("correlation_key", String(200), nullable=True),
    Column("variables", JSON, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_buffered_messages_name_correlation_key", "name", "correlation_key"),
)

workflow_history = Table(
    "workflow_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("instance_id", String(100), nullable=False),
    # one row per step (migration 0013): ``at`` is the step's time, ``entries`` its entries as
    # a JSON array of [event, node_id, data(, own time)] (see adapters/workflow/history.py)
    Column("at", UtcDateTime(), nullable=False),
    Column("entries", JSON, nullable=False),
    Index("ix_workflow_history_instance_id_id", "instance_id", "id"),
)
