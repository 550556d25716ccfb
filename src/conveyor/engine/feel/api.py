"""Compiling and evaluating expressions: the engine's one entry point to FEEL.

``compile_expression`` parses once and caches by source text (a bounded LRU),
so a condition evaluated for every token of every instance is parsed once per
process. Evaluating is a call into pre-built closures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from conveyor.engine.errors import EngineError, ExpressionError, ExpressionLimitExceeded
from conveyor.engine.feel import nodes as n
from conveyor.engine.feel.builtins import BUILTINS
from conveyor.engine.feel.compiler import Compiler
from conveyor.engine.feel.limits import CURRENT_RUN, MAX_SOURCE_LENGTH, Run
from conveyor.engine.feel.parser import FeelParser
from conveyor.engine.feel.unary import compile_test

DIALECTS = ("auto", "feel", "juel", "python")
class _Uncounted(Run):
    """The budget handed to expressions without loops, filters or calls, which never spend it;
    shared by all their evaluations, so it must never fill up."""

    __slots__ = ()

    def tick(self, count: int = 1) -> None:
        self.steps = 0


_UNCOUNTED = _Uncounted()
_MULTI_WORD = frozenset(name for name in BUILTINS if " " in name)
_NO_NAMES: frozenset[str] = frozenset()


class FeelExpression:
    """A compiled expression; ``evaluate`` may be called any number of times, from any thread."""

    __slots__ = ("_fn", "_known", "_requested", "_steps", "dialect", "names", "source", "warnings")

    def __init__(self, source: str, dialect: str, fn: Callable[[Mapping[str, Any], Run], Any],
                 names: frozenset[str], requested: str = "auto", counts_steps: bool = True,
                 warnings: tuple[str, ...] = ()) -> None:
        self.source = source
        #: Doubts a model validator can show (unknown function or parameter names).
        self.warnings = warnings
        self._steps = counts_steps
        self.dialect = dialect  # the dialect it was read in: "feel", "juel" or "python"
        self._requested = requested
        self._known: frozenset[str] = frozenset()
        self.names = names
        self._fn = fn

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The value of the expression over ``variables``; FEEL type errors give None."""
        if self._steps:
            return self._counted(variables)
        try:
            return self._fn(variables, _UNCOUNTED)
        except ExpressionError as err:
            if err.source is None:
                raise type(err)(err.message, self.source) from err
            raise
        except EngineError:
            raise  # e.g. a DecisionError from a business knowledge model the expression called
        except RecursionError as err:
            raise ExpressionLimitExceeded("evaluation nested too deeply", self.source) from err
        except Exception as err:
            raise ExpressionError(f"could not evaluate ({type(err).__name__}: {err})", self.source) from err

    def _counted(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate with a fresh step budget that built-ins can charge too."""
        run = Run()
        token = CURRENT_RUN.set(run)
        try:
            return self._fn(variables, run)
        except ExpressionError as err:
            if err.source is None:
                raise type(err)(err.message, self.source) from err
            raise
        except EngineError:
            raise
        except RecursionError as err:
            raise ExpressionLimitExceeded("evaluation nested too deeply", self.source) from err
        except Exception as err:
            raise ExpressionError(f"could not evaluate ({type(err).__name__}: {err})", self.source) from err
        finally:
            CURRENT_RUN.reset(token)

    def __repr__(self) -> str:
        return f"FeelExpression({self.source!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeelExpression):
            return NotImplemented
        return (self.source, self.dialect) == (other.source, other.dialect)

    def __hash__(self) -> int:
        return hash((self.source, self.dialect))

    def __reduce__(self) -> tuple[Any, tuple[str, str, frozenset[str]]]:
        """Pickled as its source: unpickling compiles it again (closures cannot be pickled)."""
        return (_restore_expression, (self.source, self._requested, self._known))


class UnaryTests:
    """Compiled DMN input entry: ``matches(input, variables)`` is True when the rule applies."""

    __slots__ = ("_known", "_test", "names", "source", "warnings")

    def __init__(self, source: str, test: Callable[[Any, Mapping[str, Any], Run], bool | None],
                 names: frozenset[str]) -> None:
        self.source = source
        self.names = names
        self._test = test
        self._known: frozenset[str] = frozenset()
        #: Doubts a model validator can show (as for ``FeelExpression.warnings``).
        self.warnings: tuple[str, ...] = ()

    def matches(self, input_value: Any, variables: Mapping[str, Any]) -> bool:
        try:
            return self._test(input_value, variables, Run()) is True
        except ExpressionError as err:
            if err.source is None:
                raise type(err)(err.message, self.source) from err
            raise
        except EngineError:
            raise  # e.g. a DecisionError from a business knowledge model the expression called
        except RecursionError as err:
            raise ExpressionLimitExceeded("evaluation nested too deeply", self.source) from err
        except Exception as err:
            raise ExpressionError(f"could not evaluate ({type(err).__name__}: {err})", self.source) from err

    def __repr__(self) -> str:
        return f"UnaryTests({self.source!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnaryTests):
            return NotImplemented
        return self.source == other.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __reduce__(self) -> tuple[Any, tuple[str, frozenset[str]]]:
        return (_restore_tests, (self.source, self._known))


def _check_length(text: str) -> None:
    if len(text) > MAX_SOURCE_LENGTH:
        raise ExpressionLimitExceeded(
            f"expression is {len(text)} characters long (limit {MAX_SOURCE_LENGTH})"
        )


def detect_dialect(text: str) -> tuple[str, str]:
    """The dialect of ``text`` under "auto", and the text to parse (same length, so positions hold)."""
    stripped = text.strip()
    if stripped.startswith("="):
        return "feel", text.replace("=", " ", 1)
    if stripped.startswith(("${", "#{")) and stripped.endswith("}"):
        return "juel", text
    return "feel", text


def _parse(text: str, dialect: str, known: frozenset[str]) -> tuple[str, n.Node, list[str]]:
    if dialect not in DIALECTS:
        raise ExpressionError(f"unknown expression dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    if dialect == "auto":
        dialect, text = detect_dialect(text)
    if dialect == "juel":
        from conveyor.engine.feel.juel import parse_juel

        return dialect, parse_juel(text), []
    if dialect == "python":
        from conveyor.engine.feel.python_conditions import parse_python

        return dialect, parse_python(text), []
    parser = FeelParser(text, _MULTI_WORD, known)
    return dialect, parser.parse_expression(), parser.warnings


@lru_cache(maxsize=4096)
def _compile(text: str, dialect: str, known: frozenset[str]) -> FeelExpression:
    _check_length(text)
    try:
        used, tree, warnings = _parse(text, dialect, known)
        compiler = Compiler(text)
        fn = compiler.compile(tree)
    except RecursionError as err:
        raise ExpressionLimitExceeded("expression nests too deeply", text) from err
    expression = FeelExpression(text, used, fn, frozenset(compiler.names), dialect, compiler.counts_steps,
                                tuple(warnings + compiler.warnings))
    expression._known = known
    return expression


def compile_expression(
    text: str, *, dialect: str = "auto", known_names: Iterable[str] = ()
) -> FeelExpression:
    """Parse and compile ``text`` (cached); a syntax error names its position.

    ``known_names`` are variable names the caller knows (a DMN model's inputs and decisions); those
    with spaces, keywords or symbols (``days in weekend``, ``Date-Time``) are then read as one name.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    return _compile(text, dialect, frozenset(known_names) if known_names else _NO_NAMES)


def compile_unary_tests(text: str, *, known_names: Iterable[str] = ()) -> UnaryTests:
    """Compile a DMN input entry (cached); ``known_names`` as for ``compile_expression``."""
    if not isinstance(text, str):
        raise ExpressionError(f"unary tests must be text, not {type(text).__name__}")
    return _compile_tests(text, frozenset(known_names) if known_names else _NO_NAMES)


@lru_cache(maxsize=4096)
def _compile_tests(text: str, known: frozenset[str]) -> UnaryTests:
    _check_length(text)
    try:
        parser = FeelParser(text, _MULTI_WORD, known)
        tree = parser.parse_unary_tests()
        compiler = Compiler(text)
        test = compile_test(compiler, tree)
    except RecursionError as err:
        raise ExpressionLimitExceeded("unary tests nest too deeply", text) from err
    tests = UnaryTests(text, test, frozenset(compiler.names))
    tests.warnings = tuple(parser.warnings + compiler.warnings)
    tests._known = known
    return tests


def _restore_expression(source: str, dialect: str, known: frozenset[str] = frozenset()) -> FeelExpression:
    return compile_expression(source, dialect=dialect, known_names=known)


def _restore_tests(source: str, known: frozenset[str] = frozenset()) -> UnaryTests:
    return compile_unary_tests(source, known_names=known)


def evaluate(text: str, variables: Mapping[str, Any] | None = None, *, dialect: str = "auto") -> Any:
    """Compile (cached) and evaluate ``text`` in one call; names with spaces, keywords or symbols
    among the variables' keys are read as names."""
    variables = variables if variables is not None else {}
    known = [key for key in variables if isinstance(key, str) and not key.isidentifier()]
    return compile_expression(text, dialect=dialect, known_names=known).evaluate(variables)
