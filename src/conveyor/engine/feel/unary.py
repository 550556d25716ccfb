"""Unary tests: DMN input entries (``< 10``, ``[1..5]``, ``"a","b"``, ``-``, ``not(...)``,
``? > 3``) and the right side of ``in``.

A compiled test is ``test(input, variables, run) -> True | False | None``; a
rule's entry matches only on ``True``. An expression entry matches when it
equals the input, contains it (a list or a range), or -- when it reads ``?``
and gives a boolean -- when it is true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from conveyor.engine.feel import nodes as n
from conveyor.engine.feel import operators as ops
from conveyor.engine.feel.limits import Run
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.values import Range

if TYPE_CHECKING:
    from conveyor.engine.feel.compiler import Compiler

Test = Callable[[Any, Mapping[str, Any], Run], "bool | None"]


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
    operation = ops.BINARY[node.op]
    if isinstance(node.operand, n.Literal):
        constant = node.operand.value
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


def _expression(compiler: Compiler, node: n.ExpressionTest) -> Test:
    if not node.uses_input and isinstance(node.expression, n.Literal):
        constant = node.expression.value
        return lambda x, v, r: matches_value(x, constant)
    expression = compiler.compile(node.expression)
    if not node.uses_input:
        return lambda x, v, r: matches_value(x, expression(v, r))

    def with_input(x: Any, v: Mapping[str, Any], r: Run) -> bool | None:
        value = expression(Scope({"?": x}, v), r)
        if isinstance(value, bool):
            return value
        return matches_value(x, value)

    return with_input
