"""Checking the data a person submits for a user task against its form fields.

Camunda 7 ``camunda:formField`` definitions (type, ``required``, ``min``, ``max``,
``minlength``, ``maxlength``, enum values, ``readonly``, ``requiredWhen``) become a validated form:
every wrong field is reported at once, each by its id, before anything changes.
Values are converted to the field's type (``"42"`` for a ``long`` becomes 42).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import ChainMap
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from conveyor.engine.bpmn.model import Evaluable, FormField
from conveyor.engine.errors import EngineError, InstanceError


class FormError(InstanceError):
    """The submitted form data is not valid; ``field_errors`` maps each field id to what is wrong."""

    code = "invalid_form"

    def __init__(self, field_errors: dict[str, str]) -> None:
        self.field_errors = field_errors
        detail = "; ".join(f"field {name!r} {problem}" for name, problem in field_errors.items())
        super().__init__(f"the form data is not valid: {detail}")


def _convert(field: FormField, value: Any) -> Any:
    """The value as the field's type; ``ValueError`` with what is wrong otherwise."""
    kind = field.type
    if kind == "long":
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        if isinstance(value, int):
            return value
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a whole number") from None
        if number != number.to_integral_value():
            raise ValueError("must be a whole number")
        return int(number)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise ValueError("must be true or false")
    if kind == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be a date such as 2026-03-01 or 2026-03-01T09:00:00Z") from None
    if kind == "enum":
        allowed = [key for key, _label in field.values]
        if str(value) not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return str(value)
    if kind == "string" and not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _check_limits(field: FormField, value: Any) -> None:
    if isinstance(value, str):
        if field.min_length is not None and len(value) < field.min_length:
            raise ValueError(f"must have at least {field.min_length} characters")
        if field.max_length is not None and len(value) > field.max_length:
            raise ValueError(f"must have at most {field.max_length} characters")
        if field.pattern and not re.fullmatch(field.pattern, value):
            raise ValueError(f"must match the pattern {field.pattern}")
        return
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        if field.minimum is not None and value < Decimal(str(field.minimum)):
            raise ValueError(f"must be at least {field.minimum}")
        if field.maximum is not None and value > Decimal(str(field.maximum)):
            raise ValueError(f"must be at most {field.maximum}")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_form(
    fields: tuple[FormField, ...], data: Mapping[str, Any], variables: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The submitted data with every form field checked and converted (see module docstring).

    ``variables`` are the task's current variables: a field's ``requiredWhen`` condition is
    evaluated over the (converted) submitted data merged over them.
    """
    result = dict(data)
    problems: dict[str, str] = {}
    conditional: list[tuple[str, Evaluable]] = []
    for field in fields:
        value = data.get(field.id)
        if field.readonly:
            result.pop(field.id, None)
            continue
        if value is None or value == "":
            if field.required:
                problems[field.id] = "is required"
            elif field.required_when is not None:
                conditional.append((field.id, field.required_when))
            continue
        if field.required_when is not None and _blank(value) and not field.required:
            conditional.append((field.id, field.required_when))
        try:
            converted = _convert(field, value)
            _check_limits(field, converted)
        except ValueError as err:
            problems[field.id] = str(err)
            continue
        result[field.id] = converted
    if conditional:
        scope: Mapping[str, Any] = ChainMap(result, dict(variables or {}))
        for field_id, condition in conditional:
            if field_id in problems:
                continue
            try:
                applies = condition.evaluate(scope) is True
            except EngineError as err:
                problems[field_id] = f"cannot be checked: its condition {condition.source!r} failed ({err})"
                continue
            if applies:
                problems[field_id] = f"is required when {condition.source}"
    if problems:
        raise FormError(problems)
    return result
