"""Collecting every problem in a DMN file before refusing it.

The parser keeps going after an error so that a user who loads a broken model
sees all of its problems in one ``ModelError``, each with the element id, its
name, the line and a hint, instead of fixing them one deploy at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from conveyor.engine.errors import ModelError, Problem


@dataclass(frozen=True, slots=True)
class Where:
    """The element a problem is about."""

    element_id: str | None = None
    element_name: str | None = None
    line: int | None = None

    @classmethod
    def of(cls, element: etree._Element, name: str | None = None) -> Where:
        line = element.sourceline if isinstance(element.sourceline, int) else None
        return cls(element.get("id"), name if name is not None else element.get("name"), line)


@dataclass
class ProblemLog:
    file: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def error(self, where: Where, code: str, message: str, hint: str | None = None) -> None:
        self._add("error", where, code, message, hint)

    def warning(self, where: Where, code: str, message: str, hint: str | None = None) -> None:
        self._add("warning", where, code, message, hint)

    def _add(self, severity: str, where: Where, code: str, message: str, hint: str | None) -> None:
        self.problems.append(
            Problem(
                "error" if severity == "error" else "warning",
                code,
                message,
                element_id=where.element_id,
                element_name=where.element_name,
                line=where.line,
                file=self.file,
                hint=hint,
            )
        )

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def raise_if_errors(self) -> None:
        if self.has_errors:
            ordered = sorted(self.problems, key=lambda p: (p.line is None, p.line or 0))
            raise ModelError(ordered, file=self.file)
