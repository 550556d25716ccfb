"""FEEL's ``string(x)``: the text form of any value, bounded in size.

Lists and contexts can share parts (``[p, p]`` twice over doubles the text
each time), so the writer counts characters as it goes and stops at the
sandbox's size limit instead of building a gigantic string first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel import limits
from conveyor.engine.feel.temporal import format_duration, format_temporal
from conveyor.engine.feel.values import (
    NUMBER_CONTEXT,
    Range,
    YearsMonthsDuration,
    is_number,
    kind,
    to_decimal,
)


def to_feel_string(value: Any) -> str | None:
    """The text form of ``value`` (None stays None); strings inside lists and contexts are quoted."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if kind(value) == "unknown":
        return None  # not a FEEL value: its Python text is none of FEEL's business
    parts: list[str] = []
    budget = [limits.MAX_SIZE]
    try:
        _write(value, parts, budget)
    finally:
        limits.charge(len(parts))
    return "".join(parts)


def _write(value: Any, out: list[str], budget: list[int]) -> None:
    if isinstance(value, (list, tuple)):
        _emit("[", out, budget)
        for index, item in enumerate(value):
            if index:
                _emit(", ", out, budget)
            _write_inner(item, out, budget)
        _emit("]", out, budget)
    elif isinstance(value, dict):
        _emit("{", out, budget)
        for index, (key, item) in enumerate(value.items()):
            _emit((", " if index else "") + f"{key}: ", out, budget)
            _write_inner(item, out, budget)
        _emit("}", out, budget)
    elif isinstance(value, Range):
        _emit("[" if value.start_included else "(", out, budget)
        _write_inner(value.start, out, budget)
        _emit("..", out, budget)
        _write_inner(value.end, out, budget)
        _emit("]" if value.end_included else ")", out, budget)
    else:
        _emit(_scalar(value), out, budget)


def _write_inner(value: Any, out: list[str], budget: list[int]) -> None:
    if value is None:
        _emit("null", out, budget)
    elif isinstance(value, str):
        _emit('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"', out, budget)
    else:
        _write(value, out, budget)


def _emit(text: str, out: list[str], budget: list[int]) -> None:
    budget[0] -= len(text)
    if budget[0] < 0:
        raise ExpressionLimitExceeded(f"string() would build more than {limits.MAX_SIZE} characters")
    out.append(text)


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        number = to_decimal(value)
        assert number is not None
        return format(number.normalize(NUMBER_CONTEXT), "f")
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, (dt.date, dt.time)):
        return format_temporal(value)
    if isinstance(value, YearsMonthsDuration):
        return str(value)
    return "function" if kind(value) == "function" else "null"
