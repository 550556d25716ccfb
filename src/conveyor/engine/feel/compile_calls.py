"""Compiling function definitions and calls: built-ins (bound at compile time, named
arguments mapped to positions), FEEL function values, and Camunda's ``is defined``.

A built-in given arguments it cannot use gives null (FEEL semantics); only
``FeelFunction`` values and built-ins are ever called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.builtins import BUILTINS, Builtin
from conveyor.engine.feel.compile_base import CompilerBase, Fn
from conveyor.engine.feel.limits import Run, check_size
from conveyor.engine.feel.scope import Scope
from conveyor.engine.feel.values import FeelFunction

_CALL_ERRORS = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, OverflowError)


class CallCompiler(CompilerBase):
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
            values = [arg(v, r) for arg in args]
            try:
                result = call(*values)
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
