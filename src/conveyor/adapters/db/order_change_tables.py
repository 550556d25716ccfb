"""Order changes: cancellations, backorder waits, short picks, address corrections and edits."""

from __future__ import annotations

from conveyor.adapters.db.tables import metadata

__all__ = ["metadata"]
