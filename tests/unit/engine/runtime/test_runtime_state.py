"""Saved state: plain JSON, compact, exact for decimals and dates, flat in size, deterministic."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from runtime_models import document, flows

from conftest import T0, library_of
from conveyor.engine.bpmn import parse_bpmn
from conveyor.engine.errors import InstanceError
from conveyor.engine.runtime import Handlers, Instance, UnsaveableValue

APPROVAL_LOOP = document(
    '<startEvent id="start"/><userTask id="check"/><exclusiveGateway id="more" default="f_more_end"/>'
    '<scriptTask id="count" scriptFormat="feel" camunda:resultVariable="n">'
    "<script>n + 1</script></scriptTask>"
    '<endEvent id="end"/>'
    + flows("start -> check -> count -> more", "more -> check: n < 1000", "more -> end"))


def _user_task(instance: Instance) -> int:
    return next(w.id for w in instance.waits if w.kind == "userTask")


def test_a_waiting_instance_is_a_few_hundred_bytes_of_plain_json():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0, "orderId": "SO-1001"}, now=T0, instance_id="i1")
    text = json.dumps(instance.to_state())
    assert len(text) < 300
    assert json.loads(text) == instance.to_state()


def test_the_saved_state_does_not_grow_with_the_instance_history():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0}, now=T0, instance_id="i1")
    instance.complete_user_task(_user_task(instance), now=T0)
    early = len(json.dumps(instance.to_state()))
    for _ in range(200):
        instance.complete_user_task(_user_task(instance), now=T0)
        instance.drain_history()
    later = len(json.dumps(instance.to_state()))
    assert later <= early + 12  # only ids, the id counter and n gain a few digits


def test_decimals_dates_durations_and_nested_values_round_trip_exactly():
    library = library_of(APPROVAL_LOOP)
    values = {
        "n": 0,
        "price": Decimal("19.990"),
        "due": T0,
        "day": date(2026, 3, 1),
        "wait": timedelta(hours=36, microseconds=5),
        "lines": [{"sku": "A", "qty": 2, "price": Decimal("1.10")}],
        "$weird": {"$d": "not a decimal"},
    }
    instance = Instance.start(library, "p", values, now=T0, instance_id="i1")
    restored = Instance.from_state(library, json.loads(json.dumps(instance.to_state())))
    assert dict(restored.variables) == values
    assert type(restored.variables["price"]) is Decimal and str(restored.variables["price"]) == "19.990"


def test_a_variable_holding_a_python_object_cannot_be_saved_and_the_error_names_it():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0, "conn": object()}, now=T0, instance_id="i1")
    with pytest.raises(UnsaveableValue, match="'conn'"):
        instance.to_state()


def test_two_restores_of_one_state_given_the_same_operations_end_in_identical_states():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0}, now=T0, instance_id="i1")
    saved = instance.to_state()
    results = []
    for _ in range(2):
        copy = Instance.from_state(library, json.loads(json.dumps(saved)))
        for _ in range(3):
            copy.complete_user_task(_user_task(copy), {"ok": True}, now=T0)
        results.append(copy.to_state())
    assert results[0] == results[1]


def test_state_of_an_unknown_format_or_damaged_is_refused_with_a_reason():
    library = library_of(APPROVAL_LOOP)
    saved = Instance.start(library, "p", {"n": 0}, now=T0, instance_id="i1").to_state()
    with pytest.raises(InstanceError, match="format"):
        Instance.from_state(library, {**saved, "v": 99})
    with pytest.raises(InstanceError, match="damaged"):
        Instance.from_state(library, {**saved, "t": [["x"]]})


def test_an_instance_keeps_the_version_it_started_with_after_a_redeploy():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0}, now=T0, instance_id="i1")
    library.add_definitions(parse_bpmn(document('<startEvent id="s"/><endEvent id="e"/>' + flows("s -> e"))))
    assert library.versions("p") == [1, 2]
    restored = Instance.from_state(library, instance.to_state())
    assert restored.version == 1
    restored.complete_user_task(_user_task(restored), now=T0)
    assert restored.state == "active"
    assert Instance.start(library, "p", now=T0).state == "completed"


def test_history_is_handed_out_once_with_timestamps_and_variable_changes():
    library = library_of(APPROVAL_LOOP)
    instance = Instance.start(library, "p", {"n": 0}, now=T0, instance_id="i1", handlers=Handlers())
    first = instance.drain_history()
    assert [e.kind for e in first][:3] == ["instance.started", "variable.set", "node.entered"]
    assert ("task.created", "check") in [(e.kind, e.node) for e in first]
    assert all(e.at == T0 for e in first)
    later = T0 + timedelta(minutes=5)
    instance.complete_user_task(_user_task(instance), now=later)
    second = instance.drain_history()
    assert ("variable.set", "n", 1) in [(e.kind, e.node, e.data) for e in second]
    assert all(e.at == later for e in second)
    assert instance.drain_history() == []
