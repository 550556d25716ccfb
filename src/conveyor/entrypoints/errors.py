"""The one table that turns Conveyor's errors into HTTP statuses and CLI exit codes.

Nothing below the entry points knows about HTTP. Both the API (problem+json,
RFC 9457) and the CLI (a message on stderr and an exit code) look errors up
here, by walking the exception's class hierarchy, so a new error subclass
inherits its parent's translation until it gets its own row.

Exit codes: 1 failed, 2 invalid input or model (like a usage error), 3 not
found, 4 conflict with the current state or a business rule, 5 not allowed,
69 a service (the database) unavailable, 78 configuration error (sysexits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError

from conveyor import errors as conveyor_errors
from conveyor.engine import errors as engine_errors

PROBLEM_TYPE_BASE = "https://conveyor.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True, slots=True)
class Translation:
    status: int
    exit_code: int
    title: str | None = None  # for errors without a ``title`` attribute (the engine's)


ERROR_TABLE: dict[type[BaseException], Translation] = {
    conveyor_errors.ConveyorError: Translation(400, 1),
    conveyor_errors.InvalidInput: Translation(422, 2),
    conveyor_errors.NotFound: Translation(404, 3),
    conveyor_errors.Conflict: Translation(409, 4),
    conveyor_errors.DomainError: Translation(422, 4),
    conveyor_errors.Unauthenticated: Translation(401, 5),
    conveyor_errors.Forbidden: Translation(403, 5),
    conveyor_errors.ConfigurationError: Translation(500, 78),
    conveyor_errors.DatabaseNotReady: Translation(503, 69),
    engine_errors.EngineError: Translation(500, 1, "Workflow engine error"),
    engine_errors.ModelError: Translation(422, 2, "Invalid model"),
    engine_errors.ExpressionError: Translation(422, 2, "Invalid expression"),
    engine_errors.ExpressionLimitExceeded: Translation(422, 2, "Expression limit exceeded"),
    engine_errors.DecisionError: Translation(422, 1, "Decision failed"),
    engine_errors.InstanceError: Translation(409, 4, "Not possible in the instance's current state"),
    engine_errors.NotWaiting: Translation(409, 4, "The instance is not waiting for this"),
    engine_errors.BpmnError: Translation(422, 1, "Unhandled BPMN error"),
}

INTERNAL_ERROR = Translation(500, 1, "Internal server error")

EXPECTED_ERRORS: tuple[type[Exception], ...] = (conveyor_errors.ConveyorError, engine_errors.EngineError)

# Failures of the infrastructure that are not bugs: the database went away, or
# SQLite's lock wait ran out. They are translated into the project's errors.
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (OperationalError,)


def as_project_error(error: Exception) -> Exception:
    """``error`` itself, or the project error an infrastructure failure stands for."""
    if isinstance(error, OperationalError):
        reason = str(error.orig or error).strip().splitlines()[0] if str(error) else type(error).__name__
        return conveyor_errors.DatabaseNotReady(
            f"The database is not available right now ({reason}); retry shortly",
            database="unavailable",
        )
    return error


def translation_for(error: BaseException) -> Translation:
    """The row for ``error``'s nearest class in the table (internal error if none)."""
    for cls in type(error).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return INTERNAL_ERROR


def exit_code_for(error: BaseException) -> int:
    return translation_for(error).exit_code


def error_code(error: BaseException) -> str:
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else "internal_error"


def error_detail(error: BaseException) -> str:
    for attribute in ("detail", "message"):
        value = getattr(error, attribute, None)
        if isinstance(value, str):
            return value
    return str(error)


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code.replace("_", "-")


def problem_document(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    request_id: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document with Conveyor's extension members."""
    document: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": code,
        "request_id": request_id,
    }
    for key, value in extensions.items():
        document.setdefault(key, value)
    return document


def error_extensions(error: BaseException) -> dict[str, Any]:
    """The extra members an error carries: field errors, model problems, context."""
    extensions: dict[str, Any] = {}
    if isinstance(error, conveyor_errors.ConveyorError):
        if error.errors:
            extensions["errors"] = error.errors
        extensions.update(error.extra)
    elif isinstance(error, engine_errors.ModelError):
        extensions["problems"] = [problem.as_dict() for problem in error.problems]
        if error.file:
            extensions["file"] = error.file
    elif isinstance(error, engine_errors.ExpressionError):
        extensions.update({"expression": error.source, "position": error.position})
    elif isinstance(error, engine_errors.BpmnError):
        extensions["error_code"] = error.error_code
    return extensions


def problem_for(
    error: BaseException, *, instance: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """The problem document for one of Conveyor's (or the engine's) errors."""
    row = translation_for(error)
    title = getattr(error, "title", None) if isinstance(error, conveyor_errors.ConveyorError) else None
    return problem_document(
        status=row.status,
        code=error_code(error),
        title=title or row.title or "Error",
        detail=error_detail(error),
        instance=instance,
        request_id=request_id,
        **error_extensions(error),
    )
