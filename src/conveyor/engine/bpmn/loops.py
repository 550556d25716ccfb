"""Loop characteristics: multi-instance (standard, Camunda 7, Camunda 8) and standard loops.

All three multi-instance flavours are read into one ``MultiInstance``:
- BPMN: ``loopCardinality``, ``loopDataInputRef`` + ``inputDataItem``,
  ``loopDataOutputRef`` + ``outputDataItem``, ``completionCondition``;
- Camunda 7: ``camunda:collection`` (``${list}`` or a variable name), ``camunda:elementVariable``;
- Camunda 8: ``zeebe:loopCharacteristics inputCollection inputElement outputCollection outputElement``.
"""

from __future__ import annotations

from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.expressions import VariableRef
from conveyor.engine.bpmn.model import Const, Evaluable, MultiInstance, StandardLoop
from conveyor.engine.bpmn.xml import (
    CAMUNDA_NS,
    ZEEBE_NS,
    Element,
    attr,
    attr_bool,
    bpmn_child,
    extension_element,
    qname_local,
    text,
)


def read_loop(activity: Element, ctx: ParseContext) -> MultiInstance | StandardLoop | None:
    multi = bpmn_child(activity, "multiInstanceLoopCharacteristics")
    if multi is not None:
        return _multi_instance(multi, activity, ctx)
    standard = bpmn_child(activity, "standardLoopCharacteristics")
    if standard is not None:
        return _standard_loop(standard, activity, ctx)
    return None


def _formal(el: Element | None, activity: Element, what: str, ctx: ParseContext) -> Evaluable | None:
    body = text(el)
    if body is None or el is None:
        return None
    if body.isdigit():
        return Const(int(body), source=body)
    return ctx.condition(body, activity, what, attr(el, "language"))


def _variable_or_expression(value: str | None, at: Element, what: str, ctx: ParseContext) -> Evaluable | None:
    """``${items}`` / ``=items`` are expressions; a bare name is that variable."""
    if value is None:
        return None
    if value.startswith(("=", "${", "#{")):
        return ctx.expression(value, at, what)
    return VariableRef(value, source=value)


def _multi_instance(el: Element, activity: Element, ctx: ParseContext) -> MultiInstance:
    collection: Evaluable | None = None
    element_variable: str | None = None
    output_collection: str | None = None
    output_element: Evaluable | None = None

    input_ref = text(bpmn_child(el, "loopDataInputRef"))
    if input_ref is not None:
        collection = VariableRef(qname_local(input_ref) or input_ref, source=input_ref)
    input_item = bpmn_child(el, "inputDataItem")
    if input_item is not None:
        element_variable = attr(input_item, "name") or attr(input_item, "id")
    output_ref = text(bpmn_child(el, "loopDataOutputRef"))
    if output_ref is not None:
        output_collection = qname_local(output_ref)
    output_item = bpmn_child(el, "outputDataItem")
    if output_item is not None:
        name = attr(output_item, "name") or attr(output_item, "id")
        output_element = VariableRef(name, source=name) if name else None

    camunda_collection = attr(el, "collection", CAMUNDA_NS)
    if camunda_collection is not None:
        collection = _variable_or_expression(camunda_collection, activity, "multi-instance collection", ctx)
    element_variable = attr(el, "elementVariable", CAMUNDA_NS) or element_variable

    zeebe = extension_element(el, ZEEBE_NS, "loopCharacteristics")
    if zeebe is not None:
        source = attr(zeebe, "inputCollection")
        if source is not None:
            collection = _variable_or_expression(source, zeebe, "multi-instance input collection", ctx)
        element_variable = attr(zeebe, "inputElement") or element_variable
        output_collection = attr(zeebe, "outputCollection") or output_collection
        produced = attr(zeebe, "outputElement")
        if produced is not None:
            output_element = _variable_or_expression(produced, zeebe, "multi-instance output element", ctx)

    cardinality = _formal(bpmn_child(el, "loopCardinality"), activity, "loop cardinality", ctx)
    if collection is None and cardinality is None:
        ctx.strict(
            "multi_instance_without_input",
            "the multi-instance activity has neither a collection nor a loop cardinality",
            activity,
            hint="set an input collection (zeebe:loopCharacteristics / camunda:collection) or a cardinality",
        )
    return MultiInstance(
        sequential=attr_bool(el, "isSequential", False),
        collection=collection,
        cardinality=cardinality,
        element_variable=element_variable,
        output_collection=output_collection,
        output_element=output_element,
        completion_condition=_formal(
            bpmn_child(el, "completionCondition"), activity, "completion condition", ctx
        ),
    )


def _standard_loop(el: Element, activity: Element, ctx: ParseContext) -> StandardLoop:
    maximum_text = attr(el, "loopMaximum")
    maximum: int | None = None
    if maximum_text is not None:
        if maximum_text.isdigit():
            maximum = int(maximum_text)
        else:
            ctx.strict("bad_loop_maximum", f"loopMaximum {maximum_text!r} is not a whole number", activity)
    condition = _formal(bpmn_child(el, "loopCondition"), activity, "loop condition", ctx)
    if condition is None and maximum is None:
        ctx.strict(
            "loop_without_condition",
            "the loop has neither a loop condition nor a loopMaximum, so it would never end",
            activity,
            hint="add a loopCondition (the loop repeats while it is true) or a loopMaximum",
        )
    return StandardLoop(condition=condition, test_before=attr_bool(el, "testBefore", False), maximum=maximum)
