"""Order changes: cancellations, backorder waits, short picks, address corrections, edits.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = (
    "'cancellation', 'payment_method', 'address_correction', 'edit', 'short_pick', "
    "'backorder_decision', 'reallocation'"
)


def upgrade() -> None:
    op.create_table(
        "order_changes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="ck_order_changes_kind_known"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_changes_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_order_changes"),
    )
    op.create_index("ix_order_changes_order_id_id", "order_changes", ["order_id", "id"], unique=False)
    op.create_index("ix_order_changes_kind_created_at", "order_changes", ["kind", "created_at"], unique=False)
    op.create_table(
        "voided_labels",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("shipment_id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("carrier_code", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("label_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("voided_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_voided_labels_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_voided_labels"),
    )
    op.create_index("ix_voided_labels_order_id", "voided_labels", ["order_id"], unique=False)
    op.create_table(
        "order_line_cancellations",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("cancelled_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_order_line_cancellations_quantity_positive"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_line_cancellations_order_id_orders"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_line_cancellations"),
    )
    op.create_index(
        "ix_order_line_cancellations_order_id_line_no",
        "order_line_cancellations",
        ["order_id", "line_no"],
        unique=False,
    )
    op.create_table(
        "order_change_settings",
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("section", name="pk_order_change_settings"),
    )


def downgrade() -> None:
    op.drop_table("order_change_settings")
    op.drop_index("ix_order_line_cancellations_order_id_line_no", table_name="order_line_cancellations")
    op.drop_table("order_line_cancellations")
    op.drop_index("ix_voided_labels_order_id", table_name="voided_labels")
    op.drop_table("voided_labels")
    op.drop_index("ix_order_changes_kind_created_at", table_name="order_changes")
    op.drop_index("ix_order_changes_order_id_id", table_name="order_changes")
    op.drop_table("order_changes")
