"""The exception register and the task inbox's own tables (comments, delegations)."""

from __future__ import annotations

from conveyor.adapters.db.tables import metadata

__all__ = ["metadata"]
