"""Multi-instance (parallel and sequential) and standard loops.

The activity's token becomes the *body*: it opens a loop scope holding
``nrOfInstances``, ``nrOfCompletedInstances`` and ``nrOfActiveInstances``, and
each iteration is an *inner* token with its own local scope (``loopCounter``,
the element variable). Outputs are collected by index, so the output collection
is in input order whatever order the iterations finish in. When the completion
condition holds, the remaining iterations are cancelled.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conveyor.engine.bpmn.model import Activity, MultiInstance, Node, StandardLoop
from conveyor.engine.runtime import activities, events
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.records import LOCAL, LOOP, Scope, Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
N, DONE, ACTIVE = "nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances"


def _spec(node: Node) -> MultiInstance | StandardLoop | None:
    return node.loop if isinstance(node, Activity) else None


def start(core: Core, body: Token, info: NodeInfo) -> None:
    spec = _spec(info.node)
    scope = core.new_scope(LOOP, info.node.id, body.scope, body.id)
    body.local = scope.id
    if info.subscribed:
        events.subscribe_boundaries(core, body, info)
    if isinstance(spec, StandardLoop):
        scope.loop = ["l", None, None, 0]
        if spec.test_before and not _loop_again(core, spec, scope.id, 0):
            finish(core, body, info, scope)
        else:
            spawn(core, scope, 0)
        return
    assert isinstance(spec, MultiInstance)
    items: list[Any] | None = None
    if spec.collection is not None:
        value = core.evaluate(spec.collection, body.scope)
        if not isinstance(value, list | tuple):
            raise Stuck(f"multi-instance {info.node.id!r}: the collection is {value!r}, not a list")
        items = list(value)
        count = len(items)
    elif spec.cardinality is not None:
        try:
            count = int(core.evaluate(spec.cardinality, body.scope))
        except (TypeError, ValueError) as err:
            raise Stuck(f"multi-instance {info.node.id!r}: the cardinality is not a whole number") from err
    else:
        raise Stuck(f"multi-instance {info.node.id!r} has neither a collection nor a cardinality")
    outputs = [None] * count if spec.output_collection else None
    scope.loop = ["s" if spec.sequential else "p", items, outputs, 0]
    scope.vars.update({N: count, DONE: 0, ACTIVE: 0})
    if count == 0:
        finish(core, body, info, scope)
    elif spec.sequential:
        spawn(core, scope, 0)
    else:
        for index in range(count):
            spawn(core, scope, index)


def spawn(core: Core, scope: Scope, index: int) -> None:
    assert scope.loop is not None
    scope.loop[3] = index + 1
    inner = core.new_token(scope.node, scope.id)
    inner.inner = True
    local = core.new_scope(LOCAL, scope.node, scope.id, inner.id)
    inner.local = local.id
    local.vars["loopCounter"] = index + 1
    spec = _spec(core.proc.nodes[scope.node])
    items = scope.loop[1]
    if isinstance(spec, MultiInstance):
        if items is not None and spec.element_variable:
            local.vars[spec.element_variable] = items[index]
        name = _output_name(spec)
        if name and name not in local.vars:
            local.vars[name] = None
    if ACTIVE in scope.vars:
        scope.vars[ACTIVE] += 1
    core.ready.append(inner)


def _output_name(spec: MultiInstance) -> str | None:
    """The variable an ``outputElement`` of one plain name reads; as in Camunda 8 it is created
    local to each iteration, so parallel iterations do not overwrite each other's result."""
    if spec.output_element is None:
        return None
    source = spec.output_element.source.strip().lstrip("=").strip()
    return source if _NAME.fullmatch(source) else None


def _loop_again(core: Core, spec: StandardLoop, scope_id: int, done: int) -> bool:
    if spec.maximum is not None and done >= spec.maximum:
        return False
    if spec.condition is None:
        return False
    return core.evaluate(spec.condition, scope_id) is True


def inner_done(core: Core, inner: Token, info: NodeInfo) -> None:
    """One iteration completed: collect its output, then start the next or finish."""
    scope = core.scopes[inner.scope]
    assert scope.loop is not None and inner.local is not None
    spec = _spec(info.node)
    local_id = inner.local
    counter = core.scopes[local_id].vars.get("loopCounter", 1)
    core.hist("node.completed", info.node.id, inner.id)
    body = core.tokens[scope.owner] if scope.owner is not None else None
    assert body is not None
    if isinstance(spec, StandardLoop):
        again = _loop_again(core, spec, local_id, counter)
        core.cancel_scope(local_id)
        core.tokens.pop(inner.id, None)
        if again:
            spawn(core, scope, counter)
        else:
            finish(core, body, info, scope)
        return
    assert isinstance(spec, MultiInstance)
    outputs = scope.loop[2]
    if outputs is not None and spec.output_element is not None:
        outputs[counter - 1] = core.evaluate(spec.output_element, local_id)
    scope.vars[DONE] += 1
    scope.vars[ACTIVE] -= 1
    condition = spec.completion_condition
    enough = condition is not None and core.evaluate(condition, local_id) is True
    core.cancel_scope(local_id)
    core.tokens.pop(inner.id, None)
    if enough or scope.vars[DONE] >= scope.vars[N]:
        finish(core, body, info, scope)
    elif scope.loop[0] == "s":
        spawn(core, scope, scope.loop[3])


def finish(core: Core, body: Token, info: NodeInfo, scope: Scope) -> None:
    spec = _spec(info.node)
    assert scope.loop is not None
    if isinstance(spec, MultiInstance) and spec.output_collection:
        core.set_var(body.scope, spec.output_collection, list(scope.loop[2] or []))
    core.cancel_scope(scope.id)
    body.local = None
    activities.complete(core, body, info)
