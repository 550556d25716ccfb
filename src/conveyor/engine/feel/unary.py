"""Unary tests: DMN input entries (``< 10``, ``[1..5]``, ``"a","b"``, ``-``, ``not(...)``,
``? > 3``) and the right side of ``in``.

A compiled test is ``test(input, variables, run) -> True | False | None``; a
rule's entry matches only on ``True``. An expression entry matches when it
equals the input, contains it (a list or a range), or -- when it reads ``?``
and gives a boolean -- when it is true.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from conveyor.engine.feel import nodes as n
from conveyor.engine.feel import operators as ops
from conveyor.engine.feel.limits import Run
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.values import Range

if TYPE_CHECKING:
    from conveyor.engine.feel.compiler import Compiler

Test = Callable[[Any, Mapping[str, Any], Run], "bool | None"]
_FAST: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def compile_test(compiler: Compiler, node: n.Node) -> Test:
    if isinstance(node, n.AnyTest):
        return lambda x, v, r: True
    if isinstance(node, n.CompareTest):
        return _compare(compiler, node)
    if isinstance(node, n.NotTest):
        inner = compile_test(compiler, node.tests)
        return lambda x, v, r: ops.negation(inner(x, v, r))
    if isinstance(node, n.TestList):
        return _any_of([compile_test(compiler, test) for test in node.tests])
    if isinstance(node, n.ExpressionTest):
        return _expression(compiler, node)
    return _expression(compiler, n.ExpressionTest(node.pos, node, False))


def _compare(compiler: Compiler, node: n.CompareTest) -> Test:
    operation: Callable[[Any, Any], bool | None] = ops.BINARY[node.op]
    constant = constant_of(node.operand)
    if constant is not _NOT_CONSTANT:
        compiler.compile(node.operand)
        if type(constant) is Decimal and node.op in _FAST:
            fast = _FAST[node.op]

            def compare_number(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
                cls = type(x)
                if cls is int or cls is Decimal:
                    return bool(fast(x, constant))
                return operation(x, constant)

            return compare_number
        return lambda x, v, r: operation(x, constant)
    operand = compiler.compile(node.operand)
    return lambda x, v, r: operation(x, operand(v, r))


def _any_of(tests: list[Test]) -> Test:
    def any_of(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
        unknown = False
        for test in tests:
            result = test(x, v, r)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return any_of


def matches_value(x: Any, value: Any) -> bool | None:
    """Whether input ``x`` satisfies an expression entry whose value is ``value``."""
    if isinstance(value, Range):
        return ops.in_range(x, value)
    if isinstance(value, list):
        # Membership: an item of another type is simply not the input (false, not null).
        if isinstance(x, list) and ops.equal(x, value) is True:
            return True
        return any(matches_value(x, item) is True for item in value)
    return ops.equal(x, value)


_NOT_CONSTANT: Any = object()


def constant_of(node: n.Node) -> Any:
    """The value of a node that needs no variables (``5``, ``-5``, ``"a"``, ``[1..10]``), else a marker."""
    if isinstance(node, n.Literal):
        return node.value
    if isinstance(node, n.Negate):
        inner = constant_of(node.operand)
        return _NOT_CONSTANT if inner is _NOT_CONSTANT else ops.negate(inner)
    if isinstance(node, n.RangeNode):
        start = constant_of(node.start) if node.start is not None else None
        end = constant_of(node.end) if node.end is not None else None
        if start is _NOT_CONSTANT or end is _NOT_CONSTANT:
            return _NOT_CONSTANT
        return Range(start, end, node.start_included, node.end_included)
    if isinstance(node, n.ListNode):
        items = [constant_of(item) for item in node.items]
        return _NOT_CONSTANT if any(item is _NOT_CONSTANT for item in items) else items
    return _NOT_CONSTANT


def _constant_test(constant: Any) -> Test:
    """Decision tables are mostly constants: test numbers and strings without FEEL's type dispatch."""
    if isinstance(constant, Range) and type(constant.start) is Decimal and type(constant.end) is Decimal:
        low, high = constant.start, constant.end
        low_in, high_in = constant.start_included, constant.end_included

        def in_numbers(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
            cls = type(x)
            if cls is int or cls is Decimal:
                return bool((low <= x if low_in else low < x) and (x <= high if high_in else x < high))
            return ops.in_range(x, constant)

        return in_numbers
    if type(constant) is str or type(constant) is Decimal:
        fast = (str,) if type(constant) is str else (int, Decimal)

        def equals(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
            if type(x) in fast:
                return bool(x == constant)
            return ops.equal(x, constant)

        return equals
    return lambda x, v, r: matches_value(x, constant)


def _expression(compiler: Compiler, node: n.ExpressionTest) -> Test:
    if not node.uses_input:
        constant = constant_of(node.expression)
        if constant is not _NOT_CONSTANT:
            compiler.compile(node.expression)  # still checked (nesting) like any expression
            return _constant_test(constant)
    expression = compiler.compile(node.expression)
    if not node.uses_input:
        return lambda x, v, r: matches_value(x, expression(v, r))

    def with_input(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
        value = expression(Scope({"?": x}, v), r)
        if isinstance(value, bool):
            return value
        return matches_value(x, value)

    return with_input
