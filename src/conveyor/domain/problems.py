"""Field problems: what is wrong with an input, and where in it.

Validation in the domain collects every problem before refusing anything, so a
user fixes a document or a request in one round. A problem's ``path`` is how a
person finds the field: ``lines[2].quantity``, ``warehouses[0].coordinates.lat``.
The dictionary shape (``loc``/``msg``/``type`` plus ``path``) matches the API's
request validation errors, so clients read both the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from conveyor.errors import ConveyorError

PathPart = str | int


def format_path(parts: Sequence[PathPart]) -> str:
    """``("lines", 2, "quantity")`` -> ``lines[2].quantity``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with one field."""

    loc: tuple[PathPart, ...]
    message: str
    type: str = "invalid"

    @property
    def path(self) -> str:
        return format_path(self.loc)

    def under(self, *prefix: PathPart) -> FieldProblem:
        """The same problem seen from an enclosing document."""
        return FieldProblem((*prefix, *self.loc), self.message, self.type)

    def as_dict(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "path": self.path, "msg": self.message, "type": self.type}

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.loc else self.message


class Problems:
    """A collector: add problems while validating, then ``raise_if_any``."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, loc: Sequence[PathPart] | PathPart, message: str, type: str = "invalid") -> None:
        parts: tuple[PathPart, ...] = (loc,) if isinstance(loc, str | int) else tuple(loc)
        self.items.append(FieldProblem(parts, message, type))

    def extend(self, problems: Iterable[FieldProblem], *prefix: PathPart) -> None:
        self.items.extend(problem.under(*prefix) for problem in problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, error: type[ConveyorError], what: str) -> None:
        if self.items:
            raise_problems(error, what, self.items)


def raise_problems(error: type[ConveyorError], what: str, problems: Sequence[FieldProblem]) -> NoReturn:
    """Raise ``error`` whose message lists every problem and whose ``errors`` carry them."""
    listed = "; ".join(str(problem) for problem in problems)
    raise error(f"{what}: {listed}", errors=[problem.as_dict() for problem in problems])


def problems_of(error: ConveyorError) -> list[FieldProblem]:
    """The field problems an error raised by ``raise_problems`` carries (for re-basing paths)."""
    found: list[FieldProblem] = []
    for item in error.errors:
        loc = tuple(part for part in item.get("loc", ()) if isinstance(part, str | int))
        found.append(FieldProblem(loc, str(item.get("msg", error.detail)), str(item.get("type", "invalid"))))
    return found or [FieldProblem((), error.detail, error.code)]


def did_you_mean(value: str, known: Collection[str]) -> str:
    """`` (did you mean 'apparel'?)`` when something close is known, else an empty string."""
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
