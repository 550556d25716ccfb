"""The sandbox: how much one expression may be, nest and do.

Every limit is checked while parsing or evaluating and raises
``ExpressionLimitExceeded`` (never hangs): the source length, the nesting
depth of the syntax tree, the evaluation steps of one ``evaluate`` call
(loop iterations of for/some/every and filters, and function calls), and the
size of any string or list an expression builds.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded

MAX_SOURCE_LENGTH = 20_000
MAX_NESTING = 100
MAX_STEPS = 1_000_000
MAX_SIZE = 1_000_000
#: Regular expressions (``matches``, ``replace``, ``split``): pattern and input caps.
MAX_PATTERN_LENGTH = 500
MAX_REGEX_INPUT = 10_000


class Run:
    """The budget of one evaluation: a step counter shared by every nested scope."""

    __slots__ = ("limit", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.limit = MAX_STEPS

    def tick(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limit:
            raise ExpressionLimitExceeded(f"evaluation exceeded {self.limit} steps (loops, filters, calls)")


def check_size(value: Any) -> Any:
    """Refuse strings and lists longer than MAX_SIZE; returns ``value`` unchanged otherwise."""
    if isinstance(value, (str, list)) and len(value) > MAX_SIZE:
        raise ExpressionLimitExceeded(f"an expression built a value of {len(value)} items (limit {MAX_SIZE})")
    return value


#: The budget of the evaluation running in this thread or task, for work done inside built-ins
#: (deep comparisons, string(), flatten) that no loop counts. Set only for expressions with calls.
CURRENT_RUN: ContextVar[Run | None] = ContextVar("feel_run", default=None)


def charge(count: int) -> None:
    """Spend ``count`` steps of the current evaluation's budget (if one is running)."""
    if count:
        run = CURRENT_RUN.get()
        if run is not None:
            run.tick(count)


def remaining_steps() -> int:
    """How many steps the current evaluation may still spend (MAX_SIZE outside an evaluation)."""
    run = CURRENT_RUN.get()
    return MAX_SIZE if run is None else max(run.limit - run.steps, 0)
