"""The 'exceptions' configuration section: applied with the document (path-named problems, nothing applied
on any), exported and re-applied unchanged, and used by the register at once (no code change)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conveyor.bootstrap import Runtime
from conveyor.domain.errors import InvalidConfigDocument
from conveyor.services.configuration import (
    apply_configuration,
    default_configuration,
    diff_configuration,
    export_configuration,
)
from conveyor.services.exceptions import current_settings, get_exception, record_exception


def _section() -> dict[str, Any]:
    return copy.deepcopy(default_configuration()["exceptions"])


def test_a_new_category_type_and_keyword_work_without_code(migrated_runtime: Runtime) -> None:
    section = _section()
    section["categories"].append({"code": "packaging", "name": "Packaging"})
    section["types"].append({"type": "packaging.damaged", "category": "packaging", "severity": "high",
                             "owner_group": "warehouse", "sla_hours": 6})  # fmt: skip
    section["classifier"]["rules"].append({"category": "packaging", "keywords": {"bubble wrap": 5}})
    changes = apply_configuration(migrated_runtime.unit_of_work(), {"exceptions": section})
    assert changes.applied and "exceptions" in changes.sections
    with migrated_runtime.unit_of_work() as uow:
        typed = record_exception(uow, type="packaging.damaged", summary="box split open")
        texted = record_exception(uow, type="return.requested", summary="RMA",
                                  reason_text="there was no bubble wrap at all")  # fmt: skip
        uow.commit()
    with migrated_runtime.session_factory() as session:
        first, second = get_exception(session, typed), get_exception(session, texted)
    assert (first["category"], first["severity"], first["owner_group"]) == ("packaging", "high", "warehouse")
    assert (first["due_at"] - first["created_at"]).total_seconds() == 6 * 3600
    assert (second["category"], second["category_source"]) == ("packaging", "classifier")


def test_problems_are_named_by_path_and_nothing_is_applied(migrated_runtime: Runtime) -> None:
    section = _section()
    section["types"][0]["category"] = "carier"
    section["types"][1]["severity"] = "urgent"
    section["sla_hours"]["medium"] = -1
    section["classifier"]["rules"][0]["keywords"]["broken"] = 0
    section["return_reasons"].append({"code": "lost", "category": "weather"})
    with pytest.raises(InvalidConfigDocument) as caught:
        apply_configuration(migrated_runtime.unit_of_work(), {"exceptions": section})
    paths = sorted(e["path"] for e in caught.value.errors)
    last = len(section["return_reasons"]) - 1
    assert paths == sorted([
        "exceptions.types[0].category", "exceptions.types[1].severity", "exceptions.sla_hours.medium",
        "exceptions.classifier.rules[0].keywords.broken", f"exceptions.return_reasons[{last}].category",
    ])  # fmt: skip
    assert "did you mean 'carrier'" in str(caught.value)
    with migrated_runtime.session_factory() as session:
        assert current_settings(session).types["return.requested"].category == "customer_change"


def test_export_then_apply_changes_nothing_and_diff_names_the_changed_keys(migrated_runtime: Runtime) -> None:
    apply_configuration(migrated_runtime.unit_of_work(), default_configuration(), check_processes=False)
    exported = export_configuration(migrated_runtime.unit_of_work())
    assert exported["exceptions"] == default_configuration()["exceptions"]
    assert apply_configuration(migrated_runtime.unit_of_work(), exported).is_empty
    changed = copy.deepcopy(exported)
    changed["exceptions"]["sla_hours"]["low"] = 96
    diff = diff_configuration(migrated_runtime.unit_of_work(), changed)
    assert diff.sections["exceptions"].changed == {"exceptions": ("sla_hours",)}
    assert "~ exceptions: exceptions (sla_hours)" in diff.lines()
