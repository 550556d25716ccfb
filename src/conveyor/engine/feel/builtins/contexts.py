"""Context functions: ``get value``, ``get entries``, ``context put``, ``context merge``, and
Camunda's ``get or else``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor.engine.feel.builtins.registry import builtin


@builtin("get value", ("m", "key"))
def get_value(context: Any, key: Any) -> Any:
    if not isinstance(context, Mapping) or not isinstance(key, str):
        return None
    return context.get(key)


@builtin("get entries", ("m",))
def get_entries(context: Any) -> list[dict[str, Any]] | None:
    if not isinstance(context, Mapping):
        return None
    return [{"key": key, "value": value} for key, value in context.items()]


@builtin("context put", ("context", "key", "value"), ("context", "keys", "value"))
def context_put(context: Any, key: Any, value: Any) -> dict[str, Any] | None:
    if not isinstance(context, Mapping):
        return None
    if isinstance(key, list):  # the nested form: context put(c, ["a", "b"], v)
        if not key or not all(isinstance(part, str) for part in key):
            return None
        if len(key) == 1:
            return context_put(context, key[0], value)
        inner = context.get(key[0], {})
        nested = context_put(inner if isinstance(inner, Mapping) else {}, key[1:], value)
        return {**context, key[0]: nested}
    if not isinstance(key, str):
        return None
    return {**context, key: value}


@builtin("context merge", ("contexts",))
def context_merge(contexts: Any) -> dict[str, Any] | None:
    if not isinstance(contexts, list) or not all(isinstance(c, Mapping) for c in contexts):
        return None
    merged: dict[str, Any] = {}
    for context in contexts:
        merged.update(context)
    return merged


@builtin("context", ("entries",))
def context(entries: Any) -> dict[str, Any] | None:
    if not isinstance(entries, list):
        return None
    result: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str) or "value" not in entry:
            return None
        if entry["key"] in result:
            return None
        result[entry["key"]] = entry["value"]
    return result


@builtin("get or else", ("value", "default"))
def get_or_else(value: Any, default: Any) -> Any:
    return default if value is None else value
