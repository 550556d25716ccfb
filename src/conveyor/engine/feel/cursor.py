"""A cursor over a token list, with the small moves every parser needs."""

from __future__ import annotations

from typing import NoReturn

from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel.tokens import Token


class TokenCursor:
    def __init__(self, source: str, tokens: list[Token]) -> None:
        self.source = source
        self.tokens = tokens
        self.index = 0

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
