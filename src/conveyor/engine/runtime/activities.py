"""Activities: entering (inputs, boundary subscriptions, loops) and completing (outputs, leaving).

What an activity *does* in between is in ``tasks`` (one function per kind).
Input mappings open a local scope for the activity; a sub-process's body is
such a scope too. Handler and form results are written by the usual rule
(nearest scope that defines the name, else the process) unless the activity has
output mappings, in which case they stay local and only the mappings leave.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from conveyor.engine.bpmn.model import Node, NodeKind
from conveyor.engine.runtime import events, flow, loops, tasks, throwing
from conveyor.engine.runtime.core import Core
from conveyor.engine.runtime.records import LOCAL, SUBPROCESS, Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


def start(core: Core, token: Token, info: NodeInfo) -> None:
    kind = info.kind
    if info.plain:
        tasks.EXECUTE[kind](core, token, info)
        return
    node = info.node
    if info.looped and not token.inner:
        loops.start(core, token, info)
        return
    if kind is not NodeKind.CALL_ACTIVITY:
        if token.local is None and (node.inputs or node.outputs or kind is NodeKind.SUB_PROCESS):
            scope_kind = SUBPROCESS if kind is NodeKind.SUB_PROCESS else LOCAL
            token.local = core.new_scope(scope_kind, node.id, token.scope, token.id).id
        if node.inputs:
            assert token.local is not None
            core.map_into(node.inputs, token.local, token.local, local=True)
    if info.subscribed and not token.inner:
        events.subscribe_boundaries(core, token, info)
    tasks.EXECUTE[kind](core, token, info)


def write_result(core: Core, token: Token, node: Node, data: Mapping[str, Any] | None) -> None:
    """Variables a handler, a form or a message brought to this activity."""
    if not data:
        return
    local = token.local
    if local is not None and node.outputs and node.kind is not NodeKind.CALL_ACTIVITY:
        for name, value in data.items():
            core.set_local(local, name, value)
    else:
        core.merge(local if local is not None else token.scope, data)


def complete(core: Core, token: Token, info: NodeInfo) -> None:
    """The activity's work is done: outputs, loop bookkeeping, compensation record, leave."""
    local = token.local
    if info.plain and local is None and not token.inner and not token.comp:
        flow.leave(core, token, info)
        return
    node = info.node
    is_body = info.looped and not token.inner
    if local is not None and node.outputs and not is_body and info.kind is not NodeKind.CALL_ACTIVITY:
        core.map_into(node.outputs, local, token.scope, local=False)
    if token.inner:
        loops.inner_done(core, token, info)
        return
    if local is not None:
        core.cancel_scope(local)
        token.local = None
    if info.subscribed:
        core.drop_boundaries(token)
    if token.comp:
        core.hist("node.completed", node.id, token.id)
        throwing.handler_done(core, token)
        return
    if info.compensable:
        scope = core.scopes[token.scope]
        if scope.done is None:
            scope.done = []
        scope.done.append(node.id)
    if node.async_after:
        core.add_job(token, "after")
        return
    flow.leave(core, token, info)

