"""Turning the expression texts of a model into compiled ``Evaluable`` objects.

The FEEL interpreter (``conveyor.engine.feel``) compiles every dialect we accept:
FEEL (plain or Camunda 8's ``=expr``), Camunda 7 ``${...}``/``#{...}`` JUEL
comparisons, and the simple Python comparisons of SpiffWorkflow models. This
module decides which dialect a text is written in and adds the few composite
values Camunda 7 models use: text with embedded ``${...}`` parts, lists and maps
of values, and plain variable references (``camunda:in source="x"``).
Nothing here is ever executed as Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.engine.bpmn.model import Const, Evaluable
from conveyor.engine.bpmn.xpath import xpath_to_feel
from conveyor.engine.errors import ExpressionError


def compile_text(text: str, *, dialect: str = "auto") -> Evaluable:
    """Compile one expression with the FEEL interpreter (raises ``ExpressionError``)."""
    from conveyor.engine.feel import compile_expression

    try:
        compiled: Evaluable = compile_expression(text, dialect=dialect)
    except ImportError as err:  # pragma: no cover - a dialect of the interpreter is not installed
        raise ExpressionError(f"the {dialect} expression dialect is not available", text) from err
    return compiled


def compile_condition(
    text: str, language: str | None = None, default_language: str | None = None
) -> Evaluable:
    """A ``conditionExpression``: FEEL, ``=FEEL``, ``${JUEL}``, Python comparisons (Spiff), or XPath.

    ``language`` is the expression's own attribute; ``default_language`` the file's
    ``expressionLanguage``. Texts are tried as FEEL/JUEL first, then as a Python
    comparison, then (when a language says XPath) as the XPath subset tools write.
    """
    source = text.strip()
    lang = (language or "").lower()
    if "python" in lang:
        return compile_text(source, dialect="python")
    if lang and not any(word in lang for word in ("feel", "juel", "xpath", "omg.org", "expression")):
        raise ExpressionError(f"conditions written in {language!r} are not supported; use FEEL", source)
    marked = source.startswith(("=", "${", "#{"))
    try:
        compiled = compile_text(source, dialect="auto")
    except ExpressionError as err:
        if marked:
            raise
        try:
            return compile_text(source, dialect="python")
        except ExpressionError:
            pass
        if "xpath" in lang or "xpath" in (default_language or "").lower():
            try:
                return _Rewritten(compile_text(xpath_to_feel(source), dialect="feel"), source)
            except ExpressionError:
                pass
        raise err from None
    return compiled if marked else prefer_python_comparison(source, compiled)


def prefer_python_comparison(source: str, feel: Evaluable) -> Evaluable:
    """An unmarked text FEEL reads with a multi-word name that is also a Python comparison is Python.

    ``not done`` is legal FEEL -- one variable named "not done" -- but a SpiffWorkflow
    model means Python's ``not done``; ``x and not y`` likewise. A real FEEL name with a
    space (``Vacation Approval = "Approved"``) is not valid Python, so it stays FEEL.
    """
    if not any(" " in name for name in names_of(feel)):
        return feel
    try:
        return compile_text(source, dialect="python")
    except ExpressionError:
        return feel


@dataclass(frozen=True, slots=True)
class _Rewritten:
    """An expression compiled from a rewritten text; ``source`` stays what the model says."""

    compiled: Evaluable
    source: str

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return self.compiled.evaluate(variables)

    @property
    def names(self) -> frozenset[str]:
        return names_of(self.compiled)


def names_of(*expressions: Evaluable) -> frozenset[str]:
    """The variable names a set of expressions reads (constants read none)."""
    found: set[str] = set()
    for expression in expressions:
        found.update(getattr(expression, "names", ()))
    return frozenset(found)


def _single_embedded(text: str) -> bool:
    """``${...}`` covering the whole text (not ``${a} and ${b}``)."""
    if not text.startswith(("${", "#{")) or not text.endswith("}"):
        return False
    end = _closing_brace(text, 2)
    return end == len(text) - 1


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start`` (-1 if none)."""
    depth = 0
    quote: str | None = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def compile_value(text: str) -> Evaluable:
    """An attribute or parameter value: ``=FEEL`` / ``${JUEL}`` expressions, templates, or a Const."""
    source = text.strip()
    if source.startswith("=") or _single_embedded(source):
        return compile_text(source, dialect="auto")
    if "${" in source or "#{" in source:
        return Template.parse(source)
    return Const(text, source=text)


@dataclass(frozen=True, slots=True)
class VariableRef:
    """The value of one variable by name (``camunda:in source="orderId"``); missing gives ``None``."""

    name: str
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return variables.get(self.name)

    @property
    def names(self) -> frozenset[str]:
        return frozenset({self.name})


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class Template:
    """Camunda 7 text with embedded expressions: ``Order ${orderId} is late``."""

    parts: tuple[str | Evaluable, ...]
    source: str = ""

    @classmethod
    def parse(cls, text: str) -> Template:
        parts: list[str | Evaluable] = []
        i = 0
        while i < len(text):
            starts = [p for p in (text.find("${", i), text.find("#{", i)) if p >= 0]
            if not starts:
                parts.append(text[i:])
                break
            begin = min(starts)
            end = _closing_brace(text, begin + 2)
            if end < 0:
                raise ExpressionError("an embedded expression is not closed with '}'", text, begin)
            if begin > i:
                parts.append(text[i:begin])
            parts.append(compile_text(text[begin : end + 1], dialect="auto"))
            i = end + 1
        return cls(tuple(parts), source=text)

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return "".join(
            part if isinstance(part, str) else _as_text(part.evaluate(variables)) for part in self.parts
        )

    @property
    def names(self) -> frozenset[str]:
        return names_of(*(p for p in self.parts if not isinstance(p, str)))


@dataclass(frozen=True, slots=True)
class ListValue:
    """A ``camunda:list`` whose items may be expressions."""

    items: tuple[Evaluable, ...]
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return [item.evaluate(variables) for item in self.items]

    @property
    def names(self) -> frozenset[str]:
        return names_of(*self.items)


@dataclass(frozen=True, slots=True)
class MapValue:
    """A ``camunda:map`` whose values may be expressions."""

    entries: tuple[tuple[str, Evaluable], ...]
    source: str = ""

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return {key: value.evaluate(variables) for key, value in self.entries}

    @property
    def names(self) -> frozenset[str]:
        return names_of(*(value for _key, value in self.entries))


_STATEMENT = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?:[-+*/%]|//|\*\*)?=(?!=)"
    r"|print\s*\(|import\s|from\s+\w+\s+import\s|def\s|for\s.*:\s*$|while\s|if\s.*:\s*$|return\b)"
)


def looks_like_python_statements(text: str) -> bool:
    """True for Python scripts (``x = 1``, ``print(x)``, several lines): we never run those."""
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.strip().startswith("#")]
    return len(lines) > 1 or any(_STATEMENT.match(line) for line in lines)


def strip_quotes(text: str) -> str:
    """SpiffWorkflow writes literal values as quoted strings: ``"PT1M"`` -> ``PT1M``."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
