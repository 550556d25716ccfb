"""Events: subscribing to messages, timers and signals, and what happens when one arrives.

A subscription is a wait record. Who it belongs to (``via``) decides what its
arrival does: a token parked at a catch event or receive task moves on; a
boundary event fires (cancelling its activity when interrupting); an
event-based gateway takes the winning target and drops the other subscriptions;
an event sub-process starts in its scope (cancelling the scope's tokens when
interrupting).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from conveyor.engine.bpmn.model import BoundaryEvent, Event, EventDefinition, MessageDef, SubProcess, Trigger
from conveyor.engine.runtime import activities, flow, timers
from conveyor.engine.runtime.compiled import SUBSCRIBED
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.effects import MessageThrown, SignalThrown
from conveyor.engine.runtime.records import (
    EVENT_SUBPROCESS,
    ON_BOUNDARY,
    ON_GATEWAY,
    ON_SCOPE,
    ON_TOKEN,
    Scope,
    Token,
    WaitRec,
)

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


def key_text(value: Any) -> str | None:
    """Correlation keys compare as text (``123`` the number matches ``"123"``)."""
    if value is None:
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- subscribing --------------------------------------------------------------------------------


def subscribe(
    core: Core, definition: EventDefinition, via: str, ref: int, node: str, scope_id: int
) -> WaitRec:
    trigger = definition.trigger
    if trigger is Trigger.MESSAGE:
        return subscribe_message(core, "message", via, ref, node, definition.message, scope_id)
    if trigger is Trigger.SIGNAL:
        name = definition.signal.name if definition.signal else None
        if not name:
            raise Stuck(f"{node!r} waits for a signal without a name")
        return core.add_wait("signal", via, ref, node, {"sig": name})
    if trigger is Trigger.TIMER:
        if definition.timer_value is None:
            raise Stuck(f"timer {node!r} has no date, duration or cycle")
        value = core.evaluate(definition.timer_value, scope_id)
        due, data = timers.first_due(definition.timer_kind, value, core.now)
        return core.add_wait("timer", via, ref, node, data, due)
    raise Stuck(f"{node!r}: cannot wait for a {trigger.value} event")


def subscribe_message(
    core: Core, kind: str, via: str, ref: int, node: str, message: MessageDef | None, scope_id: int
) -> WaitRec:
    if message is None or not message.name:
        raise Stuck(f"{node!r} waits for a message but the model names none")
    data: dict[str, Any] = {"msg": message.name}
    if message.correlation_key is not None:
        data["key"] = key_text(core.evaluate(message.correlation_key, scope_id))
    return core.add_wait(kind, via, ref, node, data)


def subscribe_boundaries(core: Core, token: Token, info: NodeInfo) -> None:
    for boundary in info.subscribed:
        subscribe(core, boundary.definitions[0], ON_BOUNDARY, token.id, boundary.id, token.scope)


def subscribe_scope(core: Core, scope: Scope) -> None:
    """Subscribe the message/timer/signal start events of the scope's event sub-processes."""
    for esp in core.proc.event_subprocesses.get(scope.node, ()):
        for start_id in _esp_starts(esp):
            start = core.proc.nodes[start_id]
            if isinstance(start, Event) and start.trigger in SUBSCRIBED:
                subscribe(core, start.definitions[0], ON_SCOPE, scope.id, start_id, scope.id)


def _esp_starts(esp: SubProcess) -> tuple[str, ...]:
    return esp.body.start_events or tuple(n.id for n in esp.body.nodes.values() if n.kind == "startEvent")


# --- arriving -----------------------------------------------------------------------------------


def trigger(core: Core, wait: WaitRec, payload: Mapping[str, Any] | None) -> None:
    """Something a wait was waiting for happened; move the instance until it waits again."""
    fire(core, wait, payload)
    core.run()


def fire(core: Core, wait: WaitRec, payload: Mapping[str, Any] | None) -> None:
    """Act on an arrived event (tokens it releases are queued, not yet moved)."""
    if wait.via == ON_TOKEN:
        del core.waits[wait.id]
        token = core.tokens[wait.ref]
        core.guard(_caught, token, payload)
    elif wait.via == ON_BOUNDARY:
        activity = core.tokens[wait.ref]
        boundary = core.proc.nodes[wait.node]
        _rearm_or_drop(core, wait, not isinstance(boundary, BoundaryEvent) or boundary.cancel_activity)
        core.guard(fire_boundary, activity, wait.node, payload)
    elif wait.via == ON_GATEWAY:
        gateway = core.tokens[wait.ref]
        core.drop_waits(gateway.id, ON_GATEWAY)
        core.guard(_gateway_chose, gateway, wait.node, payload)
    else:
        esp_start = core.proc.nodes[wait.node]
        interrupting = isinstance(esp_start, Event) and esp_start.interrupting
        _rearm_or_drop(core, wait, interrupting)
        scope_id = wait.ref
        owner = core.scopes[scope_id].owner
        anchor = core.tokens[owner] if owner is not None else None

        def start(c: Core, _anchor: Token | None = None) -> None:
            start_event_subprocess(c, scope_id, wait.node, payload, interrupting)

        if anchor is None:
            start(core)
        else:
            core.guard(start, anchor)


def _rearm_or_drop(core: Core, wait: WaitRec, interrupting: bool) -> None:
    """A non-interrupting timer cycle fires again; a one-shot timer is used up; an
    interrupting event's wait goes away with what it cancels anyway."""
    if wait.kind == "timer":
        following = (
            None if interrupting or wait.due is None else timers.next_due(wait.due, wait.data, now=core.now)
        )
        if following is None:
            core.waits.pop(wait.id, None)
        else:
            wait.due, wait.data = following
    elif interrupting:
        core.waits.pop(wait.id, None)


def _apply_payload(core: Core, node: Event | Any, scope_id: int, payload: Mapping[str, Any] | None) -> None:
    outputs = getattr(node, "outputs", ())
    if outputs:
        core.map_into(outputs, scope_id, scope_id, local=False, extra=payload or {})
    else:
        core.merge(scope_id, payload)


def _caught(core: Core, token: Token, payload: Mapping[str, Any] | None) -> None:
    info = core.proc.info[token.node]
    if info.is_activity:  # a receive task
        activities.write_result(core, token, info.node, payload)
        activities.complete(core, token, info)
        return
    _apply_payload(core, info.node, token.scope, payload)
    flow.leave(core, token, info)


def fire_boundary(core: Core, activity: Token, boundary_id: str, payload: Mapping[str, Any] | None) -> None:
    boundary = core.proc.nodes[boundary_id]
    assert isinstance(boundary, BoundaryEvent)
    scope_id = activity.scope
    if boundary.cancel_activity:
        core.cancel_token(activity)
    token = core.new_token(boundary_id, scope_id)
    core.hist("node.entered", boundary_id, token.id)
    _apply_payload(core, boundary, scope_id, payload)
    flow.leave(core, token, core.proc.info[boundary_id])


def _gateway_chose(core: Core, gateway: Token, target: str, payload: Mapping[str, Any] | None) -> None:
    info = core.proc.info[gateway.node]
    chosen = next(f for f in info.out if f.target == target)
    flow.leave(core, gateway, info, [chosen])
    core.ready.remove(gateway)
    core.hist("node.entered", target, gateway.id)
    _apply_payload(core, core.proc.nodes[target], gateway.scope, payload)
    flow.leave(core, gateway, core.proc.info[target])


def start_event_subprocess(
    core: Core, scope_id: int, start_id: str, payload: Mapping[str, Any] | None, interrupting: bool
) -> None:
    """Start the event sub-process whose start event is ``start_id`` inside scope ``scope_id``."""
    start = core.proc.nodes[start_id]
    esp_id = start.parent
    if interrupting:
        core.cancel_scope(scope_id, keep=True)
    esp_token = core.new_token(esp_id, scope_id)
    core.hist("node.entered", esp_id, esp_token.id)
    body = core.new_scope(EVENT_SUBPROCESS, esp_id, scope_id, esp_token.id)
    esp_token.local = body.id
    subscribe_scope(core, body)
    token = core.new_token(start_id, body.id)
    core.hist("node.entered", start_id, token.id)
    _apply_payload(core, start, body.id, payload)
    flow.leave(core, token, core.proc.info[start_id])


# --- entering event nodes ----------------------------------------------------------------------


def start_event(core: Core, token: Token, info: NodeInfo) -> None:
    flow.leave(core, token, info)


def boundary_event(core: Core, token: Token, info: NodeInfo) -> None:
    flow.leave(core, token, info)


def intermediate_catch(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, Event)
    definition = node.definitions[0] if node.definitions else None
    if definition is None or definition.trigger in (Trigger.NONE, Trigger.LINK):
        flow.leave(core, token, info)
    elif definition.trigger is Trigger.CONDITIONAL and definition.condition is not None:
        if core.evaluate(definition.condition, token.scope) is True:
            flow.leave(core, token, info)
        else:
            core.add_wait("condition", ON_TOKEN, token.id, node.id)
    else:
        subscribe(core, definition, ON_TOKEN, token.id, node.id, token.scope)


def payload_of(core: Core, node: Event | Any, scope_id: int) -> dict[str, Any]:
    """What a throw event or send task sends: its input mappings, evaluated."""
    return {m.target: core.evaluate(m.source, scope_id) if m.source else None for m in node.inputs}


def throw_message(core: Core, token: Token, node: Any, message: MessageDef | None) -> None:
    if message is None:  # drawn as a message flow to another pool: nothing this engine can route
        return
    key = None
    if message.correlation_key is not None:
        key = key_text(core.evaluate(message.correlation_key, token.scope))
    core.effects.append(MessageThrown(message.name, key, payload_of(core, node, token.scope), node.id))


def throw_signal(core: Core, token: Token, node: Event, definition: EventDefinition) -> None:
    if definition.signal is None:
        raise Stuck(f"{node.id!r} throws a signal but the model names none")
    name = definition.signal.name
    payload = payload_of(core, node, token.scope)
    core.effects.append(SignalThrown(name, payload, node.id))
    if name not in core.heard:
        core.heard.append(name)
    # the throwing instance hears its own signal at once (as in Camunda); the caller broadcasts
    # the effect to every instance, and this one ignores the echo (Instance.broadcast_signal)
    waiting = sorted(w.id for w in core.waits.values() if w.kind == "signal" and w.data.get("sig") == name)
    for wait_id in waiting:
        wait = core.waits.get(wait_id)
        if wait is not None and core.status == "active":
            fire(core, wait, payload)


def conditions_changed(core: Core) -> None:
    """Re-check conditional catch events after variables changed."""
    for wait in [w for w in core.waits.values() if w.kind == "condition"]:
        node = core.proc.nodes[wait.node]
        token = core.tokens[wait.ref]
        definition = node.definitions[0]  # type: ignore[attr-defined]
        if core.evaluate(definition.condition, token.scope) is True:
            trigger(core, wait, None)
