"""The Camunda 7 JUEL subset: ``${amount > 100 && !vip}`` parsed into the FEEL tree.

Supported: number, string (single or double quotes), boolean and null
literals; variable names and ``a.b`` / ``a['b']`` paths on maps; ``== != < >
<= >=`` and ``eq ne lt gt le ge``; ``&& || !`` and ``and or not``; ``+ - * /
%`` (``div``, ``mod``); ``empty x``; parentheses; ``a ? b : c``. Method calls
(``${execution.getVariable('x')}``, ``${bean.method()}``) reach into Java
objects and are refused with an ExpressionError naming the call. The result
follows FEEL's semantics (a null operand gives null, which a condition treats
as false).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.builtins import BUILTINS
from conveyor.engine.feel.builtins.registry import Builtin
from conveyor.engine.feel.limits import MAX_NESTING
from conveyor.engine.feel.tokens import JUEL_OPERATORS, Token, tokenize


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


EMPTY = Builtin("empty", _empty, (("value",),))
_WORD_OPS = {"eq": "=", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%"}
_SYMBOL_OPS = {"==": "=", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "+": "+", "-": "-",
               "*": "*", "/": "/", "%": "%", "&&": "and", "||": "or", "and": "and", "or": "or", "?": "?"}
_POWER = {"?": 5, "or": 10, "and": 20, "=": 30, "!=": 30, "<": 35, ">": 35, "<=": 35, ">=": 35, "+": 40,
          "-": 40, "*": 50, "/": 50, "%": 50}


class JuelParser:
    def __init__(self, source: str) -> None:
        self.source = source
        stripped = source.strip()
        body = source
        if stripped.startswith(("${", "#{")) and stripped.endswith("}"):
            start = source.index(stripped[0]) + 2  # keep positions: blank out the delimiters
            body = " " * start + stripped[2:-1]
        self.tokens = tokenize(body, JUEL_OPERATORS, quotes="\"'")
        self.index = 0
        self.depth = 0

    def fail(self, message: str, token: Token) -> NoReturn:
        raise ExpressionError(message, self.source, token.pos)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.advance()
        if token.text != text or token.kind not in ("op", "name"):
            self.fail(f"expected {text!r}", token)

    def parse(self) -> n.Node:
        if self.peek().kind == "end":
            self.fail("empty expression", self.peek())
        node = self.expression(0)
        if self.peek().kind != "end":
            self.fail(f"unexpected {self.peek().text!r}", self.peek())
        return node

    def operator(self, token: Token) -> str | None:
        if token.kind == "op":
            return _SYMBOL_OPS.get(token.text)
        if token.kind == "name":
            return _WORD_OPS.get(token.text) or (token.text if token.text in ("and", "or") else None)
        return None

    def expression(self, power: int) -> n.Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionLimitExceeded(f"expression nests deeper than {MAX_NESTING} levels", self.source)
        left = self.unary()
        while True:
            token = self.peek()
            op = self.operator(token)
            bound = _POWER.get(op, 0) if op else 0
            if bound <= power:
                break
            self.advance()
            if op == "?":
                then = self.expression(0)
                self.expect(":")
                left = n.If(token.pos, left, then, self.expression(4))
            elif op == "and":
                left = n.And(token.pos, left, self.expression(bound))
            elif op == "or":
                left = n.Or(token.pos, left, self.expression(bound))
            elif op == "%":
                right = self.expression(bound)
                left = n.Call(token.pos, n.Literal(token.pos, BUILTINS["modulo"]), (left, right))
            else:
                assert op is not None
                left = n.Binary(token.pos, op, left, self.expression(bound))
        self.depth -= 1
        return left

    def unary(self) -> n.Node:
        token = self.peek()
        if token.text in ("!", "not") and token.kind in ("op", "name"):
            self.advance()
            return n.Not(token.pos, self.unary())
        if token.text == "-" and token.kind == "op":
            self.advance()
            return n.Negate(token.pos, self.unary())
        if token.text == "empty" and token.kind == "name":
            self.advance()
            return n.Call(token.pos, n.Literal(token.pos, EMPTY), (self.unary(),))
        return self.postfix(self.primary())

    def postfix(self, node: n.Node) -> n.Node:
        while True:
            token = self.peek()
            if token.kind != "op" or token.text not in (".", "[", "("):
                return node
            self.advance()
            if token.text == "(":
                self.fail(f"method and function calls such as {self.describe(node)}(...) are not supported "
                          "in expressions; read the variable directly (e.g. ${amount > 100})", token)
            if token.text == ".":
                name = self.advance()
                if name.kind != "name":
                    self.fail("expected a property name after '.'", name)
                node = n.Path(token.pos, node, name.text)
            else:
                key = self.advance()
                if key.kind != "string":
                    self.fail("only literal keys such as a['key'] are supported inside [ ]", key)
                self.expect("]")
                node = n.Path(token.pos, node, key.text)

    def describe(self, node: n.Node) -> str:
        if isinstance(node, n.Name):
            return node.name
        if isinstance(node, n.Path):
            return f"{self.describe(node.base)}.{node.member}"
        return "a value"

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
            if token.text in ("true", "false"):
                return n.Literal(token.pos, token.text == "true")
            if token.text == "null":
                return n.Literal(token.pos, None)
            return n.Name(token.pos, token.text)
        if token.kind == "op" and token.text == "(":
            inner = self.expression(0)
            self.expect(")")
            return inner
        what = repr(token.text) if token.kind != "end" else "end of expression"
        raise ExpressionError(f"unexpected {what}", self.source, token.pos)


def parse_juel(source: str) -> n.Node:
    """Parse ``${...}`` or ``#{...}`` into the FEEL tree."""
    return JuelParser(source).parse()
