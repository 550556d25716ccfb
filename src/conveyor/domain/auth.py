"""Who may call the API: roles, API tokens and the authenticated principal.

A role is a job in the business (support agent, warehouse staff...). Each
route names the roles it allows; an administrator may do everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SUPPORT = "support"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"
    INTEGRATION = "integration"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored API token (never the secret: only its hash is kept)."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a request, as proven by its token."""

    token_id: int
    name: str
    role: Role

    def may_act_as(self, allowed: Iterable[Role]) -> bool:
        """True when the caller's role is among ``allowed``; an admin always may."""
        return self.role is Role.ADMIN or self.role in set(allowed)
