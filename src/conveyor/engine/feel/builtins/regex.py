r"""Regular expressions for ``matches``, ``replace`` and ``split``, made safe to run.

FEEL patterns follow XML Schema/XPath syntax, which Python's ``re`` reads for
the common cases. Python's ``re`` backtracks and has no timeout, so to keep a
model's pattern from hanging the engine: a pattern longer than
MAX_PATTERN_LENGTH, an input longer than MAX_REGEX_INPUT, a backreference or
a group holding a quantifier or an alternation that is itself repeated
(``(a+)+``, ``(a*)*``, ``(a|aa)+``) is refused: the function gives null. An
optional group (``(\d{3}-)?``) is fine.
"""

from __future__ import annotations

import re
from functools import lru_cache

from conveyor.engine.feel.limits import MAX_PATTERN_LENGTH, MAX_REGEX_INPUT

_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
#: A group that contains a quantifier or an alternation and is itself quantified.
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*(?:[+*}|])(?:[^()\\]|\\.)*\)\s*[+*{]")
_BACKREFERENCE = re.compile(r"\\[1-9]")


@lru_cache(maxsize=512)
def compile_pattern(pattern: str, flags: str | None = None) -> re.Pattern[str] | None:
    """The compiled pattern, or None when it is unsafe, malformed or uses unknown flags."""
    if len(pattern) > MAX_PATTERN_LENGTH or _NESTED.search(pattern) or _BACKREFERENCE.search(pattern):
        return None
    options = 0
    for flag in flags or "":
        if flag == "q":
            pattern = re.escape(pattern)
        elif flag in _FLAGS:
            options |= _FLAGS[flag]
        else:
            return None
    try:
        return re.compile(pattern, options)
    except re.error:
        return None


def usable_input(text: str) -> bool:
    return len(text) <= MAX_REGEX_INPUT


def python_replacement(replacement: str) -> str:
    """XPath's ``$1`` group references in Python's ``\\g<1>`` form (other text kept literally)."""
    out: list[str] = []
    i = 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\" and i + 1 < len(replacement):
            out.append(replacement[i + 1].replace("\\", "\\\\"))
            i += 2
        elif char == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            out.append(f"\\g<{replacement[i + 1 : j]}>")
            i = j
        else:
            out.append("\\\\" if char == "\\" else char)
            i += 1
    return "".join(out)
