"""JSON text for the database: the hot path's encoder.

A workflow step writes its engine state, variables, history entries and outbox
events as JSON text, about a dozen small documents per step; the standard
library's encoder sets up a new C encoder for every call, which for documents
this small cost more than the encoding itself. ``orjson`` writes the same JSON
values in a fraction of the time.

The text differs only where JSON does not care: non-ASCII characters are
written as UTF-8 rather than ``\\u`` escapes. What ``orjson`` refuses is
written by the standard library as before (integers beyond 64 bits, dict keys
that are not text). ``NaN`` and infinities have no JSON form: the engine
refuses them in variables (``engine/runtime/values.py``), elsewhere they are
written as ``null`` (the standard library wrote ``NaN``, which PostgreSQL's
``json`` type rejects). Reading stays with the standard library: ``orjson``
reads integers beyond 64 bits as floats.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_std_dumps = json.JSONEncoder(separators=(",", ":")).encode


def dumps(value: Any) -> str:
    """``value`` as compact JSON text."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one: big ints, non-text keys ...
        return _std_dumps(value)
