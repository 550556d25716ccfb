"""Building activity specs: tasks of every kind and call activities.

Sub-processes are built by ``scopes`` (they hold a scope); everything an activity
shares (loops, async flags, mappings, default flow, retries) arrives here in
``common`` and each kind adds its own fields.
"""

from __future__ import annotations

import difflib
from typing import Any

from conveyor.engine.bpmn import expressions, extensions
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.expressions import VariableRef
from conveyor.engine.bpmn.model import (
    Activity,
    BusinessRuleTask,
    CallActivity,
    Evaluable,
    MessageDef,
    NodeKind,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    UserTask,
    VariableMapping,
)
from conveyor.engine.bpmn.user_tasks import user_task_fields
from conveyor.engine.bpmn.xml import (
    CAMUNDA_NS,
    ZEEBE_NS,
    Element,
    attr,
    attr_bool,
    bpmn_child,
    extension_element,
    extension_elements,
    qname_local,
    text,
)
from conveyor.engine.errors import ExpressionError

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
#: Camunda 7 ``mapDecisionResult`` modes, and ``value`` (Camunda 8: the decision's value as is)
DECISION_RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList", "value")


def build_task(el: Element, kind: NodeKind, common: dict[str, Any], ctx: ParseContext) -> Activity:
    if kind in (NodeKind.SERVICE_TASK, NodeKind.SEND_TASK):
        return _service(el, common, ctx)
    if kind is NodeKind.RECEIVE_TASK:
        message = _message(el, ctx)
        if message is None and attr(el, "messageRef") is None:
            ctx.strict(
                "message_without_name",
                "the receive task waits for no message: it has no messageRef",
                el,
                hint="choose or create the message it waits for in the modeler",
            )
        return ReceiveTask(**common, message=message, instantiate=attr_bool(el, "instantiate", False))
    if kind is NodeKind.USER_TASK:
        return UserTask(**common, **user_task_fields(el, ctx))
    if kind is NodeKind.SCRIPT_TASK:
        return _script(el, common, ctx)
    if kind is NodeKind.BUSINESS_RULE_TASK:
        return _business_rule(el, common, ctx)
    if kind is NodeKind.CALL_ACTIVITY:
        return _call_activity(el, common, ctx)
    return Activity(**common)


def _message(el: Element, ctx: ParseContext) -> MessageDef | None:
    ref = qname_local(attr(el, "messageRef"))
    if ref is None:
        return None
    if ref not in ctx.messages:
        close = difflib.get_close_matches(ref, list(ctx.messages), n=1)
        ctx.strict(
            "unknown_reference",
            f"messageRef {ref!r} names no message in this file",
            el,
            hint=f"did you mean {close[0]!r}?" if close else f"add a <message id={ref!r}> to the definitions",
        )
        return None
    return ctx.messages[ref]


def _service(el: Element, common: dict[str, Any], ctx: ParseContext) -> ServiceTask:
    bound = extensions.binding(el, ctx)
    if bound.retries is not None and common.get("retries") is None:
        common = {**common, "retries": bound.retries}
    message = _message(el, ctx) if common["kind"] is NodeKind.SEND_TASK else None
    if bound.task_type is None and bound.expression is None and common["kind"] is NodeKind.SERVICE_TASK:
        ctx.run_warning(
            "service_task_without_type",
            "the service task has no task type, so it will complete without doing anything",
            el,
            hint="set zeebe:taskDefinition type, camunda:topic, camunda:delegateExpression "
            "or conveyor:handler",
        )
    return ServiceTask(
        **common,
        task_type=bound.task_type,
        expression=bound.expression,
        result_variable=bound.result_variable,
        headers=bound.headers,
        message=message,
    )


_SCRIPT_DIALECTS = {"feel": "feel", "juel": "juel", "python": "python", "text/x-python": "python"}


def _script(el: Element, common: dict[str, Any], ctx: ParseContext) -> ScriptTask:
    zeebe = extension_element(el, ZEEBE_NS, "script")
    fmt = attr(el, "scriptFormat")
    body = text(bpmn_child(el, "script"))
    result = attr(el, "resultVariable", CAMUNDA_NS)
    if zeebe is not None:
        body, fmt = attr(zeebe, "expression"), fmt or "feel"
        result = attr(zeebe, "resultVariable") or result
    if attr(el, "resource", CAMUNDA_NS):
        ctx.strict("unsupported_script", "external script resources are not supported", el, hint="use FEEL")
        return ScriptTask(**common, script_format=fmt, result_variable=result)
    if body is None:
        job = extension_element(el, ZEEBE_NS, "taskDefinition") is not None
        hint = "use a service task for work done by a job worker" if job else "write a FEEL expression"
        ctx.strict("script_without_body", "the script task has no script", el, hint=hint)
        return ScriptTask(**common, script_format=fmt, result_variable=result)
    dialect = _SCRIPT_DIALECTS.get(fmt.lower()) if fmt else "auto"
    if dialect is None:
        ctx.strict(
            "unsupported_script",
            f"{fmt} scripts are not supported: nothing in a model is executed as code",
            el,
            hint="use FEEL (scriptFormat='feel'): an expression whose value goes to the result variable",
        )
        return ScriptTask(**common, script_format=fmt, result_variable=result)
    if dialect in ("feel", "juel"):
        # Camunda 8 writes FEEL with a leading '=', which "auto" strips
        script = ctx.expression(body, el, f"{fmt} script", dialect="auto" if dialect == "feel" else dialect)
        if script is None:
            return ScriptTask(**common, script_format=fmt, result_variable=result)
    else:
        try:
            script = _compile_script(body, dialect)
        except ExpressionError as err:
            ctx.strict(
                "unsupported_script",
                f"the script cannot run: {err.message}",
                el,
                hint="only single expressions run (FEEL, or a simple Python comparison); "
                "Python statements are never executed -- rewrite it in FEEL with a result variable",
            )
            return ScriptTask(**common, script_format=fmt, result_variable=result)
    if result is None:
        ctx.run_warning(
            "script_result_unused",
            "the script's value is not stored: the script task has no result variable",
            el,
            hint="set camunda:resultVariable or zeebe:script resultVariable",
        )
    return ScriptTask(**common, script_format=fmt, script=script, result_variable=result)


def _compile_script(body: str, dialect: str) -> Evaluable:
    """A script without format is tried as FEEL, then as a Python expression (Spiff models).

    Python statements (``x = 1``, ``print(x)``, several lines) are refused before FEEL
    sees them: ``x = 1`` is also a valid FEEL comparison, which would silently do nothing.
    """
    if expressions.looks_like_python_statements(body):
        raise ExpressionError("Python statements (assignments, calls, several lines) are not supported")
    if dialect == "python":
        return expressions.compile_text(body, dialect="python")
    try:
        feel = expressions.compile_text(body, dialect="auto")
    except ExpressionError as err:
        try:
            return expressions.compile_text(body, dialect="python")
        except ExpressionError:
            raise err from None
    return expressions.prefer_python_comparison(body, feel)


def _business_rule(el: Element, common: dict[str, Any], ctx: ParseContext) -> BusinessRuleTask:
    called = extension_element(el, ZEEBE_NS, "calledDecision")
    spiff = text(extension_element(el, SPIFF_NS, "calledDecisionId"))
    decision = attr(el, "decisionRef", CAMUNDA_NS) or spiff
    result = attr(el, "resultVariable", CAMUNDA_NS)
    mapping = attr(el, "mapDecisionResult", CAMUNDA_NS) or "resultList"
    if called is not None:
        decision = attr(called, "decisionId") or decision
        result = attr(called, "resultVariable") or result
        mapping = "value"  # Camunda 8 stores the decision's value as it is
    if decision is not None and decision.startswith(("${", "#{", "=")):
        ctx.strict(
            "unsupported_decision_ref",
            f"the decision reference {decision!r} is an expression, which is not supported",
            el,
            hint="name the decision's id; choose between decisions with a gateway",
        )
    if mapping not in DECISION_RESULT_MAPPINGS:
        ctx.strict(
            "bad_decision_result_mapping",
            f"camunda:mapDecisionResult {mapping!r} is not a known mapping",
            el,
            hint="use singleEntry, singleResult, collectEntries or resultList",
        )
    bound = extensions.binding(el, ctx)
    if decision is None and bound.task_type is None:
        ctx.strict(
            "business_rule_task_without_decision",
            "the business rule task names no decision and no handler",
            el,
            hint="set camunda:decisionRef or zeebe:calledDecision decisionId",
        )
    version = attr(el, "decisionRefVersion", CAMUNDA_NS)
    return BusinessRuleTask(
        **common,
        decision_ref=decision,
        result_variable=result,
        map_decision_result=mapping,
        binding=attr(el, "decisionRefBinding", CAMUNDA_NS) or "latest",
        version=int(version) if version and version.isdigit() else None,
        task_type=bound.task_type if decision is None else None,
    )


def _call_activity(el: Element, common: dict[str, Any], ctx: ParseContext) -> CallActivity:
    zeebe = extension_element(el, ZEEBE_NS, "calledElement")
    called_text = attr(el, "calledElement")
    propagate_in = propagate_out = True
    if zeebe is not None:
        called_text = attr(zeebe, "processId") or called_text
        propagate_in = attr_bool(zeebe, "propagateAllParentVariables", True)
        propagate_out = attr_bool(zeebe, "propagateAllChildVariables", True)
    called = ctx.value(called_text, el, "called element") if called_text else None
    if called is None and called_text is None:
        message = "the call activity names no process"
        ctx.strict("call_activity_without_process", message, el, hint="set calledElement")
    inputs, outputs, business_key = _camunda_in_out(el, ctx)
    if zeebe is None and (inputs or outputs):
        # Camunda 7: only what is mapped crosses, unless variables="all" says otherwise
        propagate_in = any(m.all_variables for m in inputs)
        propagate_out = any(m.all_variables for m in outputs)
    version = attr(el, "calledElementVersion", CAMUNDA_NS)
    return CallActivity(
        **{**common, "inputs": common["inputs"] + inputs, "outputs": common["outputs"] + outputs},
        called_element=called,
        binding=_binding(el, zeebe),
        version=int(version) if version and version.isdigit() else None,
        propagate_all_in=propagate_in,
        propagate_all_out=propagate_out,
        business_key=business_key,
    )


def _binding(el: Element, zeebe: Element | None) -> str:
    own = attr(el, "calledElementBinding", CAMUNDA_NS)
    if own is None and zeebe is not None:
        own = attr(zeebe, "bindingType")
    return own or "latest"


def _camunda_in_out(
    el: Element, ctx: ParseContext
) -> tuple[tuple[VariableMapping, ...], tuple[VariableMapping, ...], Evaluable | None]:
    found: dict[str, list[VariableMapping]] = {"in": [], "out": []}
    business_key: Evaluable | None = None
    for direction in ("in", "out"):
        for m in extension_elements(el, CAMUNDA_NS, direction):
            if attr(m, "businessKey") is not None:
                business_key = ctx.value(attr(m, "businessKey"), m, "business key")
                continue
            local_only = attr_bool(m, "local", False)
            if attr(m, "variables") == "all":
                found[direction].append(VariableMapping("", all_variables=True, local=local_only))
                continue
            source: Evaluable | None = None
            if attr(m, "sourceExpression") is not None:
                source = ctx.expression(attr(m, "sourceExpression") or "", m, "source expression")
            elif attr(m, "source") is not None:
                name = attr(m, "source") or ""
                source = VariableRef(name, source=name)
            target = attr(m, "target") or attr(m, "source")
            if target is None:
                ctx.strict("mapping_without_target", f"a camunda:{direction} mapping has no target", m)
                continue
            found[direction].append(VariableMapping(target, source, local=local_only))
    return tuple(found["in"]), tuple(found["out"]), business_key
