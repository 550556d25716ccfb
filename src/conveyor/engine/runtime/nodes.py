"""Entering a node: the dispatch from node kind to behaviour, events' enter logic, incidents.

Importing this module wires the runtime together (``core.HOOKS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from conveyor.engine.bpmn.model import ACTIVITY_KINDS, Event, NodeKind, Trigger
from conveyor.engine.runtime import activities, events, flow, gateways, tasks, throwing
from conveyor.engine.runtime.core import HOOKS, Core, Stuck
from conveyor.engine.runtime.effects import HistoryEvent
from conveyor.engine.runtime.records import ON_TOKEN, Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


_new = tuple.__new__


def enter(core: Core, token: Token, past_async: bool = False) -> None:
    info = core.proc.info[token.node]
    if not past_async:
        if core.record_history:
            core.history.append(_new(HistoryEvent, (core.now, "node.entered", token.node, token.id, None)))
        if info.node.async_before and not token.inner:
            core.add_job(token, "before")
            return
    ENTER[info.kind](core, token, info)


def _definition(info: NodeInfo) -> tuple[Event, Trigger]:
    node = info.node
    assert isinstance(node, Event)
    return node, node.trigger


def end_event(core: Core, token: Token, info: NodeInfo) -> None:
    node, trigger = _definition(info)
    if trigger is Trigger.TERMINATE:
        core.hist("node.completed", node.id, token.id)
        throwing.terminate(core, token)
        return
    if trigger is Trigger.ERROR:
        error = node.definitions[0].error
        code = (error.code or error.name or error.id) if error else ""
        throwing.throw_error(core, token, code or "", "", None, own=False)
        return
    if _throw(core, token, node, trigger):
        flow.leave(core, token, info)


def intermediate_throw(core: Core, token: Token, info: NodeInfo) -> None:
    node, trigger = _definition(info)
    if trigger is Trigger.LINK:
        name = node.definitions[0].link_name or ""
        target = core.proc.links.get((node.parent, name))
        if target is None:
            raise Stuck(f"link event {node.id!r}: no catching link event named {name!r} in the same scope")
        core.hist("node.completed", node.id, token.id)
        token.node = target
        token.flow = None
        core.ready.append(token)
        return
    if _throw(core, token, node, trigger):
        flow.leave(core, token, info)


def _throw(core: Core, token: Token, node: Event, trigger: Trigger) -> bool:
    """Throw what the event throws; True when the token goes on at once."""
    definition = node.definitions[0] if node.definitions else None
    if definition is None:
        return True
    if trigger is Trigger.MESSAGE and node.task_type:
        tasks.by_task_type(core, token, core.proc.info[node.id])  # it goes on when its job is done
        return False
    if trigger is Trigger.MESSAGE:
        events.throw_message(core, token, node, definition.message)
    elif trigger is Trigger.SIGNAL:
        events.throw_signal(core, token, node, definition)
        return token.id in core.tokens and core.status == "active"
    elif trigger is Trigger.ESCALATION:
        code = definition.escalation.code if definition.escalation else None
        throwing.throw_escalation(core, token, code)
        return token.id in core.tokens
    elif trigger is Trigger.COMPENSATE:
        return not throwing.compensate(core, token, definition)
    return True


def unsupported(core: Core, token: Token, info: NodeInfo) -> None:
    raise Stuck(f"element {info.node.id!r} ({info.node.tag or info.node.kind}) cannot be run")


def park_incident(core: Core, token: Token, error: str) -> None:
    """The token cannot go on: undo its half-entered activity and open an incident."""
    if token.id not in core.tokens:
        return
    if token.local is not None:
        core.cancel_scope(token.local, keep=token.inner)
        if not token.inner:
            token.local = None
    for wait in core.token_waits(token.id):
        del core.waits[wait.id]
    if token in core.ready:
        core.ready.remove(token)
    token.attempts += 1
    core.add_wait("incident", ON_TOKEN, token.id, token.node, {"err": error, "n": token.attempts})
    core.hist("incident.created", token.node, token.id, error)


ENTER: dict[NodeKind, Callable[[Core, Token, NodeInfo], None]] = {
    NodeKind.START_EVENT: events.start_event,
    NodeKind.END_EVENT: end_event,
    NodeKind.INTERMEDIATE_CATCH_EVENT: events.intermediate_catch,
    NodeKind.INTERMEDIATE_THROW_EVENT: intermediate_throw,
    NodeKind.BOUNDARY_EVENT: events.boundary_event,
    NodeKind.EXCLUSIVE_GATEWAY: gateways.exclusive,
    NodeKind.PARALLEL_GATEWAY: gateways.parallel,
    NodeKind.INCLUSIVE_GATEWAY: gateways.inclusive,
    NodeKind.EVENT_BASED_GATEWAY: gateways.event_based,
    NodeKind.UNSUPPORTED: unsupported,
}
for _kind in ACTIVITY_KINDS:
    ENTER[_kind] = activities.start

HOOKS.enter = enter
HOOKS.table = ENTER
HOOKS.leave = flow.leave
HOOKS.park = park_incident
HOOKS.fire_join = gateways.fire_inclusive_join
