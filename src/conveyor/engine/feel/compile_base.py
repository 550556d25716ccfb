"""The compiler's shared state: names read and bound, warnings, depth, and node dispatch.

Every node becomes ``fn(variables, run) -> value``; ``run`` carries the step
budget of the current evaluation. The compiler records the top-level variable
names an expression reads (``names``), leaving out names bound by
``for``/``some``/``every``, function parameters and context entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.limits import MAX_NESTING, Run

Fn = Callable[[Mapping[str, Any], Run], Any]


class CompilerBase:
    def __init__(self, source: str) -> None:
        self.source = source
        self.names: set[str] = set()
        self.bound: list[frozenset[str]] = []
        self.depth = 0
        #: Doubts found while compiling (an unknown function or parameter name): FEEL gives null at
        #: run time, but a model validator can show these to the author.
        self.warnings: list[str] = []
        #: Whether the code counts steps (loops, filters, calls); if not, evaluations share one budget.
        self.counts_steps = False

    def is_bound(self, name: str) -> bool:
        return any(name in names for names in self.bound)

    def compile(self, node: n.Node) -> Fn:
        self.depth += 1
        if self.depth > MAX_NESTING * 2:
            raise ExpressionLimitExceeded(f"expression nests deeper than {MAX_NESTING} levels", self.source,
                                          node.pos)
        try:
            method: Callable[[Any], Fn] = getattr(self, "_" + type(node).__name__)
            return method(node)
        finally:
            self.depth -= 1

    def error(self, message: str, node: n.Node) -> ExpressionError:
        return ExpressionError(message, self.source, node.pos)

    def _Name(self, node: n.Name) -> Fn:
        name = node.name
        if name != "?" and not self.is_bound(name):
            self.names.add(name)
        return lambda v, r: v.get(name)
