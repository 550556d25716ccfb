"""Syntax tree -> Python closures, so evaluating costs no tree walking or dispatch.

This module compiles values, names, paths, contexts, ranges and operators;
``compile_loops`` and ``compile_calls`` add iteration and function calls, and
``compile_base`` holds the shared state (names read, warnings, depth).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from conveyor.engine.feel import nodes as n
from conveyor.engine.feel import operators as ops
from conveyor.engine.feel.compile_base import Fn
from conveyor.engine.feel.compile_calls import CallCompiler
from conveyor.engine.feel.compile_loops import LoopCompiler
from conveyor.engine.feel.limits import Run
from conveyor.engine.feel.parser import TYPE_NAMES
from conveyor.engine.feel.properties import member
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.unary import compile_test
from conveyor.engine.feel.values import Range, is_number, kind


class Compiler(LoopCompiler, CallCompiler):
    """Compiles values, names and operators; loops and calls come from the two mixins."""

    # --- values and names ---------------------------------------------------------------------

    def _Literal(self, node: n.Literal) -> Fn:
        value = node.value
        return lambda v, r: value

    def _Path(self, node: n.Path) -> Fn:
        base, name = self.compile(node.base), node.member

        def path(v: Mapping[str, Any], r: Run) -> Any:
            value = base(v, r)
            if type(value) is dict:
                return value.get(name)
            return member(value, name)

        return path

    def _ListNode(self, node: n.ListNode) -> Fn:
        items = [self.compile(item) for item in node.items]
        return lambda v, r: [item(v, r) for item in items]

    def _ContextNode(self, node: n.ContextNode) -> Fn:
        entries: list[tuple[str, Fn]] = []
        keys: set[str] = set()
        for key, value_node in node.entries:
            if key in keys:
                raise self.error(f"context key {key!r} appears twice", value_node)
            self.bound.append(frozenset(keys))
            entries.append((key, self.compile(value_node)))
            self.bound.pop()
            keys.add(key)

        def context(v: Mapping[str, Any], r: Run) -> dict[str, Any]:
            result: dict[str, Any] = {}
            scope = Scope(result, v)
            for key, value in entries:
                result[key] = value(scope, r)
            return result

        return context

    def _RangeNode(self, node: n.RangeNode) -> Fn:
        start = self.compile(node.start) if node.start is not None else None
        end = self.compile(node.end) if node.end is not None else None
        start_in, end_in = node.start_included, node.end_included

        def span(v: Mapping[str, Any], r: Run) -> Range:
            return Range(start(v, r) if start else None, end(v, r) if end else None, start_in, end_in)

        return span

    # --- operators ----------------------------------------------------------------------------

    def _Negate(self, node: n.Negate) -> Fn:
        if isinstance(node.operand, n.Literal) and is_number(node.operand.value):
            value = ops.negate(node.operand.value)
            return lambda v, r: value
        operand = self.compile(node.operand)
        return lambda v, r: ops.negate(operand(v, r))

    def _Not(self, node: n.Not) -> Fn:
        operand = self.compile(node.operand)
        return lambda v, r: ops.negation(operand(v, r))

    def _Binary(self, node: n.Binary) -> Fn:
        operation = ops.BINARY[node.op]
        left = self.compile(node.left)
        if isinstance(node.right, n.Literal):
            constant = node.right.value
            if isinstance(node.left, n.Name) and node.left.name != "?":
                self._Name(node.left)
                if node.op in _FAST_COMPARE and type(constant) is Decimal:
                    return _compare_name_with_number(node.left.name, node.op, constant)
                name = node.left.name
                return lambda v, r: operation(v.get(name), constant)
            return lambda v, r: operation(left(v, r), constant)
        right = self.compile(node.right)
        return lambda v, r: operation(left(v, r), right(v, r))

    def _And(self, node: n.And) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)

        def conjunction(v: Mapping[str, Any], r: Run) -> bool | None:
            first = left(v, r)
            if first is False:
                return False
            return ops.both(first, right(v, r))

        return conjunction

    def _Or(self, node: n.Or) -> Fn:
        left, right = self.compile(node.left), self.compile(node.right)

        def disjunction(v: Mapping[str, Any], r: Run) -> bool | None:
            first = left(v, r)
            if first is True:
                return True
            return ops.either(first, right(v, r))

        return disjunction

    def _If(self, node: n.If) -> Fn:
        condition, then, otherwise = self.compile(node.condition), self.compile(node.then), self.compile(
            node.otherwise)
        return lambda v, r: then(v, r) if condition(v, r) is True else otherwise(v, r)

    def _Between(self, node: n.Between) -> Fn:
        value, low, high = self.compile(node.value), self.compile(node.low), self.compile(node.high)

        def between(v: Mapping[str, Any], r: Run) -> bool | None:
            x = value(v, r)
            return ops.both(ops.less_equal(low(v, r), x), ops.less_equal(x, high(v, r)))

        return between

    def _In(self, node: n.In) -> Fn:
        value = self.compile(node.value)
        test = compile_test(self, node.test)
        return lambda v, r: test(value(v, r), v, r)

    def _InstanceOf(self, node: n.InstanceOf) -> Fn:
        value, type_name = self.compile(node.value), node.type_name
        if type_name not in TYPE_NAMES:
            self.warnings.append(
                f"type {type_name!r} is not a FEEL type; 'instance of' is false for it (position {node.pos})"
            )
        if type_name == "Any":
            return lambda v, r: value(v, r) is not None
        if type_name == "Null":
            return lambda v, r: value(v, r) is None
        return lambda v, r: kind(value(v, r)) == type_name

    # --- lists, loops and functions -----------------------------------------------------------

_FAST_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _compare_name_with_number(name: str, op: str, constant: Decimal) -> Fn:
    """The hot path of gateway conditions (``total > 1000``): no type dispatch for int/Decimal."""
    fast = _FAST_COMPARE[op]
    general = ops.BINARY[op]

    def compare(v: Mapping[str, Any], r: Run) -> Any:
        value = v.get(name)
        cls = type(value)
        if cls is int or cls is Decimal:
            return fast(value, constant)
        return general(value, constant)

    return compare


