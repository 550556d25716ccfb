"""Vendor extensions shared by several activities: handler binding, async flags, retries, mappings.

Three flavours are read into one shape:
- Camunda 7 (``camunda:`` = ``http://camunda.org/schema/1.0/bpmn``): attributes on the
  element and ``camunda:inputOutput`` in ``extensionElements``;
- Camunda 8 (``zeebe:`` = ``http://camunda.org/schema/zeebe/1.0``): ``zeebe:taskDefinition``,
  ``zeebe:taskHeaders``, ``zeebe:ioMapping``;
- Conveyor's own (``conveyor:`` = ``http://conveyor.dev/schema/bpmn``): ``conveyor:handler``,
  ``conveyor:retries``, ``conveyor:async``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conveyor.engine.bpmn import expressions
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.model import Const, Evaluable, VariableMapping
from conveyor.engine.bpmn.timers import repetitions_of
from conveyor.engine.bpmn.xml import (
    CAMUNDA_NAMESPACES,
    CAMUNDA_NS,
    CONVEYOR_NS,
    ZEEBE_NS,
    Element,
    attr,
    attr_bool,
    children_in,
    elements,
    extension_element,
    extension_elements,
    line,
    local,
    namespace,
    text,
)


@dataclass
class Binding:
    """How a service-like task does its work."""

    task_type: str | None = None
    expression: Evaluable | None = None
    result_variable: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: ``zeebe:taskDefinition retries`` (``conveyor:retries`` and Camunda 7's retry cycle are read
    #: for every activity by ``retries``)
    retries: int | None = None


def _unwrap(value: str) -> str:
    """``${orderService}`` -> ``orderService`` (the bean name a delegate expression resolves)."""
    if value.startswith(("${", "#{")) and value.endswith("}"):
        return value[2:-1].strip()
    return value


def binding(el: Element, ctx: ParseContext) -> Binding:
    """Read the handler binding of a service, send or business rule task (first flavour found wins)."""
    found = Binding()
    definition = extension_element(el, ZEEBE_NS, "taskDefinition")
    if definition is not None:
        found.task_type = attr(definition, "type")
        zeebe_retries = attr(definition, "retries")
        if zeebe_retries and zeebe_retries.isdigit():
            found.retries = int(zeebe_retries)
    found.task_type = (
        attr(el, "handler", CONVEYOR_NS)
        or found.task_type
        or attr(el, "topic", CAMUNDA_NS)
        or _named(el, "delegateExpression")
        or attr(el, "class", CAMUNDA_NS)
        or _connector_id(el)
    )
    expression = attr(el, "expression", CAMUNDA_NS)
    if expression is not None and found.task_type is None:
        found.expression = ctx.expression(expression, el, "service expression")
    found.result_variable = attr(el, "resultVariable", CAMUNDA_NS)
    for headers in extension_elements(el, ZEEBE_NS, "taskHeaders"):
        for header in children_in(headers, ZEEBE_NS, "header"):
            key = attr(header, "key")
            if key is not None:
                found.headers[key] = header.get("value", "")
    # Camunda 7 hands an external task's extension properties to its worker, as headers are in 8
    for properties in extension_elements(el, CAMUNDA_NS, "properties"):
        for prop in children_in(properties, CAMUNDA_NS, "property"):
            name = attr(prop, "name")
            if name is not None:
                found.headers.setdefault(name, prop.get("value", ""))
    return found


def _named(el: Element, name: str) -> str | None:
    value = attr(el, name, CAMUNDA_NS)
    return _unwrap(value) if value else None


def _connector_id(el: Element) -> str | None:
    """``camunda:connector/camunda:connectorId``: the connector becomes the handler's task type."""
    for connector in extension_elements(el, CAMUNDA_NS, "connector"):
        for connector_id in children_in(connector, CAMUNDA_NS, "connectorId"):
            return text(connector_id)
    return None


#: Camunda 7 listeners run Java or scripts around an element; Conveyor has no such hook.
_LISTENERS = ("executionListener", "taskListener")


def warn_ignored_extensions(el: Element, ctx: ParseContext) -> None:
    """Camunda 7 and 8 listeners cannot run here: say so rather than skip them silently."""
    for name in _LISTENERS:
        for listener in extension_elements(el, CAMUNDA_NS, name):
            ctx.run_warning(
                "ignored_listener",
                f"camunda:{name} (event {attr(listener, 'event') or '?'}) is ignored: "
                "listeners run Java classes or scripts, which Conveyor never executes",
                el,
                at_line=line(listener),
                hint="move the listener's work into a service task bound to a handler",
            )
    for name in ("executionListeners", "taskListeners"):
        for block in extension_elements(el, ZEEBE_NS, name):
            ctx.run_warning(
                "ignored_listener",
                f"zeebe:{name} are ignored: Conveyor has no listener jobs",
                el,
                at_line=line(block),
                hint="move the listener's work into a service task bound to a handler",
            )


def async_flags(el: Element) -> tuple[bool, bool]:
    """``(async_before, async_after)`` from ``camunda:asyncBefore/asyncAfter/async`` or ``conveyor:async``."""
    before = (
        attr_bool(el, "asyncBefore", False, CAMUNDA_NS)
        or attr_bool(el, "async", False, CAMUNDA_NS)
        or attr_bool(el, "async", False, CONVEYOR_NS)
        or attr_bool(el, "asyncBefore", False, CONVEYOR_NS)
    )
    after = attr_bool(el, "asyncAfter", False, CAMUNDA_NS) or attr_bool(el, "asyncAfter", False, CONVEYOR_NS)
    return before, after


def retries(el: Element, ctx: ParseContext) -> int | None:
    """``conveyor:retries`` or the ``n`` of Camunda 7 ``failedJobRetryTimeCycle`` (``R3/PT10M``)."""
    own = attr(el, "retries", CONVEYOR_NS)
    if own is not None:
        if own.isdigit():
            return int(own)
        ctx.strict("bad_retries", f"conveyor:retries={own!r} is not a whole number", el, hint="e.g. 3")
    cycle = text(extension_element(el, CAMUNDA_NS, "failedJobRetryTimeCycle"))
    if cycle is not None:
        count = repetitions_of(cycle)
        if count is None:
            ctx.run_warning(
                "bad_retries",
                f"failedJobRetryTimeCycle {cycle!r} has no repetition count; the default retries apply",
                el,
                hint="write it as R3/PT10M (3 retries, 10 minutes apart)",
            )
        return count
    return None


Mappings = tuple[VariableMapping, ...]


def io_mappings(el: Element, ctx: ParseContext) -> tuple[Mappings, Mappings]:
    """Input and output mappings from ``camunda:inputOutput`` and ``zeebe:ioMapping``."""
    inputs: list[VariableMapping] = []
    outputs: list[VariableMapping] = []
    blocks = extension_elements(el, CAMUNDA_NS, "inputOutput")
    for connector in extension_elements(el, CAMUNDA_NS, "connector"):
        blocks += children_in(connector, CAMUNDA_NS, "inputOutput")
    for block in blocks:
        for param in elements(block):
            target = attr(param, "name")
            if namespace(param) not in CAMUNDA_NAMESPACES or target is None:
                continue
            mapping = VariableMapping(target, _parameter_value(param, ctx))
            if local(param) == "inputParameter":
                inputs.append(mapping)
            elif local(param) == "outputParameter":
                outputs.append(mapping)
    for block in extension_elements(el, ZEEBE_NS, "ioMapping"):
        for param in elements(block):
            target, source = attr(param, "target"), attr(param, "source")
            if target is None:
                continue
            value = ctx.value(source, param, f"mapping of {target!r}") if source is not None else None
            if local(param) == "input":
                inputs.append(VariableMapping(target, value))
            elif local(param) == "output":
                outputs.append(VariableMapping(target, value))
    return tuple(inputs), tuple(outputs)


def _parameter_value(param: Element, ctx: ParseContext) -> Evaluable | None:
    """A Camunda 7 parameter: text, ``${}``, ``camunda:list``, ``camunda:map`` or ``camunda:script``."""
    nested = [c for c in elements(param) if namespace(c) in CAMUNDA_NAMESPACES]
    if not nested:
        body = text(param)
        if body is None:
            return Const(None)
        return ctx.value(body, param, f"parameter {attr(param, 'name')!r}")
    node = nested[0]
    kind = local(node)
    if kind == "list":
        items = [_parameter_value(item, ctx) for item in elements(node)]
        return expressions.ListValue(tuple(i if i is not None else Const(None) for i in items))
    if kind == "map":
        entries = []
        for entry in children_in(node, CAMUNDA_NS, "entry"):
            value = _parameter_value(entry, ctx)
            entries.append((entry.get("key", ""), value if value is not None else Const(None)))
        return expressions.MapValue(tuple(entries))
    if kind == "script":
        return script_value(node, param, ctx)
    if kind == "value":
        return _parameter_value(node, ctx)
    ctx.strict("unsupported_element", f"camunda:{kind} is not supported in a parameter", param)
    return None


def script_value(script: Element, owner: Element, ctx: ParseContext) -> Evaluable | None:
    """A ``camunda:script`` parameter value: FEEL only (other languages are refused)."""
    language = (attr(script, "scriptFormat") or "feel").lower()
    body = text(script)
    if attr(script, "resource"):
        message = "external script resources are not supported"
        ctx.strict("unsupported_script", message, owner, hint="use FEEL")
        return None
    if body is None:
        return Const(None)
    if language in ("feel", "juel"):
        dialect = "auto" if language == "feel" else "juel"
        return ctx.expression(body, owner, f"{language} script", dialect=dialect)
    ctx.strict(
        "unsupported_script",
        f"{language} scripts are not supported (nothing in a model is executed as code)",
        owner,
        hint="use FEEL",
    )
    return None
