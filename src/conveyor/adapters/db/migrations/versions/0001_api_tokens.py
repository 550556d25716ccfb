"""API tokens with roles.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROLES = ("admin", "manager", "support", "warehouse", "finance", "integration", "viewer")


def upgrade() -> None:
    role_list = ", ".join(f"'{role}'" for role in ROLES)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sa.CheckConstraint(f"role IN ({role_list})", name="ck_api_tokens_role_known"),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
