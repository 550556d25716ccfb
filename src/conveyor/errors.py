"""The project's error tree (everything outside the engine).

Each error has a stable ``code`` that API clients and scripts can rely on. The
HTTP status and the CLI exit code for each class live in one table at the edge
(``conveyor.entrypoints.errors``); nothing below the entry points knows HTTP.
"""

from __future__ import annotations

from typing import Any


class ConveyorError(Exception):
    """Root of every error Conveyor raises on purpose."""

    code = "conveyor_error"
    title = "Conveyor error"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class InvalidInput(ConveyorError):
    """The request or document is malformed; ``errors`` names each field."""

    code = "invalid_input"
    title = "Invalid input"


class NotFound(ConveyorError):
    code = "not_found"
    title = "Not found"


class Conflict(ConveyorError):
    """The request is well formed but conflicts with the current state."""

    code = "conflict"
    title = "Conflict"


class Unauthenticated(ConveyorError):
    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(ConveyorError):
    code = "forbidden"
    title = "Forbidden"


class DomainError(ConveyorError):
    """A business rule refused the operation (insufficient stock, refund above captured...)."""

    code = "domain_rule"
    title = "Business rule violated"


class ConfigurationError(ConveyorError):
    code = "configuration_error"
    title = "Configuration error"


class DatabaseNotReady(ConveyorError):
    code = "database_not_ready"
    title = "Database not ready"
