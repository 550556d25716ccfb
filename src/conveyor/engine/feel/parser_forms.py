"""The FEEL constructs with their own syntax: parentheses, lists and ranges, contexts,
``@"..."`` literals, ``if``, ``for``, ``some``/``every`` and ``function``.

A mixin of ``FeelParser``: each method is called with the construct's first
token already read.
"""

from __future__ import annotations

from typing import Any

from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.cursor import TokenCursor
from conveyor.engine.feel.temporal import parse_date, parse_date_and_time, parse_duration, parse_time
from conveyor.engine.feel.tokens import Token

#: Words that end a name: operators and keywords between expressions.
STOP_WORDS = frozenset({"and", "or", "in", "between", "then", "else", "return", "satisfies"})


class FormsParser(TokenCursor):
    range_end_depth: int
    depth: int
    warnings: list[str]

    def expression(self, power: int) -> n.Node:
        raise NotImplementedError

    def rest_of_name(self, first: Token) -> str:
        raise NotImplementedError

    def type_name(self) -> str:
        raise NotImplementedError

    def parenthesis(self, token: Token) -> n.Node:
        inner = self.expression(0)
        if self.accept(".."):
            return self.range_end(token, inner, start_included=False)
        self.expect(")", " to close '('")
        return inner

    def bracket(self, token: Token) -> n.Node:
        if token.text == "[" and self.accept("]"):
            return n.ListNode(token.pos, ())
        first = self.expression(0)
        if self.accept(".."):
            return self.range_end(token, first, start_included=token.text == "[")
        if token.text == "]":
            self.fail("expected '..' in a range starting with ']'", self.peek())
        items = [first]
        while self.accept(","):
            items.append(self.expression(0))
        self.expect("]", " to close the list")
        return n.ListNode(token.pos, tuple(items))

    def range_end(self, token: Token, start: n.Node, *, start_included: bool) -> n.Node:
        outer, self.range_end_depth = self.range_end_depth, self.depth + 1
        end = self.expression(0)
        self.range_end_depth = outer
        close = self.advance()
        if close.kind != "op" or close.text not in ("]", ")", "["):
            self.fail(f"expected ']', ')' or '[' to close the range but found {self.describe(close)}", close)
        return n.RangeNode(token.pos, start, end, start_included, close.text == "]")

    def context(self, token: Token) -> n.Node:
        entries: list[tuple[str, n.Node]] = []
        if self.accept("}"):
            return n.ContextNode(token.pos, ())
        while True:
            key_token = self.advance()
            if key_token.kind == "string" or key_token.kind == "qname":
                key = key_token.text
            elif key_token.kind == "name":
                words = [key_token.text]
                while self.peek().kind == "name":
                    words.append(self.advance().text)
                key = " ".join(words)
            else:
                self.fail(f"expected a context key but found {self.describe(key_token)}", key_token)
            self.expect(":", " after a context key")
            entries.append((key, self.expression(0)))
            if self.accept("}"):
                return n.ContextNode(token.pos, tuple(entries))
            self.expect(",", " between context entries")

    def temporal_literal(self, token: Token) -> n.Node:
        text_token = self.advance()
        if text_token.kind != "string":
            self.fail("expected a string after '@'", text_token)
        text = text_token.text
        value: Any
        if text.lstrip("-").startswith("P"):
            value = parse_duration(text)
        elif "T" in text:
            value = parse_date_and_time(text)
        elif ":" in text:
            value = parse_time(text)
        else:
            value = parse_date(text)
        if value is None:  # FEEL: null; the author hears of it through the warnings
            self.warnings.append(
                f"@{text!r} is not a date, time or duration (it is null) at position {token.pos}"
            )
        return n.Literal(token.pos, value)

    def if_then_else(self, token: Token) -> n.Node:
        condition = self.expression(0)
        self.expect("then", " after the 'if' condition")
        then = self.expression(0)
        self.expect("else", " ('if' needs both 'then' and 'else')")
        return n.If(token.pos, condition, then, self.expression(0))

    def iterations(self) -> tuple[n.Iteration, ...]:
        found: list[n.Iteration] = []
        while True:
            name_token = self.advance()
            if name_token.kind not in ("name", "qname") or name_token.text in STOP_WORDS:
                self.fail(f"expected a variable name but found {self.describe(name_token)}", name_token)
            name = name_token.text if name_token.kind == "qname" else self.rest_of_name(name_token)
            self.expect("in")
            collection = self.expression(0)
            upto = self.expression(0) if self.accept("..") else None
            found.append(n.Iteration(name_token.pos, name, collection, upto))
            if not self.accept(","):
                return tuple(found)

    def for_loop(self, token: Token) -> n.Node:
        iterations = self.iterations()
        self.expect("return", " in 'for ... in ... return ...'")
        return n.For(token.pos, iterations, self.expression(0))

    def quantified(self, token: Token) -> n.Node:
        iterations = self.iterations()
        self.expect("satisfies", f" in '{token.text} ... in ... satisfies ...'")
        return n.Quantified(token.pos, token.text == "every", iterations, self.expression(0))

    def function_definition(self, token: Token) -> n.Node:
        self.expect("(")
        params: list[str] = []
        if not self.accept(")"):
            while True:
                param = self.advance()
                if param.kind not in ("name", "qname"):
                    self.fail(f"expected a parameter name but found {self.describe(param)}", param)
                params.append(param.text if param.kind == "qname" else self.rest_of_name(param))
                if self.accept(":"):
                    self.type_name()
                if self.accept(")"):
                    break
                self.expect(",", " between parameters")
        return n.FunctionDef(token.pos, tuple(params), self.expression(0))
