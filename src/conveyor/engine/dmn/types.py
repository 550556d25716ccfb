"""Type conformance for decision results (DMN 1.3, 7.3.4 and 10.3.2.9).

A decision's value, an output cell's value or an item component that does not
conform to its declared ``typeRef`` becomes null, as the specification says,
instead of passing a wrong-typed value on to the process. Numbers given as
``int`` or ``float`` are taken as FEEL numbers (``Decimal``). The two implicit
conversions of DMN 1.3 apply: a single value where a collection is declared
becomes a one-item list, and a one-item list where a single value is declared
becomes that item. A type name we do not know is not checked (the parser warns
about it).

Camunda 7 type names (``integer``, ``long``, ``double``) are accepted as numbers,
``integer`` and ``long`` requiring a whole number.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from conveyor.engine.dmn.model import ItemDefinition

_MAX_DEPTH = 32


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value)) if math.isfinite(value) else None
    return None


def _whole_number(value: Any) -> Any:
    number = _number(value)
    return number if number is not None and number == number.to_integral_value() else None


def _date_and_time(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):  # DMN 1.3: a date converts to midnight UTC of that day
        return datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC)
    return None


def _is(kind: type | tuple[type, ...], exclude: type | None = None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if isinstance(value, kind) and not (exclude is not None and isinstance(value, exclude)):
            return value
        return None

    return check


def _years_months(value: Any) -> Any:
    return value if type(value).__name__ == "YearsMonthsDuration" else None


_BUILT_IN: dict[str, Callable[[Any], Any]] = {
    "number": _number,
    "decimal": _number,
    "double": _number,
    "integer": _whole_number,
    "int": _whole_number,
    "long": _whole_number,
    "string": _is(str),
    "boolean": _is(bool),
    "date": _is(datetime.date, exclude=datetime.datetime),
    "time": _is(datetime.time),
    "date and time": _date_and_time,
    "datetime": _date_and_time,
    "days and time duration": _is(datetime.timedelta),
    "daytimeduration": _is(datetime.timedelta),
    "years and months duration": _years_months,
    "yearmonthduration": _years_months,
    "context": _is(Mapping),
    "list": _is((list, tuple)),
}
_ANY = {"any", "object"}


@functools.lru_cache(maxsize=256)
def _built_in_name(type_ref: str) -> str:
    name = type_ref.strip()
    if ":" in name:  # feel:number, xsd:string
        name = name.split(":", 1)[1]
    return name.lower()


def is_known_type(type_ref: str, item_definitions: Mapping[str, ItemDefinition]) -> bool:
    name = _built_in_name(type_ref)
    return type_ref in item_definitions or name in _BUILT_IN or name in _ANY


def conform(value: Any, type_ref: str | None, item_definitions: Mapping[str, ItemDefinition]) -> Any:
    """``value`` as the declared type (numbers as ``Decimal``), or ``None`` if it does not conform."""
    return _conform(value, type_ref, item_definitions, 0)


def _conform(value: Any, type_ref: str | None, items: Mapping[str, ItemDefinition], depth: int) -> Any:
    if value is None or not type_ref or depth > _MAX_DEPTH:
        return value
    item = items.get(type_ref)
    if item is not None:
        return _conform_item(value, item, items, depth + 1)
    name = _built_in_name(type_ref)
    check = _BUILT_IN.get(name)
    if check is None:  # "Any" or a type we do not know: not checked
        return value
    if name != "list" and isinstance(value, list) and len(value) == 1:
        value = value[0]  # DMN 1.3 "from singleton list"
    return check(value)


def _conform_item(value: Any, item: ItemDefinition, items: Mapping[str, ItemDefinition], depth: int) -> Any:
    if item.is_collection:
        elements = value if isinstance(value, (list, tuple)) else [value]  # "to singleton list"
        conformed = []
        for element in elements:
            result = _conform_single(element, item, items, depth)
            if result is None and element is not None:
                return None
            conformed.append(result)
        return conformed
    if isinstance(value, list) and len(value) == 1 and not (item.type_ref and _is_list_type(item.type_ref)):
        value = value[0]
    return _conform_single(value, item, items, depth)


def _is_list_type(type_ref: str) -> bool:
    return _built_in_name(type_ref) == "list"


def _conform_single(value: Any, item: ItemDefinition, items: Mapping[str, ItemDefinition], depth: int) -> Any:
    if value is None:
        return None
    if item.components:
        if not isinstance(value, Mapping):
            return None
        context = dict(value)
        for component in item.components:
            raw = value.get(component.name)
            result = _conform_item(raw, component, items, depth + 1) if raw is not None else None
            if result is None and raw is not None:
                return None
            context[component.name] = result
        return context
    if item.type_ref:
        value = _conform(value, item.type_ref, items, depth + 1)
        if value is None:
            return None
    if item.allowed_values is not None and not item.allowed_values.matches(value, {}):
        return None
    return value
