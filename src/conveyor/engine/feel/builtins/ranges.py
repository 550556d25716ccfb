"""Range functions (DMN 1.3 10.3.4.9): ``before``, ``after``, ``meets``, ``met by``,
``overlaps``, ``overlaps before``, ``overlaps after``, ``finishes``, ``finished by``,
``includes``, ``during``, ``starts``, ``started by``, ``coincides``.

Each takes points (numbers, strings, dates...) or ranges as DMN's table says;
comparing values of different types gives null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.operators import equal, less
from conveyor.engine.feel.values import Range


class _Mismatch(Exception):
    """Two values that FEEL cannot compare: the function's result is null."""


def _lt(a: Any, b: Any) -> bool:
    result = less(a, b)
    if result is None:
        raise _Mismatch
    return result


def _eq(a: Any, b: Any) -> bool:
    result = equal(a, b)
    if result is None or a is None or b is None:
        raise _Mismatch
    return result


def _safe(function: Callable[..., bool]) -> Callable[..., bool | None]:
    def run(*args: Any) -> bool | None:
        if any(arg is None for arg in args):
            return None
        try:
            return function(*args)
        except (_Mismatch, AttributeError):  # AttributeError: a point where a range is required
            return None

    run.__doc__ = function.__doc__
    return run


def _points_or_ranges(a: Any, b: Any) -> tuple[bool, bool]:
    return isinstance(a, Range), isinstance(b, Range)


@builtin("before", ("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
@_safe
def before(a: Any, b: Any) -> bool:
    a_range, b_range = _points_or_ranges(a, b)
    if not a_range and not b_range:
        return _lt(a, b)
    if not a_range:
        return _lt(a, b.start) or (_eq(a, b.start) and not b.start_included)
    if not b_range:
        return _lt(a.end, b) or (_eq(a.end, b) and not a.end_included)
    return _lt(a.end, b.start) or (
        (not a.end_included or not b.start_included) and _eq(a.end, b.start)
    )


@builtin("after", ("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
@_safe
def after(a: Any, b: Any) -> bool:
    a_range, b_range = _points_or_ranges(a, b)
    if not a_range and not b_range:
        return _lt(b, a)
    if not a_range:
        return _lt(b.end, a) or (_eq(a, b.end) and not b.end_included)
    if not b_range:
        return _lt(b, a.start) or (_eq(a.start, b) and not a.start_included)
    return _lt(b.end, a.start) or (
        (not b.end_included or not a.start_included) and _eq(b.end, a.start)
    )


@builtin("meets", ("range1", "range2"))
@_safe
def meets(a: Range, b: Range) -> bool:
    return a.end_included and b.start_included and _eq(a.end, b.start)


@builtin("met by", ("range1", "range2"))
@_safe
def met_by(a: Range, b: Range) -> bool:
    return a.start_included and b.end_included and _eq(a.start, b.end)


@builtin("overlaps", ("range1", "range2"))
@_safe
def overlaps(a: Range, b: Range) -> bool:
    ends_after_start = _lt(b.start, a.end) or (_eq(a.end, b.start) and a.end_included and b.start_included)
    starts_before_end = _lt(a.start, b.end) or (_eq(a.start, b.end) and a.start_included and b.end_included)
    return ends_after_start and starts_before_end


@builtin("overlaps before", ("range1", "range2"))
@_safe
def overlaps_before(a: Range, b: Range) -> bool:
    starts_first = _lt(a.start, b.start) or (
        _eq(a.start, b.start) and a.start_included and not b.start_included
    )
    reaches = _lt(b.start, a.end) or (_eq(a.end, b.start) and a.end_included and b.start_included)
    ends_first = _lt(a.end, b.end) or (_eq(a.end, b.end) and (not a.end_included or b.end_included))
    return starts_first and reaches and ends_first


@builtin("overlaps after", ("range1", "range2"))
@_safe
def overlaps_after(a: Range, b: Range) -> bool:
    return overlaps_before(b, a) is True


@builtin("finishes", ("point", "range"), ("range1", "range2"))
@_safe
def finishes(a: Any, b: Range) -> bool:
    if not isinstance(a, Range):
        return b.end_included and _eq(b.end, a)
    return (
        a.end_included == b.end_included
        and _eq(a.end, b.end)
        and (_lt(b.start, a.start) or (_eq(a.start, b.start) and (not a.start_included or b.start_included)))
    )


@builtin("finished by", ("range", "point"), ("range1", "range2"))
@_safe
def finished_by(a: Range, b: Any) -> bool:
    if not isinstance(b, Range):
        return a.end_included and _eq(a.end, b)
    return finishes(b, a) is True


@builtin("includes", ("range", "point"), ("range1", "range2"))
@_safe
def includes(a: Range, b: Any) -> bool:
    if not isinstance(b, Range):
        return (
            (_lt(a.start, b) and _lt(b, a.end))
            or (_eq(a.start, b) and a.start_included)
            or (_eq(a.end, b) and a.end_included)
        )
    starts_outside = _lt(a.start, b.start) or (
        _eq(a.start, b.start) and (a.start_included or not b.start_included)
    )
    ends_outside = _lt(b.end, a.end) or (_eq(a.end, b.end) and (a.end_included or not b.end_included))
    return starts_outside and ends_outside


@builtin("during", ("point", "range"), ("range1", "range2"))
@_safe
def during(a: Any, b: Range) -> bool:
    return includes(b, a) is True


@builtin("starts", ("point", "range"), ("range1", "range2"))
@_safe
def starts(a: Any, b: Range) -> bool:
    if not isinstance(a, Range):
        return b.start_included and _eq(b.start, a)
    return (
        a.start_included == b.start_included
        and _eq(a.start, b.start)
        and (_lt(a.end, b.end) or (_eq(a.end, b.end) and (not a.end_included or b.end_included)))
    )


@builtin("started by", ("range", "point"), ("range1", "range2"))
@_safe
def started_by(a: Range, b: Any) -> bool:
    if not isinstance(b, Range):
        return a.start_included and _eq(a.start, b)
    return starts(b, a) is True


@builtin("coincides", ("point1", "point2"), ("range1", "range2"))
@_safe
def coincides(a: Any, b: Any) -> bool:
    a_range, b_range = _points_or_ranges(a, b)
    if a_range != b_range:
        raise _Mismatch
    if not a_range:
        return _eq(a, b)
    return (
        _eq(a.start, b.start)
        and _eq(a.end, b.end)
        and a.start_included == b.start_included
        and a.end_included == b.end_included
    )
