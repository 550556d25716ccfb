"""The transactional outbox: recorded events as CloudEvents 1.0 rows with a monotonic sequence.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("sequence", BigId, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("specversion", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("time", UtcDateTime(), nullable=False),
        sa.Column("datacontenttype", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("committed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_type_sequence", "outbox", ["type", "sequence"], unique=False)
    op.create_index("ix_outbox_subject_sequence", "outbox", ["subject", "sequence"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_subject_sequence", table_name="outbox")
    op.drop_index("ix_outbox_type_sequence", table_name="outbox")
    op.drop_table("outbox")
