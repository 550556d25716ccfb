"""Warehouses: where stock is, and how each one works.

``priority`` breaks ties between equally near warehouses and orders the
fallback list (a lower number is preferred); ``auto_confirm_picks`` lets the
process confirm pick lists without a person (a fully automated site);
``capabilities`` are free tags (``cold_chain``, ``hazmat``, ``returns``) that
rules and models may ask for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conveyor.domain.addresses import Address
from conveyor.domain.errors import InvalidWarehouse
from conveyor.domain.geo import Coordinates
from conveyor.domain.identifiers import CODE_RULE, is_code
from conveyor.domain.problems import Problems

__all__ = ["Address", "Warehouse"]


@dataclass(frozen=True, slots=True)
class Warehouse:
    code: str
    name: str
    address: Address
    coordinates: Coordinates
    active: bool = True
    capabilities: frozenset[str] = field(default_factory=frozenset)
    auto_confirm_picks: bool = False
    priority: int = 100

    def __post_init__(self) -> None:
        problems = Problems()
        if not is_code(self.code):
            problems.add("code", f"{self.code!r} is not a warehouse code: {CODE_RULE}")
        if not isinstance(self.name, str) or not self.name.strip():
            problems.add("name", "is required")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int) or self.priority < 0:
            problems.add("priority", f"must be a whole number of 0 or more, got {self.priority!r}")
        for tag in self.capabilities:
            if not is_code(tag):
                problems.add("capabilities", f"{tag!r} is not a capability tag: {CODE_RULE}")
        problems.raise_if_any(InvalidWarehouse, f"Invalid warehouse {self.code!r}")

    def can(self, *capabilities: str) -> bool:
        """True when the warehouse has every one of ``capabilities``."""
        return set(capabilities) <= self.capabilities
