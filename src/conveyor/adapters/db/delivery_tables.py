"""Event delivery: webhook subscriptions and attempts, dispatcher cursors, demand signals."""

from __future__ import annotations

from conveyor.adapters.db.tables import metadata

__all__ = ["metadata"]
