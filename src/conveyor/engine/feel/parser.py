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

from conveyor.engine.errors import ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.limits import MAX_NESTING
from conveyor.engine.feel.parser_forms import STOP_WORDS, FormsParser
from conveyor.engine.feel.tokens import FEEL_OPERATORS, Token, known_name_index, tokenize

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


class FeelParser(FormsParser):
    def __init__(self, source: str, multi_word_names: frozenset[str] = frozenset(),
                 known_names: frozenset[str] = frozenset()) -> None:
        super().__init__(source, tokenize(source, FEEL_OPERATORS, known=known_name_index(known_names)))
        self.depth = 0
        self.warnings: list[str] = []
        self.input_uses = 0  # how many times `?` was read (unary tests)
        self.range_end_depth = -1  # a `[` at this depth closes a range (`]1..5[`), it is not a filter
        self.multi_word = _by_first_word(multi_word_names)

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
        if kind == "end":
            raise ExpressionError("the expression ends too early", self.source, token.pos)
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
        name = self.rest_of_name(token)
        if text == "not" and name != "not":  # `not approved` reads a variable named "not approved"
            self.warnings.append(
                f"{name!r} is read as one variable name; FEEL negates with not(...): "
                f"write not({name[4:]}) (position {token.pos})"
            )
        return n.Name(token.pos, name)

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

