"""The quality check: a person approves an order above the channel's threshold, or rejects it.

The decision arrives as the user task's form data; a rejection must say why
(the reason goes to the customer case and the timeline), an approval may
carry a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.domain.errors import InvalidQualityCheckDecision
from conveyor.domain.problems import Problems


@dataclass(frozen=True, slots=True)
class QualityCheckDecision:
    approved: bool
    reason: str = ""

    @classmethod
    def from_form(cls, data: Mapping[str, Any]) -> QualityCheckDecision:
        """From ``{"approved": true}`` or ``{"approved": false, "reason": "..."}``."""
        problems = Problems()
        approved = data.get("approved")
        if not isinstance(approved, bool):
            problems.add("approved", f"must be true (approve) or false (reject), got {approved!r}")
        reason = data.get("reason", "")
        if reason is None:
            reason = ""
        if not isinstance(reason, str):
            problems.add("reason", f"must be text, got {reason!r}")
            reason = ""
        if approved is False and not reason.strip():
            problems.add("reason", "a rejection needs a reason")
        problems.raise_if_any(InvalidQualityCheckDecision, "Invalid quality-check decision")
        return cls(bool(approved), reason.strip())
