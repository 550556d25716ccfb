"""The FEEL parser: tokens -> syntax tree (a Pratt parser, one method per construct).

FEEL names may contain spaces (``Customer Age``): consecutive words are joined
into one name until a keyword (``and``, ``or``, ``in``, ``then``...) or an
operator. Built-in functions whose names contain a keyword (``date and time``,
``years and months duration``) are recognised by looking ahead for the call's
``(``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NoReturn

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.limits import MAX_NESTING
from conveyor.engine.feel.temporal import parse_date, parse_date_and_time, parse_duration, parse_time
from conveyor.engine.feel.tokens import FEEL_OPERATORS, Token, known_name_index, tokenize

#: Words that end a name and are operators or keywords between expressions.
STOP_WORDS = frozenset({"and", "or", "in", "between", "then", "else", "return", "satisfies"})
COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
#: Binding powers: higher binds tighter.
OR, AND, COMPARE, ADD, MULTIPLY, POWER, NEGATE, POSTFIX = 10, 20, 30, 40, 50, 60, 65, 80
_OP_POWER = {"+": ADD, "-": ADD, "*": MULTIPLY, "/": MULTIPLY, "**": POWER, ".": POSTFIX, "[": POSTFIX,
             "(": POSTFIX} | dict.fromkeys(COMPARISONS, COMPARE)
_WORD_POWER = {"or": OR, "and": AND, "between": COMPARE, "in": COMPARE, "instance": COMPARE}
TYPE_NAMES = ("years and months duration", "days and time duration", "date and time", "number", "string",
              "boolean", "date", "time", "list", "context", "function", "range", "Any", "Null")


@lru_cache(maxsize=8)
def _by_first_word(names: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    """Multi-word function names by their first word, longest first (built once per name set)."""
    starts: dict[str, list[tuple[str, ...]]] = {}
    for name in names:
        words = tuple(name.split(" "))
        if len(words) > 1:
            starts.setdefault(words[0], []).append(words)
    return {key: sorted(value, key=len, reverse=True) for key, value in starts.items()}


class FeelParser:
    def __init__(self, source: str, multi_word_names: frozenset[str] = frozenset(),
                 known_names: frozenset[str] = frozenset()) -> None:
        self.source = source
        self.tokens = tokenize(source, FEEL_OPERATORS, known=known_name_index(known_names))
        self.index = 0
        self.depth = 0
        self.input_uses = 0  # how many times `?` was read (unary tests)
        self.range_end_depth = -1  # a `[` at this depth closes a range (`]1..5[`), it is not a filter
        self.multi_word = _by_first_word(multi_word_names)

    # --- helpers ------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.text == text and token.kind in ("op", "name")

    def accept(self, text: str) -> bool:
        if self.at(text):
            self.index += 1
            return True
        return False

    def expect(self, text: str, why: str = "") -> Token:
        if not self.at(text):
            self.fail(f"expected {text!r}{why} but found {self.describe(self.peek())}", self.peek())
        return self.advance()

    def fail(self, message: str, token: Token) -> NoReturn:
        raise ExpressionError(message, self.source, token.pos)

    @staticmethod
    def describe(token: Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            self.fail(f"unexpected {self.describe(self.peek())}", self.peek())

    # --- entry points -------------------------------------------------------------------------

    def parse_expression(self) -> n.Node:
        if self.peek().kind == "end":
            self.fail("empty expression", self.peek())
        node = self.expression(0)
        self.expect_end()
        return node

    def parse_unary_tests(self) -> n.Node:
        first = self.peek()
        if first.kind == "end":
            self.fail("empty unary tests (write '-' to match anything)", first)
        if self.at("-") and self.peek(1).kind == "end":
            self.advance()
            return n.AnyTest(first.pos)
        if self.at("not") and self.at("(", 1):
            start = self.index
            self.index += 2
            tests = self.positive_tests(0)
            if self.accept(")") and self.peek().kind == "end":
                return n.NotTest(first.pos, tests)
            self.index = start
        tests = self.positive_tests(0)
        self.expect_end()
        return tests

    # --- unary tests --------------------------------------------------------------------------

    def positive_tests(self, power: int) -> n.Node:
        tests = [self.positive_test(power)]
        while self.accept(","):
            tests.append(self.positive_test(power))
        return tests[0] if len(tests) == 1 else n.TestList(tests[0].pos, tuple(tests))

    def positive_test(self, power: int) -> n.Node:
        token = self.peek()
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return n.CompareTest(token.pos, token.text, self.expression(COMPARE))
        before = self.input_uses
        expression = self.expression(power)
        return n.ExpressionTest(token.pos, expression, self.input_uses > before)

    def in_tests(self) -> n.Node:
        """The right side of ``in``: one positive unary test, or several in parentheses."""
        if self.at("("):
            start = self.index
            self.advance()
            first = self.positive_test(0)
            if not self.at(".."):
                tests = [first]
                while self.accept(","):
                    tests.append(self.positive_test(0))
                self.expect(")")
                return tests[0] if len(tests) == 1 else n.TestList(tests[0].pos, tuple(tests))
            self.index = start
        return self.positive_test(COMPARE)

    # --- expressions (Pratt) ------------------------------------------------------------------

    def expression(self, power: int) -> n.Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExpressionLimitExceeded(f"expression nests deeper than {MAX_NESTING} levels", self.source,
                                          self.peek().pos)
        left = self.prefix(self.advance())
        while True:
            token = self.peek()
            if token.kind == "op":
                bound = _OP_POWER.get(token.text, 0)
            elif token.kind == "name":
                bound = _WORD_POWER.get(token.text, 0)
                if token.text == "instance" and not self.at("of", 1):
                    bound = 0
            else:
                bound = 0
            if bound <= power or (token.text == "[" and self.depth == self.range_end_depth):
                break
            self.advance()
            left = self.infix(left, token, bound)
        self.depth -= 1
        return left

    def infix(self, left: n.Node, token: Token, bound: int) -> n.Node:
        text = token.text
        if text == ".":
            return n.Path(token.pos, left, self.member_name())
        if text == "[":
            condition = self.expression(0)
            self.expect("]", " to close the filter")
            return n.Filter(token.pos, left, condition)
        if text == "(":
            return self.call(left, token)
        if text == "or":
            return n.Or(token.pos, left, self.expression(OR))
        if text == "and":
            return n.And(token.pos, left, self.expression(AND))
        if text == "between":
            low = self.expression(COMPARE)
            self.expect("and", " in 'between ... and ...'")
            return n.Between(token.pos, left, low, self.expression(COMPARE))
        if text == "in":
            return n.In(token.pos, left, self.in_tests())
        if text == "instance":
            self.expect("of")
            return n.InstanceOf(token.pos, left, self.type_name())
        return n.Binary(token.pos, text, left, self.expression(bound))

    def prefix(self, token: Token) -> n.Node:
        kind, text = token.kind, token.text
        if kind == "number":
            try:
                return n.Literal(token.pos, Decimal(text))
            except InvalidOperation as err:
                raise ExpressionError(f"bad number {text!r}", self.source, token.pos) from err
        if kind == "string":
            return n.Literal(token.pos, text)
        if kind == "qname":
            return n.Name(token.pos, text)
        if kind == "name":
            return self.word(token)
        if kind == "op":
            if text == "(":
                return self.parenthesis(token)
            if text in ("[", "]"):
                return self.bracket(token)
            if text == "{":
                return self.context(token)
            if text == "-":
                return n.Negate(token.pos, self.expression(NEGATE))
            if text == "?":
                self.input_uses += 1
                return n.Name(token.pos, "?")
            if text == "@":
                return self.temporal_literal(token)
        raise ExpressionError(f"unexpected {self.describe(token)}", self.source, token.pos)

    def word(self, token: Token) -> n.Node:
        text = token.text
        if text in ("true", "false"):
            return n.Literal(token.pos, text == "true")
        if text == "null":
            return n.Literal(token.pos, None)
        if text == "if":
            return self.if_then_else(token)
        if text == "for":
            return self.for_loop(token)
        if text in ("some", "every"):
            return self.quantified(token)
        if text == "function" and self.at("("):
            return self.function_definition(token)
        if text in STOP_WORDS:
            self.fail(f"unexpected keyword {text!r}", token)
        return n.Name(token.pos, self.rest_of_name(token))

    def rest_of_name(self, first: Token) -> str:
        """Join the words following ``first`` into one name (``Customer Age``, ``date and time``)."""
        for words in self.multi_word.get(first.text, ()):
            same = all(self.at(word, i) for i, word in enumerate(words[1:]))
            if same and self.at("(", len(words) - 1):
                self.index += len(words) - 1
                return " ".join(words)
        parts = [first.text]
        while self.peek().kind == "name" and self.peek().text not in STOP_WORDS:
            if self.peek().text == "instance" and self.at("of", 1):
                break
            parts.append(self.advance().text)
        return " ".join(parts)

    def member_name(self) -> str:
        token = self.advance()
        if token.kind == "qname" or token.kind == "string":
            return token.text
        if token.kind != "name":
            self.fail(f"expected a name after '.' but found {self.describe(token)}", token)
        return self.rest_of_name(token)

    def type_name(self) -> str:
        """A type after ``instance of`` (or a parameter's ``:``): the longest FEEL type name that
        matches (``date and time``), else one word (a DMN item definition's name)."""
        first = self.peek()
        if first.kind not in ("name", "qname"):
            self.fail(f"expected a type name but found {self.describe(first)}", first)
        words: list[str] = []
        best = 0
        while self.peek(len(words)).kind == "name":
            words.append(self.peek(len(words)).text)
            joined = " ".join(words)
            if joined in TYPE_NAMES:
                best = len(words)
            if not any(t.startswith(joined + " ") for t in TYPE_NAMES):
                break
        count = best or 1
        self.index += count
        name = " ".join(words[:count]) if best else first.text
        if self.accept("<"):  # list<number>, context<a: string>: element types are not checked
            depth = 1
            while depth:
                token = self.advance()
                if token.kind == "end":
                    self.fail("unterminated type: expected '>'", token)
                depth += {"<": 1, ">": -1}.get(token.text, 0) if token.kind == "op" else 0
        if name == "function" and self.at("-") and self.at(">", 1):  # function<number> -> string
            self.index += 2
            self.type_name()
        return name

    def call(self, function: n.Node, token: Token) -> n.Node:
        args: list[n.Node] = []
        named: list[tuple[str, n.Node]] = []
        if not self.accept(")"):
            while True:
                name = self.parameter_name()
                if name is not None:
                    named.append((name, self.expression(0)))
                else:
                    if named:
                        self.fail("positional argument after a named one", self.peek())
                    args.append(self.expression(0))
                if self.accept(")"):
                    break
                self.expect(",", " between arguments")
        if named and args:
            self.fail("mixing positional and named arguments", token)
        return n.Call(token.pos, function, tuple(args), tuple(named) if named else None)

    def parameter_name(self) -> str | None:
        """``start position:`` before an argument names it; None when the argument is positional."""
        ahead = 0
        words: list[str] = []
        while self.peek(ahead).kind in ("name", "qname"):
            words.append(self.peek(ahead).text)
            ahead += 1
        if words and self.at(":", ahead):
            self.index += ahead + 1
            return " ".join(words)
        return None

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
        if value is None:
            self.fail(f"not a date, time or duration: {text!r}", text_token)
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
