"""Reading one object of the configuration document, problem by problem.

``Entry`` wraps a YAML/JSON object at a path in the document and reads typed
fields from it, recording a problem with the field's full path for anything
missing, mistyped or unknown instead of stopping at the first. The section
readers in ``conveyor.domain.config_document`` are written with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from conveyor.domain.errors import InvalidMoney, UnknownCurrency
from conveyor.domain.money import Money
from conveyor.domain.problems import PathPart, Problems, did_you_mean, problems_of
from conveyor.errors import InvalidInput

T = TypeVar("T")


class Entry:
    """One object in the document at ``loc``; reads fields and records problems."""

    def __init__(
        self, data: Any, loc: tuple[PathPart, ...], problems: Problems, fields: frozenset[str]
    ) -> None:
        self.loc = loc
        self.problems = problems
        self.fields = fields
        self._start = len(problems)
        if isinstance(data, Mapping):
            self.data: Mapping[str, Any] = data
        else:
            self.data = {}
            problems.add(loc, f"must be an object with the fields {', '.join(sorted(fields))}")
        for key in self.data:
            if key not in fields:
                problems.add((*loc, str(key)), f"unknown field{did_you_mean(str(key), fields)}")

    @property
    def clean(self) -> bool:
        """True when nothing was wrong with this entry so far."""
        return len(self.problems) == self._start

    def add(self, key: PathPart | tuple[PathPart, ...], message: str) -> None:
        self.problems.add((*self.loc, *(key if isinstance(key, tuple) else (key,))), message)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.add(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.add(key, f"must be text, got {value!r}")
            return default
        text = str(value).strip()
        if required and not text:
            self.add(key, "must not be empty")
        return text

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.add(key, f"must be true or false, got {value!r}")
            return default
        return value

    def integer(self, key: str, *, default: int | None = None, minimum: int | None = None) -> int | None:
        value = self.data.get(key)
        if value is None:
            if default is None:
                self.add(key, "is required")
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, f"must be a whole number, got {value!r}")
            return default
        if minimum is not None and value < minimum:
            self.add(key, f"must be at least {minimum}, got {value}")
            return default
        return value

    def optional_integer(self, key: str, *, minimum: int) -> int | None:
        return self.integer(key, default=None, minimum=minimum) if self.has(key) else None

    def mapping(self, key: str, *, required: bool = False) -> Mapping[str, Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.add(key, "is required")
            return {}
        if not isinstance(value, Mapping):
            self.add(key, f"must be an object (key: value pairs), got {value!r}")
            return {}
        return value

    def items(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.add(key, "is required")
            return []
        if not isinstance(value, list):
            self.add(key, f"must be a list, got {value!r}")
            return []
        return value

    def money(self, key: str, currency: str | None, *, required: bool = True) -> Money | None:
        return read_money(self.data.get(key), currency, (*self.loc, key), self.problems, required=required)

    def build(self, make: Callable[[], T]) -> T | None:
        """``make()`` when the entry is clean so far; its own validation problems land under ``loc``."""
        if not self.clean:
            return None
        try:
            return make()
        except InvalidInput as err:
            self.problems.extend(problems_of(err), *self.loc)
            return None


def read_money(
    value: Any, currency: str | None, loc: tuple[PathPart, ...], problems: Problems, *, required: bool = True
) -> Money | None:
    """An amount written as ``"19.99"``, ``19.99`` or ``20``. A YAML float is read from its
    shortest text (``19.99`` stays 19.99), so quoting is optional."""
    if value is None:
        if required:
            problems.add(loc, "is required")
        return None
    if currency is None:
        return None
    if isinstance(value, float):
        value = Decimal(repr(value))
    try:
        return Money.parse(value, currency)
    except (InvalidMoney, UnknownCurrency) as err:
        problems.add(loc, err.detail)
        return None
