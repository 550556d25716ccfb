"""Payments and refunds ledger, returns (RMA), store credit and carrier performance.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conveyor.adapters.db.types import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "carrier_performance",
        sa.Column("carrier_code", sa.String(length=64), nullable=False),
        sa.Column("exceptions", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "exceptions >= 0 AND late >= 0 AND lost >= 0 AND damaged >= 0",
            name=("ck_carrier_performance_counts_not_negative"),
        ),
        sa.PrimaryKeyConstraint("carrier_code", name=("pk_carrier_performance")),
    )
    op.create_table(
        "finance_settings",
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("section", name=("pk_finance_settings")),
    )
    op.create_table(
        "refund_accounts",
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("claimed_minor", sa.BigInteger(), nullable=False),
        sa.Column("issued_minor", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("claimed_minor >= 0", name=("ck_refund_accounts_claimed_not_negative")),
        sa.CheckConstraint(
            "issued_minor >= 0 AND issued_minor <= claimed_minor",
            name=("ck_refund_accounts_issued_within_claimed"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=("fk_refund_accounts_order_id_orders")),
        sa.PrimaryKeyConstraint("order_id", name=("pk_refund_accounts")),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("shipping_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("carrier_exception_id", sa.String(length=40), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("process_instance_id", sa.String(length=100), nullable=True),
        sa.Column("transaction_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('awaiting_approval', 'approved', 'issued', 'rejected', 'failed')",
            name=("ck_refunds_status_known"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=("ck_refunds_amount_positive")),
        sa.CheckConstraint(
            "shipping_minor >= 0 AND shipping_minor <= amount_minor",
            name=("ck_refunds_shipping_within_amount"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=("fk_refunds_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=("pk_refunds")),
    )
    op.create_index("ix_refunds_order_id", "refunds", ["order_id"], unique=False)
    op.create_index("ix_refunds_status", "refunds", ["status"], unique=False)
    op.create_table(
        "returns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("warehouse_code", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("label_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("process_instance_id", sa.String(length=100), nullable=True),
        sa.Column("exception_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'rejected', 'received', 'closed', 'expired')",
            name=("ck_returns_status_known"),
        ),
        sa.CheckConstraint("value_minor >= 0", name=("ck_returns_value_not_negative")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=("fk_returns_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["warehouse_code"], ["warehouses.code"], name=("fk_returns_warehouse_code_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=("pk_returns")),
        sa.UniqueConstraint("tracking_number", name=("uq_returns_tracking_number")),
    )
    op.create_index("ix_returns_order_id", "returns", ["order_id"], unique=False)
    op.create_index("ix_returns_status", "returns", ["status"], unique=False)
    op.create_table(
        "return_lines",
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("refund_id", sa.String(length=40), nullable=True),
        sa.Column("replacement_order_id", sa.String(length=100), nullable=True),
        sa.Column("store_credit_minor", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "disposition IS NULL OR disposition IN ('restock', 'quarantine', 'scrap')",
            name=("ck_return_lines_disposition_known"),
        ),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('refund', 'replacement', 'store_credit', 'none')",
            name=("ck_return_lines_resolution_known"),
        ),
        sa.CheckConstraint("quantity > 0", name=("ck_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name=("fk_return_lines_return_id_returns")),
        sa.PrimaryKeyConstraint("return_id", "line_no", name=("pk_return_lines")),
    )
    op.create_table(
        "store_credit_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=True),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor <> 0", name=("ck_store_credit_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=("fk_store_credit_entries_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=("fk_store_credit_entries_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=("pk_store_credit_entries")),
    )
    op.create_index(
        "ix_store_credit_entries_customer_email", "store_credit_entries", ["customer_email"], unique=False
    )
    op.create_table(
        "carrier_exceptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=100), nullable=False),
        sa.Column("shipment_id", sa.String(length=100), nullable=True),
        sa.Column("carrier_code", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("process_instance_id", sa.String(length=100), nullable=True),
        sa.Column("refund_id", sa.String(length=40), nullable=True),
        sa.Column("replacement_order_id", sa.String(length=100), nullable=True),
        sa.Column("exception_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('exception', 'lost', 'damaged', 'late')", name=("ck_carrier_exceptions_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'reshipped', 'refunded', 'waiting')",
            name=("ck_carrier_exceptions_status_known"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=("fk_carrier_exceptions_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=("fk_carrier_exceptions_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=("pk_carrier_exceptions")),
        sa.UniqueConstraint(
            "order_id",
            "shipment_id",
            "kind",
            "occurred_at",
            name=("uq_carrier_exceptions_order_id_shipment_id_kind_occurred_at"),
        ),
    )
    op.create_index(
        "ix_carrier_exceptions_carrier_code", "carrier_exceptions", ["carrier_code"], unique=False
    )


def downgrade() -> None:
    op.drop_table("carrier_exceptions")
    op.drop_table("store_credit_entries")
    op.drop_table("return_lines")
    op.drop_table("returns")
    op.drop_table("refunds")
    op.drop_table("refund_accounts")
    op.drop_table("finance_settings")
    op.drop_table("carrier_performance")
