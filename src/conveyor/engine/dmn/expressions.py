"""Compiling a DMN file's FEEL texts, turning every syntax error into a problem.

Decision tables hold many small texts (one per cell); each is compiled once
here, at load time. A text that does not compile becomes a ``Problem`` that
says where the cell is (rule number, column, the input's label) and the parser
carries on, so all bad cells are reported together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.engine.dmn.model import Expression, UnaryTests
from conveyor.engine.dmn.problems import ProblemLog, Where
from conveyor.engine.errors import ExpressionError
from conveyor.engine.feel import compile_expression, compile_unary_tests

#: expressionLanguage values that mean "the expression is FEEL" (any DMN version's URI, or a short name)
_FEEL_MARKERS = ("feel",)
_JUEL_MARKERS = ("juel",)
_PYTHON_MARKERS = ("python",)


@dataclass(frozen=True, slots=True)
class _Constant:
    """The value of an empty output cell or a value we already know."""

    value: Any
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return self.value


NULL_EXPRESSION: Expression = _Constant(None)

#: the name Camunda 7 gives the input value inside JUEL input entries, unless the input sets another
CAMUNDA_CELL_INPUT = "cellInput"


@dataclass(frozen=True, slots=True)
class JuelEntry:
    """A Camunda 7 input entry written as a JUEL condition (``${cellInput > 100}``): it matches
    when the condition is true, with the input value bound to ``cellInput`` (or the input's
    ``camunda:inputVariable``)."""

    expression: Expression

    def matches(self, input_value: Any, variables: Mapping[str, Any]) -> bool:
        return self.expression.evaluate(variables) is True


def is_juel(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith(("${", "#{")) and stripped.endswith("}")


def dialect_for(language: str | None, default: str = "auto") -> str | None:
    """The FEEL package's dialect for an ``expressionLanguage`` URI, or None if unsupported."""
    if not language:
        return default
    lowered = language.lower()
    if any(marker in lowered for marker in _FEEL_MARKERS):
        return "auto"
    if any(marker in lowered for marker in _JUEL_MARKERS):
        return "juel"
    if any(marker in lowered for marker in _PYTHON_MARKERS):
        return "python"
    return None


def split_top_level(text: str) -> list[str]:
    """Split a comma list (``"a", "b,c", [1..2]``) at the commas outside strings and brackets."""
    parts: list[str] = []
    depth = 0
    in_string = False
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
        index += 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


class Compiler:
    """Compiles texts for one file, logging problems instead of raising."""

    def __init__(self, log: ProblemLog) -> None:
        self.log = log

    def expression(self, text: str, where: Where, what: str, dialect: str = "auto") -> Expression | None:
        try:
            compiled: Expression = compile_expression(text, dialect=dialect)
        except ExpressionError as err:
            self.log.error(
                where,
                "dmn.expression_syntax",
                f"{what}: {err.message}",
                "fix the expression; FEEL strings need double quotes, names are case-sensitive",
            )
            return None
        return compiled

    def unary_tests(self, text: str, where: Where, what: str) -> UnaryTests | None:
        if is_juel(text):
            condition = self.expression(text, where, what, "juel")
            return JuelEntry(condition) if condition is not None else None
        try:
            compiled: UnaryTests = compile_unary_tests(text.strip() or "-")
        except ExpressionError as err:
            self.log.error(
                where,
                "dmn.unary_tests_syntax",
                f"{what}: {err.message}",
                'write unary tests such as < 10, [1..5], "a","b", not("x") or - for any value',
            )
            return None
        return compiled

    def value_list(self, text: str, where: Where, what: str) -> tuple[UnaryTests, ...]:
        """Each item of an ``outputValues`` list, compiled separately so its position gives a priority."""
        items = [self.unary_tests(part, where, f"{what}, value {part}") for part in split_top_level(text)]
        return tuple(item for item in items if item is not None)
