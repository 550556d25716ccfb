"""Leaving a node along its sequence flows, and ending tokens, scopes and the instance.

A token that leaves by one flow is moved (no new token, no new id); a split
creates one new token per extra flow. A token that reaches a node without
outgoing flows ends; when the last token of a scope ends, the scope completes:
the sub-process (or event sub-process, or iteration) that owns it completes, or
for the process scope, the instance does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conveyor.engine.bpmn.model import SequenceFlow
from conveyor.engine.runtime import activities
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.effects import HistoryEvent, InstanceEnded
from conveyor.engine.runtime.records import Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


_new = tuple.__new__


def leave(core: Core, token: Token, info: NodeInfo, flows: list[SequenceFlow] | None = None) -> None:
    """Record the node as completed and send the token along ``flows`` (default: all matching)."""
    straight = info.straight
    if straight is not None and flows is None:
        if core.record_history:
            event = (core.now, "node.completed", info.node.id, token.id, None)
            core.history.append(_new(HistoryEvent, event))
        token.node = straight.target
        token.flow = straight.id
        core.ready.append(token)
        return
    if flows is None:
        flows = matching_flows(core, token, info)
    core.hist("node.completed", info.node.id, token.id)
    if not flows:
        end_token(core, token)
        return
    first, *others = flows
    token.node = first.target
    token.flow = first.id
    core.ready.append(token)
    for flow in others:
        core.ready.append(core.new_token(flow.target, token.scope, flow.id))


def matching_flows(core: Core, token: Token, info: NodeInfo) -> list[SequenceFlow]:
    """Every unconditional flow and every flow whose condition holds; else the default flow.

    This is how activities and inclusive gateways split. No flow at all is fine for a
    node without outgoing flows (the token ends); a node whose conditions all fail and
    that has no default is stuck.
    """
    out = info.out
    if not out:
        return []
    default = getattr(info.node, "default", None)
    chosen = [
        flow
        for flow in out
        if flow.id != default and (flow.condition is None or _holds(core, token, flow))
    ]
    if chosen:
        return chosen
    for flow in out:
        if flow.id == default:
            return [flow]
    raise Stuck(
        f"no outgoing sequence flow of {info.node.id!r} can be taken: every condition is false "
        "and there is no default flow (add a default flow or fix the conditions/variables)"
    )


def first_matching_flow(core: Core, token: Token, info: NodeInfo) -> SequenceFlow:
    """The exclusive gateway's choice: the first flow (in model order) whose condition holds."""
    default = getattr(info.node, "default", None)
    default_flow = None
    for flow in info.out:
        if flow.id == default:
            default_flow = flow
        elif flow.condition is None or _holds(core, token, flow):
            return flow
    if default_flow is not None:
        return default_flow
    raise Stuck(
        f"exclusive gateway {info.node.id!r}: no condition matched and there is no default flow "
        "(add a default flow or fix the conditions/variables)"
    )


def _holds(core: Core, token: Token, flow: SequenceFlow) -> bool:
    assert flow.condition is not None
    value = core.evaluate(flow.condition, token.scope)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Stuck(
            f"the condition of flow {flow.id!r} ({flow.condition.source!r}) gave {value!r}, not a boolean"
        )
    return value


def end_token(core: Core, token: Token) -> None:
    """The token is consumed; complete its scope if it was the last one there."""
    core.tokens.pop(token.id, None)
    scope_id = token.scope
    if not core.has_tokens_in(scope_id) and scope_id in core.scopes:
        complete_scope(core, scope_id)


def complete_scope(core: Core, scope_id: int) -> None:
    scope = core.scopes[scope_id]
    if scope.owner is None:
        finish_instance(core, "completed")
        return
    owner = core.tokens.get(scope.owner)
    if owner is None:
        return
    core.drop_waits(scope_id, "e")
    activities.complete(core, owner, core.proc.info[owner.node])


def finish_instance(core: Core, state: str, why: str | None = None) -> None:
    """End the instance: drop what is left, tell the caller (and the parent instance).

    ``state`` is ``completed`` (the last token ended, or a terminate end event: a normal
    end), ``terminated`` (a BPMN error escaped this called instance) or ``cancelled``.
    """
    for token in list(core.tokens.values()):
        core.cancel_token(token)
    core.waits.clear()
    core.ready.clear()
    core.status = state
    core.hist(f"instance.{state}", core.proc.id, 0, why)
    root = core.scopes.get(core.root)
    variables = dict(root.vars) if root is not None else {}
    parent_id, parent_wait = core.parent if core.parent else (None, None)
    core.effects.append(InstanceEnded(state, variables, parent_id, parent_wait))
