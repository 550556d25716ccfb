"""Syntax tree -> Python closures, so evaluating costs no tree walking or dispatch.

Each node becomes ``fn(variables, run) -> value``; ``run`` carries the step
budget of the current evaluation. The compiler also records the top-level
variable names an expression reads (``names``), leaving out names bound by
``for``/``some``/``every``, function parameters and context entries.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel import operators as ops
from conveyor.engine.feel.builtins import BUILTINS, Builtin
from conveyor.engine.feel.limits import MAX_NESTING, Run, check_size
from conveyor.engine.feel.nodes import walk
from conveyor.engine.feel.parser import TYPE_NAMES
from conveyor.engine.feel.properties import member
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.unary import compile_test
from conveyor.engine.feel.values import FeelFunction, Range, is_number, kind, to_decimal

Fn = Callable[[Mapping[str, Any], Run], Any]
_CALL_ERRORS = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, OverflowError)


class Compiler:
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

    # --- values and names ---------------------------------------------------------------------

    def _Literal(self, node: n.Literal) -> Fn:
        value = node.value
        return lambda v, r: value

    def _Name(self, node: n.Name) -> Fn:
        name = node.name
        if name != "?" and not self.is_bound(name):
            self.names.add(name)
        return lambda v, r: v.get(name)

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

    def _FunctionDef(self, node: n.FunctionDef) -> Fn:
        self.counts_steps = True
        params = node.params
        self.bound.append(frozenset(params))
        body = self.compile(node.body)
        self.bound.pop()

        def define(v: Mapping[str, Any], r: Run) -> FeelFunction:
            def call(*args: Any) -> Any:
                if len(args) != len(params):
                    return None
                r.tick()
                return body(Scope(dict(zip(params, args, strict=True)), v), r)

            return FeelFunction(params, call)

        return define

    def _Call(self, node: n.Call) -> Fn:
        self.counts_steps = True
        target = node.function
        if isinstance(target, n.Name) and target.name in BUILTINS and not self.is_bound(target.name):
            return self._call_builtin(node, BUILTINS[target.name])
        function = self.compile(target)
        args = [self.compile(arg) for arg in node.args]
        named = [(key, self.compile(arg)) for key, arg in node.named or ()]
        label = target.name if isinstance(target, n.Name) else "the called value"
        if isinstance(target, n.Name) and not self.is_bound(target.name):
            self.warnings.append(
                f"{target.name!r} is not a built-in function; the call works only if a variable of that "
                f"name holds a function (position {node.pos})"
            )

        def call(v: Mapping[str, Any], r: Run) -> Any:
            callee = function(v, r)
            if isinstance(callee, FeelFunction):
                values = [arg(v, r) for arg in args]
                if named:
                    given = {key: arg(v, r) for key, arg in named}
                    values = [given.get(param) for param in callee.params]
                return callee(*values)
            if isinstance(callee, Builtin):
                return _invoke(callee, [arg(v, r) for arg in args], {k: a(v, r) for k, a in named}, r)
            raise ExpressionError(f"no function named {label!r}", self.source, node.pos)

        return call

    def _call_builtin(self, node: n.Call, function: Builtin) -> Fn:
        if function.name == "is defined" and len(node.args) == 1 and not node.named:
            return self._is_defined(node.args[0])
        args = [self.compile(arg) for arg in node.args]
        if node.named:
            names = [key for key, _ in node.named]
            if function.positional(dict.fromkeys(names)) is None:
                expected = " or ".join("(" + ", ".join(s) + ")" for s in function.signatures)
                self.warnings.append(
                    f"{function.name}() has no parameters named {', '.join(names)}; it takes {expected} "
                    f"(the call gives null) at position {node.pos}"
                )
                return lambda v, r: None
            named = [(key, self.compile(arg)) for key, arg in node.named]
            return lambda v, r: _invoke(function, [], {key: arg(v, r) for key, arg in named}, r)
        call = function.function

        def invoke(v: Mapping[str, Any], r: Run) -> Any:
            r.steps += 1
            if r.steps > r.limit:
                r.tick()
            try:
                result = call(*[arg(v, r) for arg in args])
            except _CALL_ERRORS:
                return None
            if type(result) is list or type(result) is str:
                check_size(result)
            return result

        return invoke

    def _is_defined(self, node: n.Node) -> Fn:
        if isinstance(node, n.Name):
            name = node.name
            self._Name(node)
            return lambda v, r: name in v
        if isinstance(node, n.Path):
            base, key = self.compile(node.base), node.member
            return lambda v, r: (lambda value: isinstance(value, Mapping) and key in value)(base(v, r))
        value = self.compile(node)
        return lambda v, r: value(v, r) is not None


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


def _invoke(function: Builtin, args: list[Any], named: dict[str, Any], r: Run) -> Any:
    r.tick()
    if named:
        ordered = function.positional(named)
        if ordered is None:
            return None
        args = ordered
    try:
        result = function.function(*args)
    except _CALL_ERRORS:
        return None
    return check_size(result)


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
