"""Payments and refunds ledger, returns (RMA) and carrier performance records."""

from __future__ import annotations

from conveyor.adapters.db.tables import metadata

__all__ = ["metadata"]
