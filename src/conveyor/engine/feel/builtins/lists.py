"""List functions (DMN 1.3 10.3.4.4 and 10.3.4.5).

Functions that take "a list or several arguments" (``min``, ``max``, ``sum``,
``all``...) accept both ``min([1, 2])`` and ``min(1, 2)``. Elements are
compared with FEEL's equality, so ``list contains([1], 1.0)`` is true.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from conveyor.engine.errors import ExpressionLimitExceeded
from conveyor.engine.feel import limits
from conveyor.engine.feel.builtins.registry import Builtin, builtin
from conveyor.engine.feel.operators import add, equal, less
from conveyor.engine.feel.values import NUMBER_CONTEXT, FeelFunction, kind, to_decimal

VARIADIC = ("list",)
_MAX_COMPARED = 2_000


def _items(args: tuple[Any, ...]) -> list[Any] | None:
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    if not args or (len(args) == 1 and args[0] is None):
        return None
    return list(args)


def _numbers(args: tuple[Any, ...]) -> list[Decimal] | None:
    items = _items(args)
    if items is None:
        return None
    numbers = [to_decimal(item) for item in items]
    return None if any(number is None for number in numbers) else numbers  # type: ignore[return-value]


def contains_equal(items: list[Any], value: Any) -> bool:
    return any(equal(item, value) is True for item in items)


def _sorted(items: list[Any]) -> list[Any] | None:
    if not items:
        return []
    kinds = {kind(item) for item in items}
    if len(kinds) != 1 or less(items[0], items[0]) is None:
        return None
    if kinds == {"number"}:
        return sorted(items, key=lambda item: to_decimal(item) or 0)
    return sorted(items)


@builtin("list contains", ("list", "element"))
def listcontains_equal(items: Any, value: Any) -> bool | None:
    return contains_equal(items, value) if isinstance(items, list) else None


@builtin("count", ("list",))
def count(items: Any) -> Decimal | None:
    return Decimal(len(items)) if isinstance(items, list) else None


@builtin("min", VARIADIC, variadic=True)
def minimum(*args: Any) -> Any:
    items = _items(args)
    ordered = _sorted(items) if items else None
    return ordered[0] if ordered else None


@builtin("max", VARIADIC, variadic=True)
def maximum(*args: Any) -> Any:
    items = _items(args)
    ordered = _sorted(items) if items else None
    return ordered[-1] if ordered else None


@builtin("sum", VARIADIC, variadic=True)
def total(*args: Any) -> Any:
    items = _items(args)
    if not items:
        return None
    result = items[0] if to_decimal(items[0]) is None else to_decimal(items[0])
    for item in items[1:]:
        result = add(result, item)
        if result is None:
            return None
    return result


@builtin("mean", VARIADIC, variadic=True)
def mean(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    return NUMBER_CONTEXT.divide(functools.reduce(NUMBER_CONTEXT.add, numbers), Decimal(len(numbers)))


@builtin("median", VARIADIC, variadic=True)
def median(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    ordered = sorted(numbers)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return NUMBER_CONTEXT.divide(NUMBER_CONTEXT.add(ordered[middle - 1], ordered[middle]), Decimal(2))


@builtin("stddev", VARIADIC, variadic=True)
def stddev(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers or len(numbers) < 2:
        return None
    average = NUMBER_CONTEXT.divide(functools.reduce(NUMBER_CONTEXT.add, numbers), Decimal(len(numbers)))
    squares = [NUMBER_CONTEXT.power(NUMBER_CONTEXT.subtract(x, average), 2) for x in numbers]
    variance = NUMBER_CONTEXT.divide(functools.reduce(NUMBER_CONTEXT.add, squares), Decimal(len(numbers) - 1))
    return NUMBER_CONTEXT.sqrt(variance)


@builtin("mode", VARIADIC, variadic=True)
def mode(*args: Any) -> list[Decimal] | None:
    numbers = _numbers(args)
    if numbers is None:
        return None
    counts: dict[Decimal, int] = {}
    for number in numbers:
        counts[number] = counts.get(number, 0) + 1
    top = max(counts.values(), default=0)
    return sorted(number for number, seen in counts.items() if seen == top)


@builtin("all", VARIADIC, variadic=True)
def all_true(*args: Any) -> bool | None:
    items = _items(args)
    if items is None:
        return None if args else True
    if any(item is False for item in items):
        return False
    return True if all(item is True for item in items) else None


@builtin("any", VARIADIC, variadic=True)
def any_true(*args: Any) -> bool | None:
    items = _items(args)
    if items is None:
        return None if args else False
    if any(item is True for item in items):
        return True
    return False if all(item is False for item in items) else None


def _whole(value: Any) -> int | None:
    number = to_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _index(items: list[Any], position: Any) -> int | None:
    """A FEEL 1-based (or negative, from the end) position as a Python index; None if outside."""
    whole = _whole(position)
    if whole is None or not whole or abs(whole) > len(items):
        return None
    return whole - 1 if whole > 0 else len(items) + whole


@builtin("sublist", ("list", "start position", "length"))
def sublist(items: Any, start: Any, length: Any = None) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    begin = _index(items, start)
    if begin is None:
        return None
    if length is None:
        return items[begin:]
    size = _whole(length)
    if size is None or size < 0 or begin + size > len(items):
        return None
    return items[begin : begin + size]


@builtin("append", ("list", "item"), variadic=True)
def append(items: Any, *values: Any) -> list[Any] | None:
    return [*items, *values] if isinstance(items, list) else None


@builtin("concatenate", VARIADIC, variadic=True)
def concatenate(*lists: Any) -> list[Any] | None:
    if not all(isinstance(items, list) for items in lists):
        return None
    return [item for items in lists for item in items]


@builtin("insert before", ("list", "position", "newItem"))
def insert_before(items: Any, position: Any, value: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    at = _index(items, position)
    return None if at is None else [*items[:at], value, *items[at:]]


@builtin("remove", ("list", "position"))
def remove(items: Any, position: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    at = _index(items, position)
    return None if at is None else items[:at] + items[at + 1 :]


@builtin("reverse", ("list",))
def reverse(items: Any) -> list[Any] | None:
    return items[::-1] if isinstance(items, list) else None


@builtin("index of", ("list", "match"))
def index_of(items: Any, value: Any) -> list[Decimal] | None:
    if not isinstance(items, list):
        return None
    return [Decimal(i) for i, item in enumerate(items, start=1) if equal(item, value) is True]


def identity(value: Any) -> Any:
    """A hashable key equal for values FEEL calls equal (``1`` and ``1.0``, not ``true`` and ``1``);
    None for lists and contexts, which are compared item by item instead."""
    number = to_decimal(value)
    if number is not None:
        return ("number", number)
    if isinstance(value, (list, tuple, dict)):
        return None
    try:
        hash(value)
    except TypeError:
        return None
    return (kind(value), value)


@builtin("distinct values", ("list",))
def distinct_values(items: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    result: list[Any] = []
    seen: set[Any] = set()
    others: list[Any] = []  # lists and contexts: compared by FEEL equality (rare, so quadratic is fine)
    for item in items:
        key = identity(item)
        if key is not None:
            if key not in seen:
                seen.add(key)
                result.append(item)
        elif not contains_equal(others, item):
            if len(others) > _MAX_COMPARED:
                raise ExpressionLimitExceeded(f"distinct values over {_MAX_COMPARED}+ lists or contexts")
            others.append(item)
            result.append(item)
    return result


@builtin("union", VARIADIC, variadic=True)
def union(*lists: Any) -> list[Any] | None:
    joined = concatenate(*lists)
    return None if joined is None else distinct_values(joined)


@builtin("flatten", ("list",))
def flatten(items: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    result: list[Any] = []
    stack = [iter(items)]
    visits = 0  # shared sub-lists can make a small value flatten huge: count every element visited
    while stack:
        for item in stack[-1]:
            visits += 1
            if visits > limits.MAX_SIZE:
                raise ExpressionLimitExceeded(f"flatten visited more than {limits.MAX_SIZE} elements")
            if isinstance(item, list):
                if len(stack) > limits.MAX_NESTING:
                    raise ExpressionLimitExceeded(f"flatten met lists nested over {limits.MAX_NESTING} deep")
                stack.append(iter(item))
                break
            result.append(item)
        else:
            stack.pop()
    limits.charge(visits)
    return result


@builtin("product", VARIADIC, variadic=True)
def product(*args: Any) -> Decimal | None:
    numbers = _numbers(args)
    if not numbers:
        return None
    return functools.reduce(NUMBER_CONTEXT.multiply, numbers)


@builtin("sort", ("list", "precedes"))
def sort(items: Any, precedes: Callable[[Any, Any], Any] | None = None) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    if precedes is None:
        return _sorted(items)
    if not isinstance(precedes, (FeelFunction, Builtin)):
        return None  # only FEEL functions are called, never a Python callable from the variables

    def compare(a: Any, b: Any) -> int:
        if precedes(a, b) is True:
            return -1
        return 1 if precedes(b, a) is True else 0

    return sorted(items, key=functools.cmp_to_key(compare))


@builtin("is empty", ("list",))
def is_empty(items: Any) -> bool | None:
    return not items if isinstance(items, list) else None
