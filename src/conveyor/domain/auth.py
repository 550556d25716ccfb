"""Who may call the API: roles, API tokens and the authenticated principal.

A role is a job in the business (support agent, warehouse staff...). Each
route names the roles it allows; an administrator may do everything. A token
may also belong to *groups* (``quality``, ``packing``...): user tasks name
candidate groups, and a principal may work on a task when its role or one of
its groups is among them (``Principal.in_groups``).
"""

from __future__ import annotations

import re
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
    groups: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a request, as proven by its token."""

    token_id: int
    name: str
    role: Role
    groups: frozenset[str] = frozenset()

    @property
    def memberships(self) -> frozenset[str]:
        """The role's name and every group: what a task's candidate groups are matched against."""
        return self.groups | {self.role.value}

    def in_groups(self, candidate_groups: Iterable[str]) -> bool:
        """True when the role or one of the groups is among ``candidate_groups``."""
        return not self.memberships.isdisjoint(candidate_groups)

    def may_act_as(self, allowed: Iterable[Role]) -> bool:
        """True when the caller's role is among ``allowed``; an admin always may."""
        return self.role is Role.ADMIN or self.role in set(allowed)


GROUP_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def group_problems(groups: Iterable[str]) -> list[str]:
    """What is wrong with each group name (letters, digits, ``_.-``; 1 to 64 characters)."""
    return [
        f"{group!r} is not a group name (letters, digits, '_', '.', '-'; 1 to 64 characters)"
        for group in groups
        if not GROUP_PATTERN.match(group)
    ]
