"""What each kind of activity does once entered: call a handler, wait for a person or a
message, evaluate a script or decision, start a sub-process body or a called process."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from conveyor.engine.bpmn.model import (
    BusinessRuleTask,
    CallActivity,
    NodeKind,
    ReceiveTask,
    ScriptTask,
    ServiceTask,
    UserTask,
)
from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import activities, events, throwing
from conveyor.engine.runtime.core import Core, Stuck
from conveyor.engine.runtime.effects import CallRequested
from conveyor.engine.runtime.handlers import Handler, HandlerContext
from conveyor.engine.runtime.records import ON_TOKEN, Token

if TYPE_CHECKING:
    from conveyor.engine.runtime.compiled import NodeInfo


def _done(core: Core, token: Token, info: NodeInfo) -> None:
    activities.complete(core, token, info)


def _write(core: Core, token: Token, info: NodeInfo, data: Mapping[str, Any] | None) -> None:
    activities.write_result(core, token, info.node, data)


def pass_through(core: Core, token: Token, info: NodeInfo) -> None:
    _done(core, token, info)


def service(core: Core, token: Token, info: NodeInfo) -> None:
    """Service and send tasks (and business rule tasks bound to a handler)."""
    node = info.node
    handlers = core.handlers
    if info.placeholder:
        registration = handlers.lookup(node.id, None) if handlers.has_node_bindings else None
        if registration is None:
            _done(core, token, info)  # nothing to call
        elif registration.is_async:
            core.add_job(token, "run")
        else:
            call_handler(core, token, info, registration.handler)
        return
    assert isinstance(node, ServiceTask | BusinessRuleTask)
    if isinstance(node, ServiceTask):
        if node.message is not None:
            events.throw_message(core, token, node, node.message)
        if node.expression is not None:
            value = core.evaluate(node.expression, token.local or token.scope)
            if node.result_variable:
                _write(core, token, info, {node.result_variable: value})
            _done(core, token, info)
            return
    by_task_type(core, token, info)


def by_task_type(core: Core, token: Token, info: NodeInfo) -> None:
    """Call the handler bound to the node or to its task type, else follow ``Handlers.missing``.

    Also what a message throw or end event with a task definition does (Camunda 8: a job
    worker sends the message, as for a send task)."""
    node = info.node
    task_type = info.task_type
    registration = core.handlers.lookup(node.id, task_type)
    if registration is None:
        policy = core.handlers.missing
        if not task_type or policy == "complete":
            _done(core, token, info)
        elif policy == "job":
            core.add_job(token, "run", task_type)
        else:
            raise Stuck(f"no handler is registered for task type {task_type!r}; register one or fix the type")
        return
    if registration.is_async:
        core.add_job(token, "run", task_type)
        return
    call_handler(core, token, info, registration.handler)


def call_handler(core: Core, token: Token, info: NodeInfo, handler: Handler) -> None:
    node = info.node
    retries_left = info.retries - token.attempts
    context = HandlerContext(
        MappingProxyType(core.view(token.local or token.scope)),
        node.id,
        info.task_type,
        core.id,
        core.business_key,
        info.headers,
        retries_left if retries_left > 0 else 0,
    )
    try:
        result = handler(context)
    except BpmnError as err:
        throwing.throw_error(core, token, err.error_code, err.message, err.variables, own=True)
        return
    if result is not None and not isinstance(result, Mapping):
        raise Stuck(f"the handler of {node.id!r} returned a {type(result).__name__}; return a dict or None")
    _write(core, token, info, result)
    _done(core, token, info)


def script(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, ScriptTask)
    if node.script is None:
        language = node.script_format or "no format"
        raise Stuck(f"script task {node.id!r}: its script ({language}) cannot be run")
    value = core.evaluate(node.script, token.local or token.scope)
    if node.result_variable:
        _write(core, token, info, {node.result_variable: value})
    _done(core, token, info)


def business_rule(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, BusinessRuleTask)
    bound = core.handlers.has_node_bindings and core.handlers.lookup(node.id, None) is not None
    if node.task_type or not node.decision_ref or bound:
        service(core, token, info)
        return
    variables = core.view(token.local or token.scope)
    try:
        version = node.version if node.binding == "version" else None
        value = core.library.decide(node.decision_ref, variables, node.map_decision_result, version)
    except Exception as err:
        raise Stuck(f"decision {node.decision_ref!r}: {err}") from err
    if node.result_variable:
        _write(core, token, info, {node.result_variable: value})
    _done(core, token, info)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def user_task(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, UserTask)
    scope = token.local or token.scope
    data: dict[str, Any] = {}

    def ev(expr: Any) -> Any:
        return None if expr is None else core.evaluate(expr, scope)

    assignee = _text(ev(node.assignee))
    if assignee:
        data["as"] = assignee
    for key, expr in (("cg", node.candidate_groups), ("cu", node.candidate_users)):
        names = _names(ev(expr))
        if names:
            data[key] = names
    for key, expr in (("due", node.due_date), ("fu", node.follow_up_date)):
        when = ev(expr)
        if when is not None:
            data[key] = _text(when)
    priority = ev(node.priority)
    if priority is not None:
        data["pr"] = int(priority)
    wait = core.add_wait("userTask", ON_TOKEN, token.id, node.id, data)
    core.hist("task.created", node.id, token.id, wait.id)


def receive(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, ReceiveTask)
    events.subscribe_message(core, "receiveTask", ON_TOKEN, token.id, node.id, node.message, token.scope)


def sub_process(core: Core, token: Token, info: NodeInfo) -> None:
    assert token.local is not None
    events.subscribe_scope(core, core.scopes[token.local])
    start = core.proc.starts.get(info.node.id)
    if start is None:
        raise Stuck(f"sub-process {info.node.id!r} has no (single) none start event")
    core.ready.append(core.new_token(start, token.local))


#: a loop's own bookkeeping (``loops``): never passed to a called process nor taken back from it
#: -- parallel iterations would write their stale copies back over the loop's counters
LOOP_VARIABLES = frozenset({"nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances", "loopCounter"})


def _without_loop_variables(variables: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in variables.items() if name not in LOOP_VARIABLES}


def call_activity(core: Core, token: Token, info: NodeInfo) -> None:
    node = info.node
    assert isinstance(node, CallActivity)
    if node.called_element is None:
        raise Stuck(f"call activity {node.id!r} names no process to call")
    # a multi-instance iteration reads its own element variable from its local scope
    scope = token.local if token.local is not None else token.scope
    process_id = str(core.evaluate(node.called_element, scope))
    view = _without_loop_variables(core.view(scope))
    variables: dict[str, Any] = dict(view) if node.propagate_all_in else {}
    for mapping in node.inputs:
        if mapping.all_variables:
            variables.update(view)
        elif mapping.source is not None:
            variables[mapping.target] = core.evaluate(mapping.source, scope)
    business_key = core.business_key
    if node.business_key is not None:
        business_key = _text(core.evaluate(node.business_key, scope))
    version = node.version if node.binding == "version" else None
    wait = core.add_wait("callActivity", ON_TOKEN, token.id, node.id, {"proc": process_id})
    child_id = f"{core.id}/{wait.id}"
    wait.data["child"] = child_id
    core.effects.append(
        CallRequested(wait.id, child_id, process_id, version, variables, business_key, node.id)
    )


def finish_call(core: Core, token: Token, child_variables: Mapping[str, Any]) -> None:
    """The called instance completed: out-mappings, then the call activity completes."""
    info = core.proc.info[token.node]
    node = info.node
    assert isinstance(node, CallActivity)
    # outputs land in the iteration's scope first, where a multi-instance outputElement reads them
    scope = token.local if token.local is not None else token.scope
    if node.outputs:
        for mapping in node.outputs:
            if mapping.all_variables:
                core.merge(scope, _without_loop_variables(child_variables))
            elif mapping.source is not None:
                try:
                    value = mapping.source.evaluate(child_variables)
                except Exception as err:
                    raise Stuck(f"out-mapping {mapping.target!r} of {node.id!r}: {err}") from err
                core.set_var(scope, mapping.target, value)
    elif node.propagate_all_out:
        core.merge(scope, _without_loop_variables(child_variables))
    _done(core, token, info)


EXECUTE: dict[NodeKind, Callable[[Core, Token, NodeInfo], None]] = {
    NodeKind.TASK: pass_through,
    NodeKind.MANUAL_TASK: pass_through,
    NodeKind.SERVICE_TASK: service,
    NodeKind.SEND_TASK: service,
    NodeKind.SCRIPT_TASK: script,
    NodeKind.BUSINESS_RULE_TASK: business_rule,
    NodeKind.USER_TASK: user_task,
    NodeKind.RECEIVE_TASK: receive,
    NodeKind.SUB_PROCESS: sub_process,
    NodeKind.CALL_ACTIVITY: call_activity,
}
