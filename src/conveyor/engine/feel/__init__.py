"""Conveyor's FEEL interpreter (DMN 1.3 Friendly Enough Expression Language).

Also reads the Camunda 7 JUEL subset (``${amount > 100}``) and simple Python
conditions (SpiffWorkflow models) into the same tree, evaluated with FEEL's
semantics. Nothing in an expression is executed as Python: the source is
tokenized and parsed by hand, compiled into closures over a fixed table of
built-in functions, and bounded in length, nesting, steps and value size
(``limits``). See docs/feel.md.
"""

from conveyor.engine.feel.api import (
    FeelExpression,
    UnaryTests,
    compile_expression,
    compile_unary_tests,
    evaluate,
)
from conveyor.engine.feel.values import FeelFunction, Range, YearsMonthsDuration

__all__ = [
    "FeelExpression",
    "FeelFunction",
    "Range",
    "UnaryTests",
    "YearsMonthsDuration",
    "compile_expression",
    "compile_unary_tests",
    "evaluate",
]
