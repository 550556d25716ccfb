"""Python-style conditions from SpiffWorkflow models, parsed by hand into the FEEL tree.

Supported: ``x == 1``, ``a > 5 and b != 'x'``, ``not flag``, ``x in ['a', 'b']``,
``x not in (...)``, ``x is None`` / ``is not None``, chained ``1 < x < 5``,
arithmetic, ``len(items)``, ``a['key']`` and ``a.key`` on dicts, ``True``,
``False``, ``None``. Nothing is handed to Python's ``eval``/``compile``:
assignments, statements, imports, lambdas and calls other than ``len`` are
refused with an ExpressionError saying Python scripts are not supported.
``and``, ``or`` and ``not`` use Python truthiness (an empty list is false).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.builtins import BUILTINS
from conveyor.engine.feel.builtins.registry import Builtin
from conveyor.engine.feel.limits import MAX_NESTING
from conveyor.engine.feel.operators import equal
from conveyor.engine.feel.tokens import PYTHON_OPERATORS, Token, tokenize

_NOT_SUPPORTED = "Python scripts are not supported (only conditions such as x > 5 and y == 'a')"
_STATEMENTS = frozenset({
    "import", "from", "def", "class", "lambda", "for", "while", "return", "del", "global", "with", "yield",
    "raise", "try", "exec", "eval", "print", "if", "else", "async", "await", "assert", "pass",
})
_COMPARE = {"==": "=", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_POWER = {"or": 10, "and": 20, "+": 40, "-": 40, "*": 50, "/": 50, "%": 50, "//": 50, "**": 60}


def _truthy(value: Any) -> bool:
    return bool(value)


def _length(value: Any) -> Decimal | None:
    return Decimal(len(value)) if isinstance(value, (str, list, dict, tuple)) else None


def _contains(container: Any, item: Any) -> bool | None:
    """Python's ``item in container``: a substring, a dict key, or a list item (FEEL equality)."""
    if isinstance(container, str):
        return item in container if isinstance(item, str) else None
    if isinstance(container, dict):
        return item in container if isinstance(item, str) else False
    if isinstance(container, list):
        return any(equal(element, item) is True for element in container)
    return None


TRUTHY = Builtin("bool", _truthy, (("value",),))
CONTAINS = Builtin("in", _contains, (("container", "item"),))
LENGTH = Builtin("len", _length, (("value",),))


class PythonConditionParser:
    def __init__(self, source: str) -> None:
        self.source = source
        if "\n" in source.strip() or ";" in source:
            raise ExpressionError(_NOT_SUPPORTED + "; found several statements", source)
        self.tokens = tokenize(source, PYTHON_OPERATORS, quotes="\"'")
        self.index = 0
        self.depth = 0
        for token in self.tokens:
            if token.kind == "name" and token.text in _STATEMENTS:
                self.fail(_NOT_SUPPORTED + f"; found {token.text!r}", token)
            if token.kind == "op" and token.text == "=":
                self.fail(_NOT_SUPPORTED + "; found an assignment", token)

    def fail(self, message: str, token: Token) -> NoReturn:
        raise ExpressionError(message, self.source, token.pos)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.text == text and token.kind in ("op", "name")

    def expect(self, text: str) -> None:
        if not self.at(text):
            self.fail(f"expected {text!r}", self.peek())
        self.advance()

    def parse(self) -> n.Node:
        if self.peek().kind == "end":
            self.fail("empty expression", self.peek())
        node = self.expression(0)
        if self.peek().kind != "end":
            self.fail(f"unexpected {self.peek().text!r}", self.peek())
        return node

    def expression(self, power: int) -> n.Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionLimitExceeded(f"expression nests deeper than {MAX_NESTING} levels", self.source)
        left = self.negation()
        while True:
            token = self.peek()
            bound = _POWER.get(token.text, 0) if token.kind in ("op", "name") else 0
            if bound <= power or bound >= 40:  # arithmetic binds inside comparisons
                break
            self.advance()
            right = self.expression(bound)
            node_type = n.And if token.text == "and" else n.Or
            left = node_type(token.pos, _as_bool(left), _as_bool(right))
        self.depth -= 1
        return left

    def negation(self) -> n.Node:
        token = self.peek()
        if self.at("not"):
            self.advance()
            return n.Not(token.pos, _as_bool(self.negation()))
        return self.comparison()

    def comparison(self) -> n.Node:
        left = self.arithmetic(30)
        parts: list[n.Node] = []
        while True:
            token = self.peek()
            if token.kind == "op" and token.text in _COMPARE:
                self.advance()
                right = self.arithmetic(30)
                parts.append(n.Binary(token.pos, _COMPARE[token.text], left, right))
            elif self.at("in") or (self.at("not") and self.at("in", 1)):
                negated = self.at("not")
                self.index += 2 if negated else 1
                right = self.arithmetic(30)
                test: n.Node = n.Call(token.pos, n.Literal(token.pos, CONTAINS), (right, left))
                parts.append(n.Not(token.pos, test) if negated else test)
            elif self.at("is"):
                self.advance()
                negated = self.at("not")
                if negated:
                    self.advance()
                right = self.arithmetic(30)
                parts.append(n.Binary(token.pos, "!=" if negated else "=", left, right))
            else:
                break
            left = right
        if not parts:
            return left
        result = parts[0]
        for part in parts[1:]:
            result = n.And(part.pos, result, part)
        return result

    def arithmetic(self, power: int) -> n.Node:
        left = self.unary()
        while True:
            token = self.peek()
            bound = _POWER.get(token.text, 0) if token.kind == "op" else 0
            if bound <= max(power, 30):
                return left
            self.advance()
            right = self.arithmetic(bound)
            if token.text == "%":
                left = n.Call(token.pos, n.Literal(token.pos, BUILTINS["modulo"]), (left, right))
            elif token.text == "//":
                left = n.Call(token.pos, n.Literal(token.pos, BUILTINS["floor"]),
                              (n.Binary(token.pos, "/", left, right),))
            else:
                left = n.Binary(token.pos, token.text, left, right)

    def unary(self) -> n.Node:
        token = self.peek()
        if self.at("-"):
            self.advance()
            return n.Negate(token.pos, self.unary())
        if self.at("+"):
            self.advance()
            return self.unary()
        return self.postfix(self.primary())

    def postfix(self, node: n.Node) -> n.Node:
        while True:
            token = self.peek()
            if self.at("."):
                self.advance()
                name = self.advance()
                if name.kind != "name":
                    self.fail("expected an attribute name after '.'", name)
                if self.at("("):
                    message = f"method calls such as .{name.text}() are not supported; "
                    self.fail(message + _NOT_SUPPORTED, name)
                node = n.Path(token.pos, node, name.text)
            elif self.at("["):
                self.advance()
                key = self.advance()
                self.expect("]")
                if key.kind == "string":
                    node = n.Path(token.pos, node, key.text)
                elif key.kind == "number":
                    index = int(key.text) + 1 if key.text.isdigit() else None
                    if index is None:
                        self.fail("only whole-number or string subscripts are supported", key)
                    node = n.Filter(token.pos, node, n.Literal(key.pos, Decimal(index)))
                else:
                    self.fail("only literal subscripts such as a['key'] or a[0] are supported", key)
            elif self.at("("):
                self.fail("only len(...) can be called; " + _NOT_SUPPORTED, token)
            else:
                return node

    def primary(self) -> n.Node:
        token = self.advance()
        if token.kind == "number":
            try:
                return n.Literal(token.pos, Decimal(token.text))
            except InvalidOperation as err:
                raise ExpressionError(f"bad number {token.text!r}", self.source, token.pos) from err
        if token.kind == "string":
            return n.Literal(token.pos, token.text)
        if token.kind == "name":
            constants = {"True": True, "False": False, "None": None}
            if token.text in constants:
                return n.Literal(token.pos, constants[token.text])
            if token.text == "len" and self.at("("):
                self.advance()
                argument = self.expression(0)
                self.expect(")")
                return n.Call(token.pos, n.Literal(token.pos, LENGTH), (argument,))
            return n.Name(token.pos, token.text)
        if token.kind == "op" and token.text in ("(", "["):
            closing = ")" if token.text == "(" else "]"
            items: list[n.Node] = []
            while not self.at(closing):
                items.append(self.expression(0))
                if not self.at(closing):
                    self.expect(",")
            self.advance()
            if token.text == "(" and len(items) == 1:
                return items[0]
            return n.ListNode(token.pos, tuple(items))
        what = repr(token.text) if token.kind != "end" else "end of expression"
        raise ExpressionError(f"unexpected {what}", self.source, token.pos)


def _as_bool(node: n.Node) -> n.Node:
    """Python truthiness for operands of and/or/not that are not already comparisons."""
    if isinstance(node, (n.And, n.Or, n.Not)):
        return node
    if isinstance(node, n.Binary) and node.op in _COMPARE.values():
        return node
    if isinstance(node, n.Call) and isinstance(node.function, n.Literal) and node.function.value is CONTAINS:
        return node
    if isinstance(node, n.Literal) and isinstance(node.value, bool):
        return node
    return n.Call(node.pos, n.Literal(node.pos, TRUTHY), (node,))


def parse_python(source: str) -> n.Node:
    """Parse a Python condition into the FEEL tree; scripts are refused."""
    return PythonConditionParser(source).parse()
