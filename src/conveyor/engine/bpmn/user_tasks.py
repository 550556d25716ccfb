"""User task assignment, scheduling and forms (Camunda 7 attributes and Camunda 8 elements).

Assignment values are expressions when they start with ``${``, ``#{`` or ``=``, else
constants; constant candidate groups and users become a list split on commas, so
``candidateGroups="finance, support"`` offers the task to both groups.
"""

from __future__ import annotations

from typing import Any

from conveyor.engine.bpmn.camunda_forms import EMBEDDED_PREFIX, FormSchemaError, form_fields_from_schema
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.model import Const, Evaluable, FormField
from conveyor.engine.bpmn.xml import (
    CAMUNDA_NS,
    CONVEYOR_NS,
    ZEEBE_NS,
    Element,
    attr,
    children_in,
    extension_element,
    extension_elements,
)


def _people(text: str | None, at: Element, what: str, ctx: ParseContext) -> Evaluable | None:
    value = ctx.value(text, at, what)
    if isinstance(value, Const) and isinstance(value.value, str):
        names = [part.strip() for part in value.value.split(",") if part.strip()]
        return Const(names, source=value.source)
    return value


def user_task_fields(el: Element, ctx: ParseContext) -> dict[str, Any]:
    """Keyword arguments for ``UserTask`` (assignment, dates, priority, form)."""
    assignment = extension_element(el, ZEEBE_NS, "assignmentDefinition")
    schedule = extension_element(el, ZEEBE_NS, "taskSchedule")
    form = extension_element(el, ZEEBE_NS, "formDefinition")
    priority = extension_element(el, ZEEBE_NS, "priorityDefinition")

    def pick(camunda_name: str, zeebe_el: Element | None, zeebe_name: str) -> tuple[str | None, Element]:
        own = attr(el, camunda_name, CAMUNDA_NS) or attr(el, camunda_name, CONVEYOR_NS)
        if own is not None:
            return own, el
        if zeebe_el is not None:
            return attr(zeebe_el, zeebe_name), zeebe_el
        return None, el

    assignee_text, assignee_at = pick("assignee", assignment, "assignee")
    groups_text, groups_at = pick("candidateGroups", assignment, "candidateGroups")
    users_text, users_at = pick("candidateUsers", assignment, "candidateUsers")
    due_text, due_at = pick("dueDate", schedule, "dueDate")
    follow_text, follow_at = pick("followUpDate", schedule, "followUpDate")
    priority_text, priority_at = pick("priority", priority, "priority")
    form_key = attr(el, "formKey", CAMUNDA_NS) or attr(el, "formRef", CAMUNDA_NS)
    if form_key is None and form is not None:
        form_key = attr(form, "formKey") or attr(form, "formId") or attr(form, "externalReference")
    return {
        "assignee": ctx.value(assignee_text, assignee_at, "assignee"),
        "candidate_groups": _people(groups_text, groups_at, "candidate groups", ctx),
        "candidate_users": _people(users_text, users_at, "candidate users", ctx),
        "due_date": ctx.value(due_text, due_at, "due date"),
        "follow_up_date": ctx.value(follow_text, follow_at, "follow-up date"),
        "priority": _priority(priority_text, priority_at, ctx),
        "form_key": form_key,
        "form_fields": form_fields(el, ctx) or _embedded_form(el, form_key, ctx),
    }


def _embedded_form(el: Element, form_key: str | None, ctx: ParseContext) -> tuple[FormField, ...]:
    """Camunda 8: ``formKey="camunda-forms:bpmn:<id>"`` names a ``zeebe:userTaskForm`` in the file."""
    if form_key is None or not form_key.startswith(EMBEDDED_PREFIX):
        return ()
    form_id = form_key[len(EMBEDDED_PREFIX) :]
    for form in el.getroottree().getroot().iter(f"{{{ZEEBE_NS}}}userTaskForm"):
        if form.get("id") != form_id:
            continue
        try:
            return form_fields_from_schema(form.text or "")
        except FormSchemaError as err:
            ctx.strict("bad_form", f"form {form_id!r}: {err}", el, hint="re-create the form in the modeler")
            return ()
    ctx.strict(
        "unknown_form",
        f"the form key {form_key!r} names no zeebe:userTaskForm in this file",
        el,
        hint="link the user task to a form again in the modeler",
    )
    return ()


def _priority(text: str | None, at: Element, ctx: ParseContext) -> Evaluable | None:
    value = ctx.value(text, at, "priority")
    if isinstance(value, Const) and isinstance(value.value, str):
        try:
            return Const(int(value.value), source=value.source)
        except ValueError:
            ctx.strict("bad_priority", f"priority {value.value!r} is not a whole number", at, hint="e.g. 50")
            return None
    return value


_NUMERIC_TYPES = ("long", "integer", "double", "number", "decimal")


def _constraint_value(field_type: str, config: str | None) -> Any:
    if config is None:
        return None
    if field_type in _NUMERIC_TYPES:
        try:
            return int(config)
        except ValueError:
            try:
                return float(config)
            except ValueError:
                return config
    return config


def _typed_default(field_type: str, value: str) -> Any:
    """``defaultValue="10"`` on a ``long`` field is the number 10; ``"true"`` on a boolean is True.

    An expression default (``${...}``) or anything that does not convert stays text."""
    if value.startswith(("${", "#{", "=")):
        return value
    if field_type == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if field_type in _NUMERIC_TYPES:
        return _constraint_value(field_type, value)
    return value


def form_fields(el: Element, ctx: ParseContext) -> tuple[FormField, ...]:
    """Camunda 7 ``camunda:formData/camunda:formField`` definitions, in model order."""
    found: list[FormField] = []
    for data in extension_elements(el, CAMUNDA_NS, "formData"):
        for field_el in children_in(data, CAMUNDA_NS, "formField"):
            field_id = attr(field_el, "id")
            if field_id is None:
                ctx.strict("form_field_without_id", "a camunda:formField has no id", field_el)
                continue
            found.append(_form_field(field_el, field_id, ctx))
    return tuple(found)


def _form_field(field_el: Element, field_id: str, ctx: ParseContext) -> FormField:
    field_type = attr(field_el, "type") or "string"
    spec: dict[str, Any] = {"id": field_id, "label": attr(field_el, "label"), "type": field_type}
    default = field_el.get("defaultValue")
    if default is not None:
        spec["default"] = _typed_default(field_type, default)
    for validation in children_in(field_el, CAMUNDA_NS, "validation"):
        for constraint in children_in(validation, CAMUNDA_NS, "constraint"):
            name, config = attr(constraint, "name"), attr(constraint, "config")
            if name == "required":
                spec["required"] = True
            elif name == "readonly":
                spec["readonly"] = True
            elif name in ("min", "max"):
                key = "minimum" if name == "min" else "maximum"
                spec[key] = _constraint_value(field_type, config)
            elif name in ("minlength", "maxlength"):
                if config is None or not config.isdigit():
                    message = f"{name} of field {field_id!r} needs a whole number"
                    ctx.strict("bad_form_constraint", message, constraint)
                    continue
                spec["min_length" if name == "minlength" else "max_length"] = int(config)
            elif name == "pattern":
                spec["pattern"] = config
            else:
                ctx.run_warning(
                    "unknown_form_constraint",
                    f"form field {field_id!r} has constraint {name!r}, which is not checked",
                    constraint,
                    hint="supported: required, readonly, min, max, minlength, maxlength, pattern",
                )
    values = [
        (attr(v, "id") or "", attr(v, "name") or attr(v, "id") or "")
        for v in children_in(field_el, CAMUNDA_NS, "value")
    ]
    if values:
        spec["values"] = tuple(values)
    required_when = _required_when(field_el, field_id, ctx)
    if required_when is not None:
        spec["required_when"] = required_when
    return FormField(**spec)


REQUIRED_WHEN = "requiredWhen"


def _required_when(field_el: Element, field_id: str, ctx: ParseContext) -> Evaluable | None:
    """The field's ``requiredWhen`` condition, compiled (a syntax error is a model error).

    Written as ``conveyor:requiredWhen="FEEL"`` on the form field or as a Camunda 7 form
    field property ``<camunda:properties><camunda:property id="requiredWhen" value="FEEL"/>``
    (what Camunda Modeler edits; Camunda itself ignores properties it does not know).
    """
    found: list[tuple[str, Element]] = []
    own = field_el.get(f"{{{CONVEYOR_NS}}}{REQUIRED_WHEN}")
    if own is not None:
        found.append((own, field_el))
    for properties in children_in(field_el, CAMUNDA_NS, "properties"):
        for prop in children_in(properties, CAMUNDA_NS, "property"):
            if (attr(prop, "id") or attr(prop, "name")) == REQUIRED_WHEN:
                found.append((prop.get("value", ""), prop))
    if not found:
        return None
    text, at = found[0]
    if any(other.strip() != text.strip() for other, _ in found[1:]):
        ctx.strict(
            "conflicting_required_when",
            f"form field {field_id!r} has more than one requiredWhen condition",
            found[1][1],
            hint="keep one: the conveyor:requiredWhen attribute or the camunda:property",
        )
    if not text.strip():
        ctx.strict(
            "bad_expression",
            f"the requiredWhen condition of form field {field_id!r} is empty",
            at,
            hint="a FEEL condition such as: approved = false",
        )
        return None
    return ctx.expression(text.strip(), at, f"requiredWhen condition of form field {field_id!r}")
