"""Compiling iteration: filters (``xs[item > 3]``, ``xs[1]``), ``for``, ``some`` and ``every``.

Every item visited costs one step of the evaluation's budget, so a runaway loop
is stopped (``ExpressionLimitExceeded``) instead of hanging the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.compile_base import CompilerBase, Fn
from conveyor.engine.feel.limits import Run, check_size
from conveyor.engine.feel.nodes import walk
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.values import Range, is_number, to_decimal


class LoopCompiler(CompilerBase):
    def _Filter(self, node: n.Filter) -> Fn:
        self.counts_steps = True
        base = self.compile(node.base)
        self.bound.append(frozenset({"item"}))
        condition = self.compile(node.condition)
        self.bound.pop()
        static_index = _static_number(node.condition)

        def select(v: Mapping[str, Any], r: Run) -> Any:
            items = base(v, r)
            if items is None:
                return None
            if not isinstance(items, list):
                items = [items]
            index = static_index if static_index is not None else condition(v, r)
            if is_number(index):
                return _at(items, index)
            chosen = []
            for item in items:
                r.steps += 1
                if r.steps > r.limit:
                    r.tick()
                local = dict(item) if isinstance(item, dict) else {}
                local["item"] = item
                if condition(Scope(local, v), r) is True:
                    chosen.append(item)
            return chosen

        return select

    def _iterate(self, iterations: tuple[n.Iteration, ...]) -> tuple[list[tuple[str, Fn, Fn | None]], int]:
        compiled: list[tuple[str, Fn, Fn | None]] = []
        for iteration in iterations:
            collection = self.compile(iteration.collection)
            upto = self.compile(iteration.upto) if iteration.upto is not None else None
            compiled.append((iteration.name, collection, upto))
            self.bound.append(frozenset({iteration.name}))
        return compiled, len(iterations)

    def _For(self, node: n.For) -> Fn:
        self.counts_steps = True
        iterations, pushed = self._iterate(node.iterations)
        self.bound.append(frozenset({"partial"}))
        body = self.compile(node.body)
        del self.bound[-pushed - 1 :]
        uses_partial = any(isinstance(part, n.Name) and part.name == "partial" for part in walk(node.body))

        def loop(v: Mapping[str, Any], r: Run) -> list[Any]:
            results: list[Any] = []
            for scope in _combinations(iterations, 0, v, r):
                if uses_partial:  # FEEL's `partial`: a copy of the results so far (copying costs steps)
                    r.tick(len(results))
                    scope.local["partial"] = results[:]
                results.append(body(scope, r))
            return check_size(results)  # type: ignore[no-any-return]

        return loop

    def _Quantified(self, node: n.Quantified) -> Fn:
        self.counts_steps = True
        iterations, pushed = self._iterate(node.iterations)
        condition = self.compile(node.condition)
        del self.bound[-pushed:]
        every = node.every

        def quantified(v: Mapping[str, Any], r: Run) -> bool:
            for scope in _combinations(iterations, 0, v, r):
                if (condition(scope, r) is True) != every:
                    return not every
            return every

        return quantified


def _static_number(node: n.Node) -> Decimal | None:
    if isinstance(node, n.Literal) and is_number(node.value):
        return to_decimal(node.value)
    if isinstance(node, n.Negate) and isinstance(node.operand, n.Literal) and is_number(node.operand.value):
        value = to_decimal(node.operand.value)
        return -value if value is not None else None
    return None


def _at(items: list[Any], index: Any) -> Any:
    position = to_decimal(index)
    if position is None or position != position.to_integral_value() or not position:
        return None
    whole = int(position)
    if whole > len(items) or -whole > len(items):
        return None
    return items[whole - 1] if whole > 0 else items[whole]


def _combinations(iterations: list[tuple[str, Fn, Fn | None]], at: int, v: Mapping[str, Any],
                  r: Run) -> Any:
    name, collection, upto = iterations[at]
    values = collection(v, r)
    if upto is not None:
        values = _span(values, upto(v, r), r.limit)
    elif isinstance(values, Range):
        whole = values.start_included and values.end_included
        values = _span(values.start, values.end, r.limit) if whole else None
    if values is None:
        return
    if not isinstance(values, (list, tuple, map)):
        values = [values]
    last = at == len(iterations) - 1
    for value in values:
        r.tick()
        scope = Scope({name: value}, v)
        if last:
            yield scope
        else:
            yield from _combinations(iterations, at + 1, scope, r)


def _span(start: Any, end: Any, limit: int) -> Iterable[Decimal] | None:
    """``a..b`` in a for loop: the whole numbers from a to b (counting down when b < a)."""
    low, high = to_decimal(start), to_decimal(end)
    if low is None or high is None or low != low.to_integral_value() or high != high.to_integral_value():
        return None
    if abs(int(high) - int(low)) > limit:
        raise ExpressionLimitExceeded(f"a loop over {low}..{high} exceeds {limit} steps")
    step = 1 if high >= low else -1
    return map(Decimal, range(int(low), int(high) + step, step))
