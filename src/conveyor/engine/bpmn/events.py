"""Root elements (message, signal, error, escalation) and event definitions.

Event definitions resolve their ``messageRef`` / ``signalRef`` / ``errorRef`` /
``escalationRef`` against the file's root elements; a reference to an id that does
not exist is kept in ``unresolved_ref`` and reported with a "did you mean".
"""

from __future__ import annotations

import difflib
from collections.abc import Collection

from conveyor.engine.bpmn import expressions
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.model import (
    Const,
    ErrorDef,
    EscalationDef,
    Evaluable,
    EventDefinition,
    MessageDef,
    SignalDef,
    TimerKind,
    Trigger,
)
from conveyor.engine.bpmn.timers import check_timer
from conveyor.engine.bpmn.xml import (
    CAMUNDA_NS,
    CONVEYOR_NS,
    ZEEBE_NS,
    Element,
    attr,
    attr_bool,
    bpmn_child,
    bpmn_children,
    extension_element,
    line,
    local,
    qname_local,
    text,
)

_TRIGGERS = {
    "messageEventDefinition": Trigger.MESSAGE,
    "timerEventDefinition": Trigger.TIMER,
    "signalEventDefinition": Trigger.SIGNAL,
    "errorEventDefinition": Trigger.ERROR,
    "escalationEventDefinition": Trigger.ESCALATION,
    "terminateEventDefinition": Trigger.TERMINATE,
    "linkEventDefinition": Trigger.LINK,
    "compensateEventDefinition": Trigger.COMPENSATE,
    "conditionalEventDefinition": Trigger.CONDITIONAL,
    "cancelEventDefinition": Trigger.CANCEL,
}
_TIMER_KINDS = {"timeDate": TimerKind.DATE, "timeDuration": TimerKind.DURATION, "timeCycle": TimerKind.CYCLE}


def read_roots(definitions: Element, ctx: ParseContext) -> None:
    """Read ``message``, ``signal``, ``error`` and ``escalation`` root elements into ``ctx``."""
    for el in bpmn_children(definitions):
        kind, el_id = local(el), attr(el, "id")
        if el_id is None or kind not in ("message", "signal", "error", "escalation"):
            continue
        name = attr(el, "name")
        if kind == "message":
            ctx.messages[el_id] = _message(el, el_id, name, ctx)
        elif kind == "signal":
            ctx.signals[el_id] = SignalDef(el_id, name or el_id, line(el))
        elif kind == "error":
            ctx.errors[el_id] = ErrorDef(el_id, name, attr(el, "errorCode"), line(el))
        else:
            ctx.escalations[el_id] = EscalationDef(el_id, name, attr(el, "escalationCode"), line(el))


def _message(el: Element, el_id: str, name: str | None, ctx: ParseContext) -> MessageDef:
    """A message, with the expression whose value correlates it to an instance (if the model says).

    ``zeebe:subscription correlationKey="=orderId"`` (Camunda 8) or ``conveyor:correlationKey``
    on the message; Camunda 7 models correlate through the API instead."""
    key = None
    subscription = extension_element(el, ZEEBE_NS, "subscription")
    key_text = attr(el, "correlationKey", CONVEYOR_NS)
    at = el
    if key_text is None and subscription is not None:
        key_text, at = attr(subscription, "correlationKey"), subscription
    if key_text is not None:
        key = ctx.expression(key_text, at, "correlation key")
    return MessageDef(el_id, name or el_id, key, line(el))


def event_definitions(event: Element, ctx: ParseContext) -> tuple[EventDefinition, ...]:
    """Every ``*EventDefinition`` child of an event, read into ``EventDefinition`` specs."""
    found: list[EventDefinition] = []
    for el in bpmn_children(event):
        trigger = _TRIGGERS.get(local(el))
        if trigger is not None:
            found.append(_definition(el, trigger, ctx))
        elif local(el) == "eventDefinitionRef":
            ctx.strict(
                "unsupported_element",
                "eventDefinitionRef (a shared event definition) is not supported",
                event,
                hint="put the event definition inside the event",
            )
    return tuple(found)


def _resolve(el: Element, ref_attr: str, table: Collection[str], what: str, ctx: ParseContext) -> str | None:
    """The referenced id, reporting it when it names no root element of the file."""
    ref = qname_local(attr(el, ref_attr))
    if ref is None or ref in table:
        return ref
    close = difflib.get_close_matches(ref, list(table), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"add a <{what} id={ref!r}> to the definitions"
    ctx.strict("unknown_reference", f"{ref_attr} {ref!r} names no {what} in this file", _owner(el), hint=hint)
    return ref


def _definition(el: Element, trigger: Trigger, ctx: ParseContext) -> EventDefinition:
    el_id = attr(el, "id")
    if trigger is Trigger.MESSAGE:
        ref = _resolve(el, "messageRef", ctx.messages, "message", ctx)
        msg = ctx.messages.get(ref) if ref else None
        return EventDefinition(trigger, el_id, message=msg, unresolved_ref=None if msg or not ref else ref)
    if trigger is Trigger.SIGNAL:
        ref = _resolve(el, "signalRef", ctx.signals, "signal", ctx)
        sig = ctx.signals.get(ref) if ref else None
        return EventDefinition(trigger, el_id, signal=sig, unresolved_ref=None if sig or not ref else ref)
    if trigger is Trigger.ERROR:
        ref = _resolve(el, "errorRef", ctx.errors, "error", ctx)
        err = ctx.errors.get(ref) if ref else None
        return EventDefinition(
            trigger,
            el_id,
            error=err,
            unresolved_ref=None if err or not ref else ref,
            code_variable=attr(el, "errorCodeVariable", CAMUNDA_NS),
            message_variable=attr(el, "errorMessageVariable", CAMUNDA_NS),
        )
    if trigger is Trigger.ESCALATION:
        ref = _resolve(el, "escalationRef", ctx.escalations, "escalation", ctx)
        esc = ctx.escalations.get(ref) if ref else None
        return EventDefinition(
            trigger,
            el_id,
            escalation=esc,
            unresolved_ref=None if esc or not ref else ref,
            code_variable=attr(el, "escalationCodeVariable", CAMUNDA_NS),
        )
    if trigger is Trigger.TIMER:
        return _timer(el, el_id, ctx)
    if trigger is Trigger.LINK:
        # modelers name the link on the definition; some only name the event itself
        return EventDefinition(trigger, el_id, link_name=attr(el, "name") or attr(_owner(el), "name"))
    if trigger is Trigger.COMPENSATE:
        return EventDefinition(
            trigger,
            el_id,
            activity_ref=qname_local(attr(el, "activityRef")),
            wait_for_completion=attr_bool(el, "waitForCompletion", True),
        )
    if trigger is Trigger.CONDITIONAL:
        body = text(bpmn_child(el, "condition"))
        condition = ctx.condition(body, el, "event condition") if body else None
        return EventDefinition(trigger, el_id, condition=condition)
    return EventDefinition(trigger, el_id)


def _owner(el: Element) -> Element:
    """The event an event definition belongs to (problems are reported on the event)."""
    parent = el.getparent()
    return parent if parent is not None else el


def _timer(el: Element, el_id: str | None, ctx: ParseContext) -> EventDefinition:
    for child in bpmn_children(el):
        kind = _TIMER_KINDS.get(local(child))
        if kind is None:
            continue
        body = text(child)
        if body is None:
            ctx.strict(
                "timer_without_value",
                f"the timer's {local(child)} is empty",
                _owner(el),
                hint="write an ISO 8601 value such as PT5M, or an expression such as =dueDate",
            )
            return EventDefinition(Trigger.TIMER, el_id, timer_kind=kind)
        value = _timer_value(kind, body, _owner(el), ctx)
        return EventDefinition(Trigger.TIMER, el_id, timer_kind=kind, timer_value=value)
    ctx.strict(
        "timer_without_value",
        "the timer has no timeDate, timeDuration or timeCycle",
        _owner(el),
        hint="set the timer's type and value in the modeler",
    )
    return EventDefinition(Trigger.TIMER, el_id)


def _timer_value(kind: TimerKind, body: str, event: Element, ctx: ParseContext) -> Evaluable | None:
    if body.startswith(("=", "${", "#{")):
        return ctx.expression(body, event, "timer expression")
    literal = expressions.strip_quotes(body)
    problem = check_timer(kind, literal)
    if problem:
        ctx.strict(
            "bad_timer",
            f"the timer value is not valid: {problem}",
            event,
            hint="use ISO 8601 (PT15M, 2026-03-01T09:00:00Z, R3/PT1H), a cron cycle (0 0 9 * * MON-FRI)"
            " or an expression such as =dueDate",
        )
    return Const(literal, source=body)
