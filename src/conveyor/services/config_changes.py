"""What applying a configuration document would change: added, changed, removed per section.

Entries are compared in the export's shape (``conveyor.domain.config_export``),
so "changed" lists exactly the fields a person would see differ in the YAML.
A section the document leaves out is not compared (it stays as it is); a
section it contains is the complete list, and entries missing from it are
*removed* (deactivated, or deleted for unused categories).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor.domain.config_document import ConfigDocument
from conveyor.domain.config_export import (
    carrier_to_mapping,
    category_to_mapping,
    channel_to_mapping,
    product_to_mapping,
    warehouse_to_mapping,
)

SECTIONS = ("categories", "products", "warehouses", "channels", "carriers")

Exporter = Callable[[Any], dict[str, Any]]
EXPORTERS: Mapping[str, tuple[str, Exporter]] = {
    "categories": ("code", category_to_mapping),
    "products": ("sku", product_to_mapping),
    "warehouses": ("code", warehouse_to_mapping),
    "channels": ("code", channel_to_mapping),
    "carriers": ("code", carrier_to_mapping),
}


@dataclass(frozen=True, slots=True)
class SectionChanges:
    added: tuple[str, ...] = ()
    changed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # code -> changed fields
    removed: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "changed": [{"code": code, "fields": list(fields)} for code, fields in self.changed.items()],
            "removed": list(self.removed),
        }


@dataclass(frozen=True, slots=True)
class ConfigChanges:
    sections: Mapping[str, SectionChanges]
    applied: bool = False

    @property
    def is_empty(self) -> bool:
        return all(changes.is_empty for changes in self.sections.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "changes": {name: changes.as_dict() for name, changes in self.sections.items()},
        }

    def lines(self) -> list[str]:
        """One line per change, as ``config diff`` prints them (``+`` added, ``~`` changed, ``-`` removed)."""
        out: list[str] = []
        for name, changes in self.sections.items():
            out += [f"+ {name}: {code}" for code in changes.added]
            out += [f"~ {name}: {code} ({', '.join(f)})" for code, f in changes.changed.items()]
            out += [f"- {name}: {code}" for code in changes.removed]
        return out


def entries(document: ConfigDocument, section: str) -> dict[str, dict[str, Any]]:
    """A section of a document as ``{code: exported mapping}``."""
    key, export = EXPORTERS[section]
    return {getattr(item, key): export(item) for item in getattr(document, section)}


def compare(
    current: ConfigDocument, wanted: ConfigDocument, sections: list[str], removable: Mapping[str, set[str]]
) -> ConfigChanges:
    """The changes that turn ``current`` into ``wanted`` for the named ``sections``.

    ``removable[section]`` holds the codes whose absence counts as a removal
    (active entries; an inactive one is already as removed as it gets).
    """
    result: dict[str, SectionChanges] = {}
    for section in sections:
        before, after = entries(current, section), entries(wanted, section)
        changed = {
            code: _differing(before[code], data) for code, data in after.items() if code in before
        }
        changed = {code: fields for code, fields in changed.items() if fields}
        result[section] = SectionChanges(
            added=tuple(code for code in after if code not in before),
            changed=changed,
            removed=tuple(sorted(c for c in before if c not in after and c in removable[section])),
        )
    return ConfigChanges(result)


def _differing(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)))
