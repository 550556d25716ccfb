"""String functions: ``substring``, ``string length``, ``upper case``, ``lower case``,
``substring before/after``, ``replace``, ``contains``, ``starts with``, ``ends with``,
``matches``, ``split``, ``string join``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conveyor.engine.feel.builtins.regex import compile_pattern, python_replacement, usable_input
from conveyor.engine.feel.builtins.registry import builtin
from conveyor.engine.feel.values import to_decimal


def _whole(value: Any) -> int | None:
    number = to_decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


@builtin("substring", ("string", "start position", "length"), singletons=True)
def substring(text: Any, start: Any, length: Any = None) -> str | None:
    position = _whole(start)
    if not isinstance(text, str) or position is None or not position:
        return None
    begin = position - 1 if position > 0 else len(text) + position
    if length is None:
        return text[max(begin, 0) :]
    count = _whole(length)
    if count is None or count < 0:
        return None
    return text[max(begin, 0) : max(begin + count, 0)]


@builtin("string length", ("string",), singletons=True)
def string_length(text: Any) -> Decimal | None:
    return Decimal(len(text)) if isinstance(text, str) else None


@builtin("upper case", ("string",), singletons=True)
def upper_case(text: Any) -> str | None:
    return text.upper() if isinstance(text, str) else None


@builtin("lower case", ("string",), singletons=True)
def lower_case(text: Any) -> str | None:
    return text.lower() if isinstance(text, str) else None


@builtin("substring before", ("string", "match"), singletons=True)
def substring_before(text: Any, match: Any) -> str | None:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    found = text.find(match)
    return text[:found] if found >= 0 else ""


@builtin("substring after", ("string", "match"), singletons=True)
def substring_after(text: Any, match: Any) -> str | None:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    found = text.find(match)
    return text[found + len(match) :] if found >= 0 else ""


@builtin("contains", ("string", "match"), singletons=True)
def contains(text: Any, match: Any) -> bool | None:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    return match in text


@builtin("starts with", ("string", "match"), singletons=True)
def starts_with(text: Any, match: Any) -> bool | None:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    return text.startswith(match)


@builtin("ends with", ("string", "match"), singletons=True)
def ends_with(text: Any, match: Any) -> bool | None:
    if not isinstance(text, str) or not isinstance(match, str):
        return None
    return text.endswith(match)


@builtin("matches", ("input", "pattern", "flags"), singletons=True)
def matches(text: Any, pattern: Any, flags: Any = None) -> bool | None:
    if not isinstance(text, str) or not isinstance(pattern, str) or not usable_input(text):
        return None
    compiled = compile_pattern(pattern, flags if isinstance(flags, str) else None)
    return None if compiled is None else compiled.search(text) is not None


@builtin("replace", ("input", "pattern", "replacement", "flags"), singletons=True)
def replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    if not all(isinstance(value, str) for value in (text, pattern, replacement)) or not usable_input(text):
        return None
    compiled = compile_pattern(pattern, flags if isinstance(flags, str) else None)
    if compiled is None or compiled.match(""):
        return None  # XPath refuses a pattern that matches the empty string
    return compiled.sub(python_replacement(replacement), text)


@builtin("split", ("string", "delimiter"), singletons=True)
def split(text: Any, delimiter: Any) -> list[str] | None:
    if not isinstance(text, str) or not isinstance(delimiter, str) or not usable_input(text):
        return None
    compiled = compile_pattern(delimiter)
    if compiled is None or compiled.match(""):
        return None
    return compiled.split(text)


@builtin("string join", ("list", "delimiter", "prefix", "suffix"))
def string_join(items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str | None:
    if not isinstance(items, list) or not all(item is None or isinstance(item, str) for item in items):
        return None
    if not all(part is None or isinstance(part, str) for part in (delimiter, prefix, suffix)):
        return None
    joined = (delimiter or "").join(item for item in items if item is not None)
    return (prefix or "") + joined + (suffix or "")
