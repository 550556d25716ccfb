"""Sales-channel connectors (SKU mappings, held payloads) and sent notifications."""

from __future__ import annotations

from conveyor.adapters.db.tables import metadata

__all__ = ["metadata"]
