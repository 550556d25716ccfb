"""The syntax tree every dialect (FEEL, JUEL, Python conditions) parses into.

One tree, one compiler: a JUEL ``${a == 1}`` and a FEEL ``a = 1`` become the
same nodes and run with the same (FEEL) semantics. ``pos`` is the character
offset in the source, for error messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    pos: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Path(Node):
    base: Node
    member: str


@dataclass(frozen=True, slots=True)
class Filter(Node):
    base: Node
    condition: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: Node
    args: tuple[Node, ...]
    named: tuple[tuple[str, Node], ...] | None = None


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Not(Node):
    """Boolean negation written as an operator (JUEL ``!``, Python ``not``); FEEL's is a function."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic (``+ - * / **``) and comparison (``= != < <= > >=``) operators."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class In(Node):
    value: Node
    test: Node  # a unary test node


@dataclass(frozen=True, slots=True)
class InstanceOf(Node):
    value: Node
    type_name: str


@dataclass(frozen=True, slots=True)
class ListNode(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class ContextNode(Node):
    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class RangeNode(Node):
    start: Node | None
    end: Node | None
    start_included: bool
    end_included: bool


@dataclass(frozen=True, slots=True)
class Iteration(Node):
    """One ``name in collection`` (or ``name in a..b``) of a for/some/every."""

    name: str
    collection: Node
    upto: Node | None = None


@dataclass(frozen=True, slots=True)
class For(Node):
    iterations: tuple[Iteration, ...]
    body: Node


@dataclass(frozen=True, slots=True)
class Quantified(Node):
    every: bool
    iterations: tuple[Iteration, ...]
    condition: Node


@dataclass(frozen=True, slots=True)
class FunctionDef(Node):
    params: tuple[str, ...]
    body: Node


# --- unary tests (DMN input entries and the right side of ``in``) -----------------------------


@dataclass(frozen=True, slots=True)
class AnyTest(Node):
    """``-``: matches every input."""


@dataclass(frozen=True, slots=True)
class CompareTest(Node):
    """``< 10``, ``>= x``, ``!= "a"``: compares the input with the value."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class ExpressionTest(Node):
    """Any expression: a range or list to be in, a boolean using ``?``, or a value to equal."""

    expression: Node
    uses_input: bool


@dataclass(frozen=True, slots=True)
class NotTest(Node):
    tests: Node


@dataclass(frozen=True, slots=True)
class TestList(Node):
    """``a, b, c``: matches when any of them does."""

    tests: tuple[Node, ...]


def walk(node: Node) -> Iterator[Node]:
    """``node`` and every node below it."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        for field in fields(current):
            _push_nodes(getattr(current, field.name), stack)


def _push_nodes(value: Any, stack: list[Node]) -> None:
    if isinstance(value, Node):
        stack.append(value)
    elif isinstance(value, tuple):
        for item in value:
            _push_nodes(item, stack)
