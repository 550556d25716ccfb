"""The exception register and the task inbox's own tables (comments, activity), plus two user-task columns.

- ``exception_records``: one row per exception (category, type, severity,
  links, owner, SLA due time, status, resolution, root cause, reason code and
  text, the classifier's category/confidence/method);
- ``exception_history``: append-only, one row per change of a record (who,
  when, which fields from what to what);
- ``exception_settings``: the applied ``exceptions`` configuration section
  (one row; absent means the bundled defaults);
- ``task_comments`` and ``task_activity``: comments on user tasks and every
  inbox action (claimed, unclaimed, delegated, completed, escalated);
- ``user_tasks.escalated_at`` / ``user_tasks.owner`` (declared in
  ``workflow_tables.py``, added by migration 0005): when a task was
  escalated, and who delegated it.

Links are plain values, not foreign keys: a record must be writable for any
flow (an unknown SKU from a channel, an order that was never created).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

exception_records = Table(
    "exception_records",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("type", String(100), nullable=False),
    Column("category", String(64), nullable=False),
    # how the category was chosen: explicit, reason_code, classifier, type or default
    Column("category_source", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("order_id", String(100), nullable=True),
    Column("order_line_id", String(100), nullable=True),
    Column("sku", String(64), nullable=True),
    Column("warehouse_code", String(64), nullable=True),
    Column("carrier_code", String(64), nullable=True),
    Column("process_instance_id", String(100), nullable=True),
    Column("task_id", BigInteger, nullable=True),
    Column("incident_id", BigInteger, nullable=True),
    Column("reason_code", String(64), nullable=True),
    Column("reason_text", Text, nullable=True),
    Column("classifier_category", String(64), nullable=True),
    Column("classifier_confidence", Float, nullable=True),
    Column("classifier_method", String(16), nullable=True),
    Column("owner_group", String(100), nullable=True),
    Column("assignee", String(200), nullable=True),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("resolution", Text, nullable=True),
    Column("root_cause", Text, nullable=True),
    Column("details", JSON, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    # bumped by every change; updates are conditional on it, so two racing changes cannot both win
    Column("revision", Integer, nullable=False),
    CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name="severity_known"),
    CheckConstraint("status IN ('open', 'in_progress', 'resolved', 'closed')", name="status_known"),
    Index("ix_exception_records_status_due_at", "status", "due_at"),
    Index("ix_exception_records_category_created_at", "category", "created_at"),
    Index("ix_exception_records_type", "type"),
    Index("ix_exception_records_order_id", "order_id"),
    Index("ix_exception_records_sku", "sku"),
    Index("ix_exception_records_carrier_code", "carrier_code"),
    Index("ix_exception_records_warehouse_code", "warehouse_code"),
    Index("ix_exception_records_incident_id", "incident_id"),
    Index("ix_exception_records_task_id", "task_id"),
)

exception_history = Table(
    "exception_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("exception_id", BigInteger, ForeignKey("exception_records.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(200), nullable=True),
    # {"field": [before, after], ...} for updates; the initial values for "recorded"
    Column("changes", JSON, nullable=False),
    Index("ix_exception_history_exception_id_id", "exception_id", "id"),
)

exception_settings = Table(
    "exception_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

task_comments = Table(
    "task_comments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("task_id", BigInteger, ForeignKey("user_tasks.id"), nullable=False),
    Column("author", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_task_comments_task_id_id", "task_id", "id"),
)

task_activity = Table(
    "task_activity",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("task_id", BigInteger, ForeignKey("user_tasks.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(200), nullable=True),
    Column("data", JSON, nullable=True),
    Index("ix_task_activity_task_id_id", "task_id", "id"),
)
