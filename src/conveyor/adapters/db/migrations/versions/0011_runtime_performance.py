"""Indexes and storage changes for the persisted engine's hot path.

Every index a step's row enters is one more b-tree page the commit writes
(SQLite's WAL writes whole pages, PostgreSQL its index tuples and WAL records).
Most instances, waits and tasks leave these columns empty, so the indexes on
them become partial (``WHERE column IS NOT NULL``): a row without a business
key, message, signal, assignee or end time no longer enters them, and the
lookups that use them (``column = value``, ``ended_at < cutoff``) imply
``IS NOT NULL``, so both databases still use them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: (index, table, columns, the column that must be present)
PARTIAL = (
    ("ix_process_instances_business_key", "process_instances", ["business_key"], "business_key"),
    ("ix_process_instances_state_ended_at", "process_instances", ["state", "ended_at"], "ended_at"),
    ("ix_waits_message_name_correlation_key", "waits", ["message_name", "correlation_key"], "message_name"),
    ("ix_waits_signal_name", "waits", ["signal_name"], "signal_name"),
    ("ix_user_tasks_assignee", "user_tasks", ["assignee"], "assignee"),
)


def upgrade() -> None:
    for name, table, columns, present in PARTIAL:
        where = sa.text(f"{present} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, columns, _present in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
