"""Gateways: exclusive choice, parallel fork/join, inclusive fork/join, event-based choice.

A parallel join fires when a token has arrived on every incoming flow (one token
per flow is consumed, extra arrivals wait for the next round). An inclusive join
fires when no other token of the scope can still reach it; that check runs when
the instance is otherwise idle (``Core._fire_inclusive_joins``), since only then
are all positions known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conveyor.engine.bpmn.model import Event, NodeKind, ReceiveTask, Trigger
from conveyor.engine.runtime import events, flow
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.records import ON_GATEWAY, Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


def exclusive(core: Core, token: Token, info: NodeInfo) -> None:
    if info.straight is not None:
        flow.leave(core, token, info)
    else:
        flow.leave(core, token, info, [flow.first_matching_flow(core, token, info)])


def parallel(core: Core, token: Token, info: NodeInfo) -> None:
    if info.incoming > 1 and not _join_parallel(core, token, info):
        return
    flow.leave(core, token, info, list(info.out))


def _join_parallel(core: Core, token: Token, info: NodeInfo) -> bool:
    """Park ``token``; if every incoming flow has a parked token, consume one each and go on."""
    node_id = info.node.id
    arrived: dict[str, Token] = {}
    for other in core.tokens.values():
        if (
            other.node == node_id
            and other.scope == token.scope
            and other.flow not in arrived
            and (other is token or not core.token_waits(other.id))
        ):
            arrived[other.flow or ""] = other
    if len(arrived) < info.incoming:
        return False
    for other in arrived.values():
        if other is not token:
            del core.tokens[other.id]
    return True


def inclusive(core: Core, token: Token, info: NodeInfo) -> None:
    if info.incoming > 1 and token.flow is not None:
        return  # parked: Core fires the join once no other token can reach it
    flow.leave(core, token, info)


def fire_inclusive_join(core: Core, token: Token) -> None:
    info = core.proc.info[token.node]
    for other in [t for t in core.tokens.values() if t.node == token.node and t.scope == token.scope]:
        if other is not token:
            del core.tokens[other.id]
    token.flow = None
    flow.leave(core, token, info)


def event_based(core: Core, token: Token, info: NodeInfo) -> None:
    """Subscribe to every target event; the first to happen wins (see ``events.trigger``)."""
    for out in info.out:
        target = core.proc.nodes[out.target]
        wrong = f"event-based gateway {info.node.id!r}: target {out.target!r} is not a catch event"
        if isinstance(target, ReceiveTask):
            events.subscribe_message(
                core, "receiveTask", ON_GATEWAY, token.id, target.id, target.message, token.scope
            )
        elif isinstance(target, Event) and target.kind is NodeKind.INTERMEDIATE_CATCH_EVENT:
            definition = target.definitions[0] if target.definitions else None
            if definition is None or definition.trigger not in _CATCHABLE:
                raise Stuck(wrong)
            events.subscribe(core, definition, ON_GATEWAY, token.id, target.id, token.scope)
        else:
            raise Stuck(wrong)


_CATCHABLE = (Trigger.MESSAGE, Trigger.TIMER, Trigger.SIGNAL)
