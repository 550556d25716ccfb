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


def builtin(
    name: str, *signatures: tuple[str, ...], variadic: bool = False, singletons: bool = False
) -> Callable[[F], F]:
    """Register the decorated function as the FEEL built-in ``name``.

    ``singletons``: the function takes no lists, so a one-item list argument stands for its item
    (DMN 10.3.2.9.4: ``upper case(names[item = "Bob"])`` is ``"BOB"``).
    """

    def register(function: F) -> F:
        called: Callable[..., Any] = _unwrapping(function) if singletons else function
        BUILTINS[name] = Builtin(name, called, signatures or ((),), variadic)
        return function

    return register


def _unwrapping(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return function(*[arg[0] if type(arg) is list and len(arg) == 1 else arg for arg in args])

    call.__doc__ = function.__doc__
    return call
