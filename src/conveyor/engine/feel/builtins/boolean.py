"""Boolean functions: ``not``, and the Camunda extension ``is defined`` (compiled specially)."""

from __future__ import annotations

from typing import Any

from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.operators import negation


@builtin("not", ("negand",))
def feel_not(value: Any) -> bool | None:
    return negation(value)


@builtin("is defined", ("value",))
def is_defined(value: Any) -> bool:
    """Only reached for a computed argument; a plain name or path is checked for presence by the compiler."""
    return value is not None
