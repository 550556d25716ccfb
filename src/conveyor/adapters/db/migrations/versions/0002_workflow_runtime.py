"""The workflow runtime: deployments, instances, waits, user tasks, jobs, incidents, messages, history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANCE_STATES = "'active', 'failed', 'completed', 'terminated', 'cancelled'"
JOB_KINDS = "'timer', 'async', 'service', 'retry', 'timer_start', 'call'"


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("deployed_at", UtcDateTime(), nullable=False),
        sa.Column("deployed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deployments"),
    )
    op.create_table(
        "process_definitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("deployed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_process_definitions"),
        sa.ForeignKeyConstraint(
            ["deployment_id"], ["deployments.id"], name="fk_process_definitions_deployment_id_deployments"
        ),
        sa.UniqueConstraint("key", "kind", "version", name="uq_process_definitions_key_kind_version"),
        sa.UniqueConstraint("key", "kind", "checksum", name="uq_process_definitions_key_kind_checksum"),
        sa.CheckConstraint("kind IN ('bpmn', 'dmn')", name="ck_process_definitions_kind_known"),
    )
    op.create_table(
        "process_instances",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("business_key", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("engine_state", sa.Text(), nullable=False),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(length=100), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_process_instances"),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definitions.id"],
            name="fk_process_instances_definition_id_process_definitions",
        ),
        sa.CheckConstraint(f"state IN ({INSTANCE_STATES})", name="ck_process_instances_state_known"),
    )
    op.create_index(
        "ix_process_instances_process_key_version_state",
        "process_instances",
        ["process_key", "version", "state"],
    )
    op.create_index("ix_process_instances_business_key", "process_instances", ["business_key"])
    op.create_index("ix_process_instances_state_ended_at", "process_instances", ["state", "ended_at"])
    op.create_table(
        "waits",
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("wait_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_name", sa.String(length=200), nullable=True),
        sa.Column("correlation_key", sa.String(length=200), nullable=True),
        sa.Column("signal_name", sa.String(length=200), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", "wait_id", name="pk_waits"),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"], name="fk_waits_instance_id_process_instances"
        ),
    )
    op.create_index("ix_waits_node_id_kind", "waits", ["node_id", "kind"])
    op.create_index("ix_waits_message_name_correlation_key", "waits", ["message_name", "correlation_key"])
    op.create_index("ix_waits_signal_name", "waits", ["signal_name"])
    op.create_table(
        "user_tasks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("wait_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("candidate_groups", sa.JSON(), nullable=False),
        sa.Column("candidate_users", sa.JSON(), nullable=False),
        sa.Column("candidate_groups_text", sa.String(length=1000), nullable=False),
        sa.Column("due_at", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("form", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("completed_by", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_user_tasks"),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"], name="fk_user_tasks_instance_id_process_instances"
        ),
        sa.UniqueConstraint("instance_id", "wait_id", name="uq_user_tasks_instance_id_wait_id"),
        sa.CheckConstraint(
            "state IN ('created', 'claimed', 'completed', 'cancelled')", name="ck_user_tasks_state_known"
        ),
    )
    op.create_index("ix_user_tasks_state_node_id", "user_tasks", ["state", "node_id"])
    op.create_index("ix_user_tasks_assignee", "user_tasks", ["assignee"])
    op.create_table(
        "jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=True),
        sa.Column("wait_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.String(length=200), nullable=True),
        sa.Column("process_key", sa.String(length=200), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("lock_owner", sa.String(length=200), nullable=True),
        sa.Column("lock_expires_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.CheckConstraint(f"kind IN ({JOB_KINDS})", name="ck_jobs_kind_known"),
    )
    op.create_index("ix_jobs_due_at", "jobs", ["due_at"])
    op.create_index("ix_jobs_instance_id_wait_id", "jobs", ["instance_id", "wait_id"])
    op.create_table(
        "incidents",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("wait_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("stacktrace", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instances.id"], name="fk_incidents_instance_id_process_instances"
        ),
        sa.CheckConstraint("state IN ('open', 'resolved')", name="ck_incidents_state_known"),
    )
    op.create_index("ix_incidents_state", "incidents", ["state"])
    op.create_index("ix_incidents_instance_id", "incidents", ["instance_id"])
    op.create_table(
        "buffered_messages",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=True),
        sa.Column("variables", sa.JSON(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_buffered_messages"),
    )
    op.create_index(
        "ix_buffered_messages_name_correlation_key", "buffered_messages", ["name", "correlation_key"]
    )
    op.create_table(
        "workflow_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workflow_history"),
    )
    op.create_index("ix_workflow_history_instance_id_id", "workflow_history", ["instance_id", "id"])


def downgrade() -> None:
    for table in (
        "workflow_history",
        "buffered_messages",
        "incidents",
        "jobs",
        "user_tasks",
        "waits",
        "process_instances",
        "process_definitions",
        "deployments",
    ):
        op.drop_table(table)
