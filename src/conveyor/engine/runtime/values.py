"""Variable values in saved state: plain JSON data that round-trips exactly.

JSON has no decimals, dates or durations, so those become one-key objects with a
``$`` tag (``{"$d": "10.50"}``, ``{"$dt": "2026-01-01T09:00:00+00:00"}``). A user's
own object whose keys start with ``$`` is wrapped in ``{"$o": ...}`` so it cannot be
mistaken for a tag. Anything else (a Python object a handler returned) is refused
with the variable's name, because it could not be restored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from conveyor.engine.errors import InstanceError
from conveyor.engine.feel.values import YearsMonthsDuration

_PLAIN = (str, int, bool, type(None))
_INFINITIES = (float("inf"), float("-inf"))


class UnsaveableValue(InstanceError):
    """A variable holds a value that saved state cannot represent."""

    code = "unsaveable_variable"


def encode(value: Any, name: str = "?") -> Any:
    """``value`` as JSON-compatible data (see the module docstring for the tags)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):
        if value != value or value in _INFINITIES:
            raise UnsaveableValue(
                f"variable {name!r} is {value!r}, which JSON cannot hold; use a number, null or text"
            )
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, dict):
        encoded = {}
        tagged = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnsaveableValue(f"variable {name!r} has a non-text key {key!r}; use text keys")
            tagged = tagged or key.startswith("$")
            encoded[key] = encode(item, name)
        return {"$o": encoded} if tagged else encoded
    if isinstance(value, list | tuple):
        return [encode(item, name) for item in value]
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, YearsMonthsDuration):
        return {"$ym": value.months}
    raise UnsaveableValue(
        f"variable {name!r} holds a {type(value).__name__}, which cannot be saved; "
        "use text, numbers, booleans, dates, lists or objects"
    )


def decode(data: Any) -> Any:
    """The inverse of ``encode``."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        ((key, raw),) = data.items()
        if key.startswith("$"):
            return _decode_tag(key, raw)
    return {key: decode(item) for key, item in data.items()}


def _decode_tag(tag: str, raw: Any) -> Any:
    if tag == "$d":
        return Decimal(raw)
    if tag == "$o":
        return {key: decode(item) for key, item in raw.items()}
    if tag == "$dt":
        return dt.datetime.fromisoformat(raw)
    if tag == "$date":
        return dt.date.fromisoformat(raw)
    if tag == "$time":
        return dt.time.fromisoformat(raw)
    if tag == "$td":
        return dt.timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
    if tag == "$ym":
        return YearsMonthsDuration(raw)
    raise InstanceError(f"saved state holds an unknown value tag {tag!r}; was it written by a newer version?")


def encode_vars(variables: dict[str, Any]) -> dict[str, Any]:
    return {name: encode(value, name) for name, value in variables.items()}


def decode_vars(data: dict[str, Any]) -> dict[str, Any]:
    return {name: decode(value) for name, value in data.items()}
