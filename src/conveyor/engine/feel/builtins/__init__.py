"""FEEL's built-in functions (DMN 1.3 section 10.3.4, plus Camunda's ``is defined``).

Importing this package fills ``BUILTINS``: one module per family.
"""

from conveyor.engine.feel.builtins import (  # noqa: F401  (registration by import)
    boolean,
    camunda,
    contexts,
    conversion,
    dates,
    lists,
    numbers,
    ranges,
    strings,
)
from conveyor.engine.feel.builtins.registry import BUILTINS, Builtin

__all__ = ["BUILTINS", "Builtin"]
