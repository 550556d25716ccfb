"""Values are checked against a typeRef; a value that does not conform becomes None (DMN 1.3)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from conveyor.engine.dmn import ItemDefinition
from conveyor.engine.dmn.types import conform, is_known_type

LOAN = ItemDefinition(
    "tLoan",
    components=(ItemDefinition("principal", "number"), ItemDefinition("termMonths", "number")),
)
NAMES = ItemDefinition("tNames", "string", is_collection=True)
ITEMS = {"tLoan": LOAN, "tNames": NAMES}


def test_numbers_of_any_python_kind_become_decimals():
    assert conform(3, "number", {}) == Decimal(3)
    assert conform(2.5, "number", {}) == Decimal("2.5")
    assert conform(Decimal("1.10"), "feel:number", {}) == Decimal("1.10")


def test_a_boolean_is_not_a_number_and_a_number_is_not_a_string():
    assert conform(True, "number", {}) is None
    assert conform(1, "string", {}) is None
    assert conform("yes", "boolean", {}) is None


def test_camunda_integer_needs_a_whole_number():
    assert conform(4, "integer", {}) == Decimal(4)
    assert conform(Decimal("4.5"), "integer", {}) is None


def test_dates_times_and_durations():
    day = datetime.date(2024, 1, 31)
    assert conform(day, "date", {}) == day
    assert conform(datetime.datetime(2024, 1, 31, 8, 0), "date", {}) is None
    assert conform(day, "dateTime", {}) == datetime.datetime(2024, 1, 31, tzinfo=datetime.UTC)
    assert conform(datetime.timedelta(days=1), "dayTimeDuration", {}) == datetime.timedelta(days=1)


def test_none_conforms_to_every_type():
    assert conform(None, "number", ITEMS) is None


def test_context_item_definition_checks_each_component():
    assert conform({"principal": 10, "termMonths": 12}, "tLoan", ITEMS) == {
        "principal": Decimal(10),
        "termMonths": Decimal(12),
    }
    assert conform({"principal": "ten", "termMonths": 12}, "tLoan", ITEMS) is None
    assert conform("a loan", "tLoan", ITEMS) is None


def test_collections_wrap_a_single_value_and_unwrap_a_singleton_list():
    assert conform(["a", "b"], "tNames", ITEMS) == ["a", "b"]
    assert conform("a", "tNames", ITEMS) == ["a"]
    assert conform(["a", 1], "tNames", ITEMS) is None
    assert conform([Decimal(5)], "number", {}) == Decimal(5)


def test_unknown_types_are_not_checked():
    assert conform("anything", "com.example.Thing", {}) == "anything"
    assert not is_known_type("com.example.Thing", {})
    assert is_known_type("tLoan", ITEMS)
    assert is_known_type("Any", {})
