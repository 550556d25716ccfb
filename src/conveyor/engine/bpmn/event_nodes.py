"""Building event specs and refusing event kinds the runtime cannot run.

Which triggers an event may have depends on where it is: a process starts on none,
message, timer or signal; an event sub-process starts on message, timer, signal,
error or escalation; an embedded sub-process starts on none. Conditional events
and cancel events (which belong to transactions) are not supported and are refused
in executable processes.
"""

from __future__ import annotations

from typing import Any

from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.events import event_definitions
from conveyor.engine.bpmn.extensions import binding
from conveyor.engine.bpmn.model import BoundaryEvent, Event, EventDefinition, NodeKind, Trigger
from conveyor.engine.bpmn.xml import Element, attr, attr_bool, qname_local

T = Trigger
#: scope kind -> triggers allowed on its start events
_START = {
    "process": {T.NONE, T.MESSAGE, T.TIMER, T.SIGNAL},
    "subProcess": {T.NONE},
    "eventSubProcess": {T.MESSAGE, T.TIMER, T.SIGNAL, T.ERROR, T.ESCALATION},
}
_ALLOWED = {
    NodeKind.END_EVENT: {T.NONE, T.MESSAGE, T.SIGNAL, T.ERROR, T.ESCALATION, T.TERMINATE, T.COMPENSATE},
    NodeKind.INTERMEDIATE_CATCH_EVENT: {T.MESSAGE, T.TIMER, T.SIGNAL, T.LINK},
    NodeKind.INTERMEDIATE_THROW_EVENT: {T.NONE, T.MESSAGE, T.SIGNAL, T.ESCALATION, T.LINK, T.COMPENSATE},
    NodeKind.BOUNDARY_EVENT: {T.MESSAGE, T.TIMER, T.SIGNAL, T.ERROR, T.ESCALATION, T.COMPENSATE},
}
_HINTS = {
    T.CONDITIONAL: "conditional events are not supported; use a message or signal event that the "
    "code changing the data sends",
    T.CANCEL: "cancel events belong to transactions, which are not supported; use an error event",
    T.LINK: "link events are intermediate events: a link throw jumps to the link catch with the same name",
}


def build_event(
    el: Element, kind: NodeKind, common: dict[str, Any], scope_kind: str, ctx: ParseContext
) -> Event:
    definitions = event_definitions(el, ctx)
    _check_triggers(el, kind, definitions, scope_kind, ctx)
    task_type = None
    if kind in _THROWING and any(d.trigger is T.MESSAGE for d in definitions):
        task_type = binding(el, ctx).task_type
    _check_names(el, kind, definitions, ctx, sent_by_handler=task_type is not None)
    parallel = attr_bool(el, "parallelMultiple", False)
    if kind is NodeKind.BOUNDARY_EVENT:
        return BoundaryEvent(
            **common,
            definitions=definitions,
            parallel_multiple=parallel,
            attached_to=qname_local(attr(el, "attachedToRef")) or "",
            cancel_activity=attr_bool(el, "cancelActivity", True),
        )
    interrupting = attr_bool(el, "isInterrupting", True) if kind is NodeKind.START_EVENT else True
    return Event(
        **common,
        definitions=definitions,
        interrupting=interrupting,
        parallel_multiple=parallel,
        task_type=task_type,
    )


_THROWING = (NodeKind.END_EVENT, NodeKind.INTERMEDIATE_THROW_EVENT)


def _check_names(
    el: Element,
    kind: NodeKind,
    definitions: tuple[EventDefinition, ...],
    ctx: ParseContext,
    sent_by_handler: bool,
) -> None:
    """A message or signal event must say which one (a broken reference was reported already)."""
    for d in definitions:
        if d.unresolved_ref is not None:
            continue
        if d.trigger is T.MESSAGE and d.message is None and not sent_by_handler:
            report = ctx.run_warning if kind in _THROWING else ctx.strict
            report(
                "message_without_name",
                "the message event names no message (messageRef)",
                el,
                hint="choose or create the message in the modeler",
            )
        if kind in _THROWING and d.trigger in (T.ERROR, T.ESCALATION):
            thrown = d.error.code if d.error else d.escalation.code if d.escalation else None
            if thrown is None:
                ctx.run_warning(
                    f"{d.trigger.value}_without_code",
                    f"the {d.trigger.value} event throws no {d.trigger.value} code: "
                    f"only catch-all {d.trigger.value} events will catch it",
                    el,
                    hint=f"choose or create the {d.trigger.value} (with its code) in the modeler",
                )
        if d.trigger is T.SIGNAL and d.signal is None:
            ctx.strict(
                "signal_without_name",
                "the signal event names no signal (signalRef)",
                el,
                hint="choose or create the signal in the modeler",
            )


def _check_triggers(
    el: Element,
    kind: NodeKind,
    definitions: tuple[EventDefinition, ...],
    scope_kind: str,
    ctx: ParseContext,
) -> None:
    triggers = [d.trigger for d in definitions] or [T.NONE]
    if kind is NodeKind.START_EVENT:
        allowed = _START[scope_kind]
        where = {
            "process": "the start event of a process",
            "subProcess": "the start event of an embedded sub-process",
        }.get(scope_kind, "the start event of an event sub-process")
    else:
        allowed = _ALLOWED.get(kind, set())
        where = f"an {kind.value}" if kind.value[0] in "aeiou" else f"a {kind.value}"
    if kind is NodeKind.INTERMEDIATE_CATCH_EVENT and not definitions:
        ctx.strict(
            "catch_event_without_definition",
            "the intermediate catch event waits for nothing: it has no event definition",
            el,
            hint="make it a message, timer, signal or link catch event",
        )
        return
    for trigger in triggers:
        if trigger in allowed:
            continue
        hint = _HINTS.get(trigger) or f"{where} can be: {', '.join(sorted(t.value for t in allowed))}"
        ctx.strict(
            "unsupported_element",
            f"a {trigger.value} event is not supported as {where}",
            el,
            hint=hint,
        )
