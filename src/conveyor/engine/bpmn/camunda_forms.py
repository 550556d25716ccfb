"""Camunda 8 forms embedded in a model, read into ``FormField`` specs.

Camunda Modeler (Camunda 8) stores a user task's form as Camunda Forms JSON in a
``zeebe:userTaskForm`` element and points to it with
``zeebe:formDefinition formKey="camunda-forms:bpmn:<id>"``. Reading its input
components gives Camunda 8 user tasks the same validated form as Camunda 7
``camunda:formField`` definitions: a ``number`` must be a number, a ``select``
one of its values, ``validate.required`` is enforced, and so on. Components that
only display something (text, images, buttons, separators) have no ``key`` and
are skipped; groups are read through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from conveyor.engine.bpmn.model import FormField

EMBEDDED_PREFIX = "camunda-forms:bpmn:"

#: Camunda Forms component type -> form field type (others are kept verbatim)
_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "number": "number",
    "checkbox": "boolean",
    "select": "enum",
    "radio": "enum",
    "datetime": "date",
    "checklist": "list",
    "taglist": "list",
}


class FormSchemaError(ValueError):
    """The embedded form is not Camunda Forms JSON."""


def form_fields_from_schema(schema_text: str) -> tuple[FormField, ...]:
    """The input fields of a Camunda Forms JSON schema, in form order (raises ``FormSchemaError``)."""
    try:
        schema = json.loads(schema_text)
    except (ValueError, RecursionError) as err:
        raise FormSchemaError(f"the embedded form is not valid JSON: {err}") from err
    if not isinstance(schema, dict) or not isinstance(schema.get("components", []), list):
        raise FormSchemaError("the embedded form has no list of components")
    return tuple(_field(component) for component in _inputs(schema.get("components", [])))


def _inputs(components: list[Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    for component in components:
        if not isinstance(component, dict):
            continue
        nested = component.get("components")
        if component.get("type") == "group" and isinstance(nested, list) and depth < 20:
            yield from _inputs(nested, depth + 1)
        elif isinstance(component.get("key"), str) and component.get("type") != "dynamiclist":
            yield component


def _field(component: dict[str, Any]) -> FormField:
    kind = str(component.get("type", "textfield"))
    validate = component.get("validate")
    if not isinstance(validate, dict):
        validate = {}
    values = component.get("values")
    choices: tuple[tuple[str, str], ...] = ()
    if isinstance(values, list):
        choices = tuple(
            (str(v.get("value")), str(v.get("label", v.get("value"))))
            for v in values
            if isinstance(v, dict) and "value" in v
        )
    field_type = _TYPES.get(kind, kind)
    if field_type == "enum" and not choices:
        field_type = "string"  # values come from a variable at run time: not checked here
    if kind == "number" and component.get("decimalDigits") == 0:
        field_type = "long"
    return FormField(
        id=str(component["key"]),
        label=component.get("label") if isinstance(component.get("label"), str) else None,
        type=field_type,
        required=validate.get("required") is True,
        readonly=component.get("disabled") is True or component.get("readonly") is True,
        minimum=_number(validate.get("min")),
        maximum=_number(validate.get("max")),
        min_length=_whole(validate.get("minLength")),
        max_length=_whole(validate.get("maxLength")),
        pattern=validate.get("pattern") if isinstance(validate.get("pattern"), str) else None,
        values=choices,
        default=component.get("defaultValue"),
    )


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
