"""The engine's error tree. Every error carries a stable ``code``.

``ModelError`` carries every problem found in a model at once (each with the
file, line, element id and name, and a hint), so a user fixes a model in one
round instead of one error per deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


class EngineError(Exception):
    """Root of the engine's errors."""

    code = "engine_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (``error``) or doubtful (``warning``) in a model."""

    severity: Literal["error", "warning"]
    code: str
    message: str
    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None
    file: str | None = None
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "element_id": self.element_id,
            "element_name": self.element_name,
            "line": self.line,
            "file": self.file,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        element = f" [{self.element_id}" + (f" '{self.element_name}'" if self.element_name else "") + "]"
        text = f"{where}: {self.severity}" if where else self.severity
        text += (element if self.element_id else "") + f": {self.message}"
        return text + (f" (hint: {self.hint})" if self.hint else "")


class ModelError(EngineError):
    """The model was refused; ``problems`` lists every error (and the warnings)."""

    code = "invalid_model"

    def __init__(self, problems: list[Problem], file: str | None = None) -> None:
        self.problems = problems
        self.file = file
        errors = [p for p in problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in model" + (f" {file}" if file else "")
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in errors))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class ExpressionError(EngineError):
    """An expression could not be parsed or evaluated."""

    code = "expression_error"

    def __init__(self, message: str, source: str | None = None, position: int | None = None) -> None:
        detail = message if source is None else f"{message} in expression {source!r}"
        if position is not None:
            detail += f" at position {position}"
        super().__init__(detail)
        self.source = source
        self.position = position


class ExpressionLimitExceeded(ExpressionError):
    """An expression exceeded the length, nesting or evaluation-step limits."""

    code = "expression_limit"


class DecisionError(EngineError):
    """A DMN decision could not be evaluated (e.g. UNIQUE hit policy with several matches)."""

    code = "decision_error"


class InstanceError(EngineError):
    """An operation does not fit the instance's current state (no such task, not waiting...)."""

    code = "instance_state"


class NotWaiting(InstanceError):
    """A message, task completion or timer addressed something the instance is not waiting on."""

    code = "not_waiting"


class BpmnError(EngineError):
    """Thrown by a service-task handler to raise a BPMN error with a code.

    It is routed to the matching error boundary event or error event
    sub-process; if nothing catches it, it becomes an incident.
    """

    code = "bpmn_error"

    def __init__(self, error_code: str, message: str = "", variables: dict[str, Any] | None = None) -> None:
        super().__init__(message or f"BPMN error {error_code}")
        self.error_code = error_code
        self.variables = variables or {}
