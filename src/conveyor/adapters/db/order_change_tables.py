"""Order changes: cancellations, backorder waits, short picks, address corrections and edits.

``order_changes`` is the history of every change asked of an order after it
was placed (who asked, why, what it was, what came of it); each row is
written in the same transaction as the change itself, so a refused or
rolled-back change leaves no row. ``voided_labels`` keeps the tracking number
and label of a shipping label that compensation voided (the shipment row
forgets them, so the parcel can be labelled again). ``order_change_settings``
holds the applied ``order_changes`` section of the configuration document.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, LargeBinary, String, Table

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

#: the kinds of change (one vocabulary for the API, the history and the docs)
CHANGE_KINDS = (
    "cancellation",
    "payment_method",
    "address_correction",
    "edit",
    "short_pick",
    "backorder_decision",
    "reallocation",
)
_KINDS = ", ".join(f"'{kind}'" for kind in CHANGE_KINDS)

order_changes = Table(
    "order_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("requested_by", String(200), nullable=True),
    Column("details", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint(f"kind IN ({_KINDS})", name="kind_known"),
    Index("ix_order_changes_order_id_id", "order_id", "id"),
    Index("ix_order_changes_kind_created_at", "kind", "created_at"),
)

voided_labels = Table(
    "voided_labels",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shipment_id", String(100), nullable=False),  # no key: a cancelled shipment row is deleted
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("carrier_code", String(64), nullable=True),
    Column("tracking_number", String(100), nullable=True),
    Column("label_pdf", LargeBinary, nullable=True),
    Column("voided_at", UtcDateTime(), nullable=False),
    Index("ix_voided_labels_order_id", "order_id"),
)

order_line_cancellations = Table(
    "order_line_cancellations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(100), ForeignKey("orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("cancelled_at", UtcDateTime(), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    Index("ix_order_line_cancellations_order_id_line_no", "order_id", "line_no"),
)
"""Units of an order line that will not be shipped: a backorder given up, a line removed by an edit."""

order_change_settings = Table(
    "order_change_settings",
    metadata,
    Column("section", String(32), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
"""The ``order_changes`` section of the configuration document (timers, partial shipping...), as applied."""

__all__ = [
    "CHANGE_KINDS",
    "metadata",
    "order_change_settings",
    "order_changes",
    "order_line_cancellations",
    "voided_labels",
]
