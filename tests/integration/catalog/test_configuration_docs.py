"""docs/configuration.md stays true: its complete example applies, and its tables list the real fields."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conveyor.bootstrap import Runtime
from conveyor.domain import config_sections
from conveyor.services.configuration import apply_configuration, diff_configuration

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def _section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(title)
    following = re.search(r"\n#{2,3} ", text[start + len(title):])
    return text[start:start + len(title) + following.start()] if following else text[start:]


def _example() -> dict[str, object]:
    block = re.search(r"```yaml\n(.*?)```", _section("## A complete example"), re.S)
    assert block is not None
    return yaml.safe_load(block.group(1))


def test_the_complete_example_applies_and_then_is_a_no_op(migrated_runtime: Runtime) -> None:
    changes = apply_configuration(migrated_runtime.unit_of_work(), _example())
    assert changes.applied
    assert changes.sections["warehouses"].added == ("HAM-1", "MIL-1")
    assert diff_configuration(migrated_runtime.unit_of_work(), _example()).is_empty


@pytest.mark.parametrize(
    ("title", "fields"),
    [
        ("### categories", config_sections.CATEGORY_FIELDS),
        ("### products", config_sections.PRODUCT_FIELDS),
        ("### warehouses", config_sections.WAREHOUSE_FIELDS),
        ("### channels", config_sections.CHANNEL_FIELDS),
        ("### carriers", config_sections.CARRIER_FIELDS | config_sections.SERVICE_FIELDS),
    ],
)
def test_each_field_table_lists_exactly_the_fields_the_reader_accepts(
    title: str, fields: frozenset[str]
) -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", _section(title), re.M))
    assert documented == set(fields)


def test_the_example_uses_every_documented_field() -> None:
    example = _example()
    used: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            used.update(str(key) for key in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(example)
    sections = config_sections
    every = (sections.CATEGORY_FIELDS | sections.PRODUCT_FIELDS | sections.WAREHOUSE_FIELDS
             | sections.CHANNEL_FIELDS | sections.CARRIER_FIELDS | sections.SERVICE_FIELDS)  # fmt: skip
    assert every - used == set()
