"""The fixed table of built-in functions and how arguments reach them.

Expressions can call only what is registered here: there is no lookup of
Python names. Each function declares its FEEL parameter names (one tuple per
signature) so named arguments (``substring(string: s, start position: 2)``)
map onto Python's positional ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    function: Callable[..., Any]
    signatures: tuple[tuple[str, ...], ...]
    #: Takes any number of positional arguments (``min(1, 2, 3)``).
    variadic: bool = False

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def positional(self, named: dict[str, Any]) -> list[Any] | None:
        """Order named arguments by the first signature that has all their names; None if none has."""
        for signature in self.signatures:
            if set(named) <= set(signature):
                values = [named.get(param, _MISSING) for param in signature]
                while values and values[-1] is _MISSING:
                    values.pop()
                return [None if value is _MISSING else value for value in values]
        return None


BUILTINS: dict[str, Builtin] = {}


def builtin(name: str, *signatures: tuple[str, ...], variadic: bool = False) -> Callable[[F], F]:
    """Register the decorated function as the FEEL built-in ``name``."""

    def register(function: F) -> F:
        BUILTINS[name] = Builtin(name, function, signatures or ((),), variadic)
        return function

    return register
