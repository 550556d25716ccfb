"""The exception register and the task inbox (comments, delegation, escalation).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exception_records",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("category_source", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("order_line_id", sa.String(length=100), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("warehouse_code", sa.String(length=64), nullable=True),
        sa.Column("carrier_code", sa.String(length=64), nullable=True),
        sa.Column("process_instance_id", sa.String(length=100), nullable=True),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("classifier_category", sa.String(length=64), nullable=True),
        sa.Column("classifier_confidence", sa.Float(), nullable=True),
        sa.Column("classifier_method", sa.String(length=16), nullable=True),
        sa.Column("owner_group", sa.String(length=100), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name="ck_exception_records_severity_known"
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'resolved', 'closed')",
            name="ck_exception_records_status_known",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exception_records"),
    )
    for name, columns in (
        ("ix_exception_records_status_due_at", ["status", "due_at"]),
        ("ix_exception_records_category_created_at", ["category", "created_at"]),
        ("ix_exception_records_type", ["type"]),
        ("ix_exception_records_order_id", ["order_id"]),
        ("ix_exception_records_sku", ["sku"]),
        ("ix_exception_records_carrier_code", ["carrier_code"]),
        ("ix_exception_records_warehouse_code", ["warehouse_code"]),
        ("ix_exception_records_incident_id", ["incident_id"]),
        ("ix_exception_records_task_id", ["task_id"]),
    ):
        op.create_index(name, "exception_records", columns, unique=False)
    op.create_table(
        "exception_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("exception_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["exception_records.id"],
            name="fk_exception_history_exception_id_exception_records",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exception_history"),
    )
    op.create_index(
        "ix_exception_history_exception_id_id", "exception_history", ["exception_id", "id"], unique=False
    )
    op.create_table(
        "exception_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exception_settings"),
    )
    op.create_table(
        "task_comments",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["user_tasks.id"], name="fk_task_comments_task_id_user_tasks"),
        sa.PrimaryKeyConstraint("id", name="pk_task_comments"),
    )
    op.create_index("ix_task_comments_task_id_id", "task_comments", ["task_id", "id"], unique=False)
    op.create_table(
        "task_activity",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["user_tasks.id"], name="fk_task_activity_task_id_user_tasks"),
        sa.PrimaryKeyConstraint("id", name="pk_task_activity"),
    )
    op.create_index("ix_task_activity_task_id_id", "task_activity", ["task_id", "id"], unique=False)
    op.add_column("user_tasks", sa.Column("escalated_at", UtcDateTime(), nullable=True))
    op.add_column("user_tasks", sa.Column("owner", sa.String(length=200), nullable=True))
    op.add_column("api_tokens", sa.Column("groups", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("api_tokens", "groups")
    op.drop_column("user_tasks", "owner")
    op.drop_column("user_tasks", "escalated_at")
    op.drop_index("ix_task_activity_task_id_id", table_name="task_activity")
    op.drop_table("task_activity")
    op.drop_index("ix_task_comments_task_id_id", table_name="task_comments")
    op.drop_table("task_comments")
    op.drop_table("exception_settings")
    op.drop_index("ix_exception_history_exception_id_id", table_name="exception_history")
    op.drop_table("exception_history")
    for name in (
        "ix_exception_records_task_id",
        "ix_exception_records_incident_id",
        "ix_exception_records_warehouse_code",
        "ix_exception_records_carrier_code",
        "ix_exception_records_sku",
        "ix_exception_records_order_id",
        "ix_exception_records_type",
        "ix_exception_records_category_created_at",
        "ix_exception_records_status_due_at",
    ):
        op.drop_index(name, table_name="exception_records")
    op.drop_table("exception_records")
