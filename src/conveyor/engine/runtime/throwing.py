"""Errors, escalations, compensation and terminate: events that act on enclosing scopes.

An error or escalation looks for a catcher from the thrower outwards: the
throwing activity's own boundary events, then the event sub-processes of its
scope, then the boundary events of the activity that owns that scope, and so on
up to the process. At each level a catcher naming the code wins over a
catch-all one. An uncaught error becomes an incident on the thrower (or, in a
called instance, escapes to the parent's call activity); an uncaught
escalation is only reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conveyor.engine.bpmn.model import BoundaryEvent, Event, EventDefinition, Trigger
from conveyor.engine.runtime import events, flow
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.effects import ErrorEscaped, EscalationUncaught
from conveyor.engine.runtime.records import EVENT_SUBPROCESS, LOOP, Token


@dataclass(frozen=True, slots=True)
class Catch:
    node: str  # the boundary event, or the event sub-process's start event
    interrupting: bool
    activity: Token | None = None  # for a boundary event
    scope: int = 0  # for an event sub-process


def _matches(definition: EventDefinition, trigger: Trigger, code: str | None) -> int:
    """2: names this code, 1: catches any, 0: no."""
    if definition.trigger is not trigger:
        return 0
    ref = definition.error if trigger is Trigger.ERROR else definition.escalation
    if ref is None or ref.code is None:
        return 1
    return 2 if ref.code == code else 0


def _best(candidates: list[tuple[int, Catch]]) -> Catch | None:
    found = [c for c in candidates if c[0]]
    if not found:
        return None
    return max(found, key=lambda c: c[0])[1]


def find_catch(core: Core, thrower: Token, trigger: Trigger, code: str | None, *, own: bool) -> Catch | None:
    nodes = core.proc.nodes
    activity: Token | None = thrower if own else None
    scope_id: int | None = thrower.scope
    while True:
        if activity is not None and not activity.inner:
            candidates = []
            for boundary in core.proc.info[activity.node].boundaries:
                for definition in boundary.definitions:
                    rank = _matches(definition, trigger, code)
                    candidates.append((rank, Catch(boundary.id, boundary.cancel_activity, activity=activity)))
            found = _best(candidates)
            if found is not None:
                return found
        if scope_id is None:
            return None
        scope = core.scopes[scope_id]
        if scope.kind != LOOP:
            candidates = []
            for esp in core.proc.event_subprocesses.get(scope.node, ()):
                for start_id in esp.body.start_events:
                    start = nodes[start_id]
                    if isinstance(start, Event) and start.definitions:
                        rank = _matches(start.definitions[0], trigger, code)
                        candidates.append((rank, Catch(start_id, start.interrupting, scope=scope_id)))
            found = _best(candidates)
            if found is not None:
                return found
        if scope.owner is None:
            return None
        activity = core.tokens.get(scope.owner)
        scope_id = scope.parent


def _activate(core: Core, catch: Catch, variables: Mapping[str, Any] | None) -> None:
    if catch.activity is not None:
        events.fire_boundary(core, catch.activity, catch.node, variables)
    else:
        events.start_event_subprocess(core, catch.scope, catch.node, variables, catch.interrupting)


def throw_error(
    core: Core,
    thrower: Token,
    code: str,
    message: str,
    variables: Mapping[str, Any] | None,
    *,
    own: bool,
) -> None:
    """Route a BPMN error to its catcher; uncaught, it is an incident (or escapes to the parent)."""
    catch = find_catch(core, thrower, Trigger.ERROR, code, own=own)
    if catch is not None:
        payload = dict(variables or {})
        _activate(core, catch, payload)
        return
    if core.parent is not None:
        parent_id, wait_id = core.parent
        core.effects.append(ErrorEscaped(parent_id, wait_id, code, message, dict(variables or {})))
        flow.finish_instance(core, "terminated")
        return
    detail = f": {message}" if message and message != f"BPMN error {code}" else ""
    raise Stuck(f"BPMN error {code!r} was not caught by any boundary or event sub-process{detail}")


def throw_escalation(core: Core, thrower: Token, code: str | None, *, own: bool = False) -> None:
    """Route an escalation; the thrower goes on unless an interrupting catcher cancels it."""
    catch = find_catch(core, thrower, Trigger.ESCALATION, code, own=own)
    if catch is None:
        core.effects.append(EscalationUncaught(code, thrower.node))
        return
    _activate(core, catch, None)


def terminate(core: Core, token: Token) -> None:
    """A terminate end event ends its whole scope: the process, or the enclosing sub-process."""
    scope_id = token.scope
    scope = core.scopes[scope_id]
    core.tokens.pop(token.id, None)
    if scope.owner is None:
        flow.finish_instance(core, "completed", "terminate end event " + token.node)
        return
    core.cancel_scope(scope_id, keep=True)
    flow.complete_scope(core, scope_id)


# --- compensation -------------------------------------------------------------------------------


def compensate(core: Core, thrower: Token, definition: EventDefinition) -> bool:
    """Start the compensation handlers; True when the thrower must wait for them."""
    scope_id = thrower.scope
    scope = core.scopes[scope_id]
    if scope.kind == EVENT_SUBPROCESS and scope.parent is not None:
        scope_id = scope.parent
    entries: list[list[Any]] = []
    if definition.activity_ref:
        cursor: int | None = scope_id
        while cursor is not None and not entries:
            done = core.scopes[cursor].done or []
            if definition.activity_ref in done:
                done.remove(definition.activity_ref)
                entries.append([definition.activity_ref, cursor])
            cursor = core.scopes[cursor].parent
    else:
        done = core.scopes[scope_id].done or []
        entries = [[activity, scope_id] for activity in reversed(done)]
        core.scopes[scope_id].done = None
    if not entries:
        return False
    if definition.wait_for_completion:
        thrower.pending = entries[1:]
        _start_handler(core, entries[0], thrower.id)
        return True
    for entry in entries:
        _start_handler(core, entry, -1)
    return False


def _start_handler(core: Core, entry: list[Any], thrower_id: int) -> None:
    activity_id, scope_id = entry
    activity = core.proc.nodes[activity_id]
    handler = getattr(activity, "compensation_handler", None)
    if handler is None:
        for boundary in core.proc.info[activity_id].boundaries:
            if isinstance(boundary, BoundaryEvent) and boundary.trigger is Trigger.COMPENSATE:
                handler = boundary.outgoing[0] if boundary.outgoing else None
    if handler is None:
        raise Stuck(f"activity {activity_id!r} is marked for compensation but has no compensation handler")
    token = core.new_token(handler, scope_id)
    token.comp = thrower_id
    core.ready.append(token)


def handler_done(core: Core, handler: Token) -> None:
    """A compensation handler finished: start the next one, or let the thrower go on."""
    if handler.comp == -1:
        flow.end_token(core, handler)
        return
    core.tokens.pop(handler.id, None)
    thrower = core.tokens.get(handler.comp)
    if thrower is None:
        return
    if thrower.pending:
        _start_handler(core, thrower.pending.pop(0), thrower.id)
        return
    thrower.pending = None
    flow.leave(core, thrower, core.proc.info[thrower.node])
