"""Nested variable scopes: loop variables, function parameters, filter items, context entries.

A ``Scope`` layers a few local names over the caller's variables without
copying them, so a ``for`` over a large variable set stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_MISSING: Any = object()


class Scope(Mapping[str, Any]):
    __slots__ = ("local", "parent")

    def __init__(self, local: dict[str, Any], parent: Mapping[str, Any]) -> None:
        self.local = local
        self.parent = parent

    def get(self, key: str, default: Any = None) -> Any:
        value = self.local.get(key, _MISSING)
        if value is _MISSING:
            return self.parent.get(key, default)
        return value

    def __getitem__(self, key: str) -> Any:
        value = self.local.get(key, _MISSING)
        if value is _MISSING:
            return self.parent[key]
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.local or key in self.parent

    def __iter__(self) -> Iterator[str]:
        yield from self.local
        for key in self.parent:
            if key not in self.local:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)
