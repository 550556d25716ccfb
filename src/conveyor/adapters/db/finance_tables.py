"""Payments and refunds ledger, returns (RMA), store credit and carrier performance records.

The payment ledger itself is ``order_tables.payment_entries`` (authorizations,
captures, voids and issued refunds). ``refund_accounts`` is the one row per
order that serialises refunds: a refund claims its amount with a single
guarded UPDATE (``claimed + amount <= captured``), and the CHECK constraints
keep the account sane even against a buggy caller, so two refunds racing for
the last refundable euro can never both win.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

REFUND_STATUSES = ("awaiting_approval", "approved", "issued", "rejected", "failed")
RETURN_STATUSES = ("requested", "approved", "rejected", "received", "closed", "expired")
DISPOSITIONS = ("restock", "quarantine", "scrap")
RESOLUTIONS = ("refund", "replacement", "store_credit", "none")
CARRIER_EXCEPTION_KINDS = ("exception", "lost", "damaged", "late")
CARRIER_EXCEPTION_STATUSES = ("open", "reshipped", "refunded", "waiting")


def _known(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


refund_accounts = Table(
    "refund_accounts",
    metadata,
    Column("order_id", String(100), ForeignKey("orders.id"), primary_key=True),
    Column("currency", String(3), nullable=False),
    # refunds requested and not rejected or failed (pending ones hold their amount)
    Column("claimed_minor", BigInteger, nullable=False),
    # refunds the provider paid out
    Column("issued_minor", BigInteger, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("claimed_minor >= 0", name="claimed_not_negative"),
    CheckConstraint("issued_minor >= 0 AND issued_minor <= claimed_minor", name="issued_within_claimed"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("shipping_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("return_id", String(40), nullable=True),
    Column("carrier_exception_id", String(40), nullable=True),
    Column("requested_by", String(200), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("process_instance_id", String(100), nullable=True),
    Column("transaction_id", String(200), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=True),
    CheckConstraint(_known("status", REFUND_STATUSES), name="status_known"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("shipping_minor >= 0 AND shipping_minor <= amount_minor", name="shipping_within_amount"),
    Index("ix_refunds_order_id", "order_id"),
    Index("ix_refunds_status", "status"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("status", String(24), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("reason_text", Text, nullable=False),
    Column("category", String(64), nullable=True),
    Column("value_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("warehouse_code", String(64), ForeignKey("warehouses.code"), nullable=False),
    Column("requested_by", String(200), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("tracking_number", String(100), nullable=True, unique=True),
    Column("label_pdf", LargeBinary, nullable=True),
    Column("process_instance_id", String(100), nullable=True),
    Column("exception_id", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    CheckConstraint(_known("status", RETURN_STATUSES), name="status_known"),
    CheckConstraint("value_minor >= 0", name="value_not_negative"),
    Index("ix_returns_order_id", "order_id"),
    Index("ix_returns_status", "status"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", String(40), ForeignKey("returns.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    Column("disposition", String(16), nullable=True),
    Column("resolution", String(16), nullable=True),
    Column("refund_id", String(40), nullable=True),
    Column("replacement_order_id", String(100), nullable=True),
    Column("store_credit_minor", BigInteger, nullable=True),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint(
        f"disposition IS NULL OR {_known('disposition', DISPOSITIONS)}", name="disposition_known"
    ),
    CheckConstraint(f"resolution IS NULL OR {_known('resolution', RESOLUTIONS)}", name="resolution_known"),
)

store_credit_entries = Table(
    "store_credit_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("customer_email", String(320), nullable=False),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=True),
    Column("return_id", String(40), ForeignKey("returns.id"), nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
    Index("ix_store_credit_entries_customer_email", "customer_email"),
)

carrier_performance = Table(
    "carrier_performance",
    metadata,
    Column("carrier_code", String(64), primary_key=True),
    Column("exceptions", Integer, nullable=False),
    Column("late", Integer, nullable=False),
    Column("lost", Integer, nullable=False),
    Column("damaged", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint(
        "exceptions >= 0 AND late >= 0 AND lost >= 0 AND damaged >= 0", name="counts_not_negative"
    ),
)

carrier_exceptions = Table(
    "carrier_exceptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("shipment_id", String(100), ForeignKey("shipments.id"), nullable=True),
    Column("carrier_code", String(64), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("details", JSON, nullable=False),
    Column("decision", String(16), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("process_instance_id", String(100), nullable=True),
    Column("refund_id", String(40), nullable=True),
    Column("replacement_order_id", String(100), nullable=True),
    Column("exception_id", BigInteger, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=True),
    CheckConstraint(_known("kind", CARRIER_EXCEPTION_KINDS), name="kind_known"),
    CheckConstraint(_known("status", CARRIER_EXCEPTION_STATUSES), name="status_known"),
    UniqueConstraint("order_id", "shipment_id", "kind", "occurred_at"),
    Index("ix_carrier_exceptions_carrier_code", "carrier_code"),
)

finance_settings = Table(
    "finance_settings",
    metadata,
    # 'finance' or 'returns': the configuration document's section, stored whole
    Column("section", String(32), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
