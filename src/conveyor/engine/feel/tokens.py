"""The tokenizer shared by the FEEL, JUEL and Python-condition parsers.

A name token is one word; the FEEL parser joins consecutive words into names
with spaces (``Customer Age``), which is why words are kept separate here.
Each token records its character position so errors can point at it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from conveyor.engine.errors import ExpressionError

FEEL_OPERATORS = ("..", "**", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "+", "-", "*",
                  "/", "=", "<", ">", "?", "@")
JUEL_OPERATORS = ("==", "!=", "<=", ">=", "&&", "||", "(", ")", "[", "]", ",", ".", ":", "+", "-", "*", "/",
                  "%", "<", ">", "!", "?")
PYTHON_OPERATORS = ("==", "!=", "<=", ">=", "**", "//", "(", ")", "[", "]", "{", "}", ",", ".", ":", "+",
                    "-", "*", "/", "%", "<", ">", "=")

_NUMBER = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"(?:[^\W\d]|\$)(?:\w|\$)*")


@lru_cache(maxsize=8)
def _operator_index(operators: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Operators by first character, longest first (``**`` before ``*``)."""
    index: dict[str, list[str]] = {}
    for op in operators:
        index.setdefault(op[0], []).append(op)
    return {first: tuple(sorted(ops, key=len, reverse=True)) for first, ops in index.items()}


#: What a character from another expression language means in FEEL.
_FEEL_HINTS = {
    "&&": "FEEL writes 'and'",
    "||": "FEEL writes 'or'",
    "!": "FEEL negates with not(...)",
    "'": "FEEL strings use double quotes",
    "&": "FEEL writes 'and'",
    "|": "FEEL writes 'or'",
}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\"": "\"", "'": "'", "\\": "\\"}


class Token(NamedTuple):
    kind: str  # "number", "string", "name", "qname" (a `quoted name`), "op", "end"
    text: str
    pos: int


def _is_name_start(char: str) -> bool:
    return char.isalpha() or char == "_" or char == "$"


def _is_name_part(char: str) -> bool:
    return char.isalnum() or char == "_" or char == "$"


@lru_cache(maxsize=64)
def known_name_index(names: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Names that are not plain words (``days in weekend``, ``Date-Time``), by first character,
    longest first, so the tokenizer can read each as one name."""
    index: dict[str, list[str]] = {}
    for name in names:
        if name and not all(_is_name_part(char) for char in name):
            index.setdefault(name[0], []).append(name)
    return {first: tuple(sorted(found, key=len, reverse=True)) for first, found in index.items()}


def tokenize(
    source: str, operators: tuple[str, ...], quotes: str = '"',
    known: dict[str, tuple[str, ...]] | None = None,
) -> list[Token]:
    """Split ``source`` into tokens; raises ExpressionError naming the bad character and its position.

    ``known`` (from ``known_name_index``) lists names with spaces or symbols; where one appears it
    becomes a single ``qname`` token, so ``for d in days in weekend`` reads the name
    ``days in weekend``.
    """
    tokens: list[Token] = []
    i, size = 0, len(source)
    append = tokens.append
    by_first = _operator_index(operators)
    while i < size:
        char = source[i]
        if known and char in known:
            name = _known_at(source, i, known[char])
            if name is not None:
                append(Token("qname", name, i))
                i += len(name)
                continue
        if char.isspace():
            i += 1
        elif char.isdigit() or (
            char == "." and i + 1 < size and source[i + 1].isdigit() and not _ends_value(tokens)
        ):
            match = _NUMBER.match(source, i)
            assert match is not None
            append(Token("number", match.group(), i))
            i = match.end()
        elif _is_name_start(char):
            match = _NAME.match(source, i)
            assert match is not None
            append(Token("name", match.group(), i))
            i = match.end()
        elif char in quotes:
            start = i
            text, i = _read_string(source, i)
            append(Token("string", text, start))
        elif char == "`" and '"' in quotes:
            end = source.find("`", i + 1)
            if end < 0:
                raise ExpressionError("unterminated `quoted name`", source, i)
            append(Token("qname", source[i + 1 : end], i))
            i = end + 1
        elif char == "/" and source.startswith("//", i) and "//" not in operators:
            end = source.find("\n", i)
            i = size if end < 0 else end
        elif char == "/" and source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise ExpressionError("unterminated comment", source, i)
            i = end + 2
        else:
            if operators is FEEL_OPERATORS and source.startswith("==", i):
                raise ExpressionError("FEEL compares with a single '=' (not '==')", source, i)
            for op in by_first.get(char, ()):
                if source.startswith(op, i):
                    append(Token("op", op, i))
                    i += len(op)
                    break
            else:
                hint = _FEEL_HINTS.get(source[i : i + 2]) or _FEEL_HINTS.get(char)
                if operators is FEEL_OPERATORS and hint:
                    raise ExpressionError(f"unexpected {char!r}: {hint}", source, i)
                raise ExpressionError(f"unexpected character {char!r}", source, i)
    append(Token("end", "", size))
    return tokens


def _known_at(source: str, start: int, candidates: tuple[str, ...]) -> str | None:
    if start and _is_name_part(source[start - 1]):
        return None  # inside a word
    for name in candidates:
        end = start + len(name)
        if source.startswith(name, start) and (end == len(source) or not _is_name_part(source[end])):
            return name
    return None


def _ends_value(tokens: list[Token]) -> bool:
    if not tokens:
        return False
    last = tokens[-1]
    return last.kind != "op" or last.text in (")", "]", "}")


def _read_string(source: str, start: int) -> tuple[str, int]:
    quote = source[start]
    parts: list[str] = []
    i, size = start + 1, len(source)
    while i < size:
        char = source[i]
        if char == quote:
            return "".join(parts), i + 1
        if char == "\\" and i + 1 < size:
            code = source[i + 1]
            if code == "u" and i + 6 <= size:
                hex_text = source[i + 2 : i + 6]
                try:
                    parts.append(chr(int(hex_text, 16)))
                except ValueError as err:
                    raise ExpressionError(f"bad escape \\u{hex_text}", source, i) from err
                i += 6
                continue
            if code == "U" and i + 8 <= size:
                hex_text = source[i + 2 : i + 8]
                try:
                    parts.append(chr(int(hex_text, 16)))
                except ValueError as err:
                    raise ExpressionError(f"bad escape \\U{hex_text}", source, i) from err
                i += 8
                continue
            parts.append(_ESCAPES.get(code, "\\" + code))
            i += 2
            continue
        parts.append(char)
        i += 1
    raise ExpressionError("unterminated string", source, start)
