"""Checks on a built process graph: flows, starts, gateways, boundaries, links, reachability.

Errors are things that cannot run (a flow to nowhere, a gateway with no way out, a
process nothing can start); warnings are things that run but probably not as meant
(an exclusive gateway that fails when no condition matches, a node nothing reaches).
In non-executable processes every problem is only a warning.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.model import (
    Activity,
    BoundaryEvent,
    Event,
    EventDefinition,
    Gateway,
    Node,
    NodeKind,
    ProcessSpec,
    ReceiveTask,
    ScopeSpec,
    SequenceFlow,
    SubProcess,
    Trigger,
)

_EVENT_GATEWAY_TRIGGERS = {Trigger.MESSAGE, Trigger.TIMER, Trigger.SIGNAL}
_STARTING = {Trigger.NONE, Trigger.MESSAGE, Trigger.TIMER, Trigger.SIGNAL}


def _at(node: Node | SequenceFlow) -> dict[str, Any]:
    return {"element_id": node.id, "name": node.name, "at_line": node.line}


def check_process(process: ProcessSpec, ctx: ParseContext) -> None:
    _check_scope(process.body, process, ctx)
    _check_reachability(process, ctx)
    if process.executable and not any(
        process.all_nodes[s].kind is NodeKind.START_EVENT
        and {d.trigger for d in _definitions(process.all_nodes[s])} <= _STARTING
        for s in process.body.start_events
    ):
        ctx.error(
            "no_start_event",
            f"executable process {process.id!r} has no start event that can start it",
            element_id=process.id,
            name=process.name,
            at_line=process.line,
            hint="add a none, message, timer or signal start event",
        )


def _definitions(node: Node) -> tuple[EventDefinition, ...]:
    return node.definitions if isinstance(node, Event) else ()


def _check_scope(scope: ScopeSpec, process: ProcessSpec, ctx: ParseContext) -> None:
    for flow in scope.flows.values():
        _check_flow(flow, scope, process, ctx)
    for node in scope.nodes.values():
        _check_node(node, scope, ctx)
        if isinstance(node, SubProcess):
            _check_sub_process(node, ctx)
            _check_scope(node.body, process, ctx)
    _check_links(scope, ctx)


def _suggest(ref: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(ref, list(candidates), n=1)
    return f"did you mean {close[0]!r}?" if close else None


def _check_flow(flow: SequenceFlow, scope: ScopeSpec, process: ProcessSpec, ctx: ParseContext) -> None:
    for end, ref in (("sourceRef", flow.source), ("targetRef", flow.target)):
        if not ref:
            ctx.strict("flow_without_end", f"the sequence flow has no {end}", **_at(flow))
        elif ref not in process.all_nodes:
            ctx.strict(
                "unknown_flow_end",
                f"the sequence flow's {end} {ref!r} names no flow node",
                hint=_suggest(ref, scope.nodes) or "connect the flow to an element of the same (sub-)process",
                **_at(flow),
            )
        elif ref not in scope.nodes:
            ctx.strict(
                "flow_crosses_scope",
                f"the sequence flow's {end} {ref!r} is inside another (sub-)process",
                hint="sequence flows connect elements of the same (sub-)process; use events to cross",
                **_at(flow),
            )
    source = scope.nodes.get(flow.source)
    if flow.condition is not None and isinstance(source, Event):
        ctx.run_warning(
            "condition_ignored",
            f"a condition on a flow out of a {source.kind.value} is ignored",
            hint="put an exclusive gateway after the event to choose the path",
            **_at(flow),
        )


def _check_node(node: Node, scope: ScopeSpec, ctx: ParseContext) -> None:
    if node.kind is NodeKind.START_EVENT and not node.outgoing:
        message = "the start event has no outgoing flow"
        ctx.strict("start_without_outgoing", message, hint="connect it", **_at(node))
    if node.incoming and node.kind in (NodeKind.START_EVENT, NodeKind.BOUNDARY_EVENT):
        ctx.strict(
            "flow_into_start",
            f"a {node.kind.value} cannot have incoming sequence flows",
            hint="remove the incoming flows: a start or boundary event is where a path begins",
            **_at(node),
        )
    if node.outgoing and node.kind is NodeKind.END_EVENT:
        ctx.strict(
            "flow_out_of_end",
            "an end event cannot have outgoing sequence flows",
            hint="use an intermediate throw event if the path continues",
            **_at(node),
        )
    if isinstance(node, Gateway):
        _check_gateway(node, scope, ctx)
    if isinstance(node, Activity) and node.outgoing and node.default is None:
        flows = [scope.flows[f] for f in node.outgoing]
        if all(f.condition is not None for f in flows):
            ctx.run_warning(
                "no_default_flow",
                "every flow out of this activity has a condition and there is no default flow: "
                "if no condition matches at run time, the path stops here",
                hint="mark one outgoing flow as the default flow, or use an exclusive gateway",
                **_at(node),
            )
    if isinstance(node, Activity | Gateway) and node.default:
        flow = scope.flows.get(node.default)
        if flow is not None and flow.source == node.id and flow.condition is not None:
            ctx.run_warning(
                "condition_ignored",
                "the default flow's condition is ignored: it is taken when no other flow's condition holds",
                hint="remove the condition from the default flow",
                **_at(flow),
            )
        if flow is None or flow.source != node.id:
            ctx.strict(
                "bad_default_flow",
                f"the default flow {node.default!r} is not an outgoing flow of this element",
                hint=_suggest(node.default, node.outgoing) or "pick one of its outgoing flows as default",
                **_at(node),
            )
    if isinstance(node, BoundaryEvent):
        _check_boundary(node, scope, ctx)


def _check_gateway(node: Gateway, scope: ScopeSpec, ctx: ParseContext) -> None:
    if not node.outgoing:
        message = "the gateway has no outgoing flow"
        ctx.strict("gateway_without_outgoing", message, hint="connect it", **_at(node))
        return
    flows = [scope.flows[f] for f in node.outgoing]
    choosing = node.kind in (NodeKind.EXCLUSIVE_GATEWAY, NodeKind.INCLUSIVE_GATEWAY)
    if choosing and node.default is None and all(f.condition for f in flows):
        ctx.run_warning(
            "no_default_flow",
            "every outgoing flow has a condition and there is no default flow: "
            "if no condition matches at run time, the instance stops with an incident",
            hint="mark one outgoing flow as the default flow",
            **_at(node),
        )
    if node.kind in (NodeKind.PARALLEL_GATEWAY, NodeKind.EVENT_BASED_GATEWAY):
        for flow in flows:
            if flow.condition is not None:
                ctx.run_warning(
                    "condition_ignored",
                    f"a condition on a flow out of a {node.kind.value} is ignored",
                    hint="use an inclusive or exclusive gateway to choose flows",
                    **_at(flow),
                )
    if node.kind is NodeKind.EVENT_BASED_GATEWAY:
        for flow in flows:
            target = scope.nodes.get(flow.target)
            if target is None:
                continue
            ok = isinstance(target, ReceiveTask) or (
                target.kind is NodeKind.INTERMEDIATE_CATCH_EVENT
                and isinstance(target, Event)
                and all(d.trigger in _EVENT_GATEWAY_TRIGGERS for d in target.definitions)
            )
            if not ok:
                ctx.strict(
                    "bad_event_gateway_target",
                    f"the event-based gateway leads to {target.id!r}, which is not a catch event",
                    hint="an event-based gateway may only lead to message, timer or signal catch events "
                    "or receive tasks",
                    **_at(node),
                )


def _check_boundary(node: BoundaryEvent, scope: ScopeSpec, ctx: ParseContext) -> None:
    host = scope.nodes.get(node.attached_to)
    if not node.attached_to or host is None:
        ctx.strict(
            "boundary_not_attached",
            f"the boundary event is attached to {node.attached_to or 'nothing'!r}, "
            "which is not an element of this (sub-)process",
            hint=_suggest(node.attached_to, scope.nodes) if node.attached_to else "attach it to an activity",
            **_at(node),
        )
        return
    if not isinstance(host, Activity):
        ctx.strict(
            "boundary_not_attached",
            f"the boundary event is attached to {host.id!r}, a {host.kind.value}, not an activity",
            hint="boundary events can only be attached to tasks, sub-processes and call activities",
            **_at(node),
        )
        return
    if node.trigger is Trigger.COMPENSATE:
        if host.compensation_handler is None:
            ctx.strict(
                "compensation_without_handler",
                "the compensation boundary event is not associated with a compensation handler",
                hint="draw an association from it to a task marked as compensation handler",
                **_at(node),
            )
        if node.outgoing:
            ctx.strict(
                "compensation_with_flow",
                "a compensation boundary event cannot have outgoing sequence flows",
                hint="connect it to its handler with an association instead",
                **_at(node),
            )
    elif not node.outgoing:
        ctx.run_warning(
            "boundary_without_outgoing",
            "the boundary event has no outgoing flow: when it fires, its path ends right there"
            + (" and the activity is cancelled" if node.cancel_activity else ""),
            hint="connect it to what should happen next",
            **_at(node),
        )


def _check_sub_process(node: SubProcess, ctx: ParseContext) -> None:
    starts = [node.body.nodes[s] for s in node.body.start_events]
    if node.triggered_by_event:
        if len(starts) != 1:
            ctx.strict(
                "event_subprocess_start",
                f"an event sub-process needs exactly one start event, it has {len(starts)}",
                hint="give it one message, timer, signal, error or escalation start event",
                **_at(node),
            )
        if node.incoming or node.outgoing:
            ctx.strict(
                "event_subprocess_connected",
                "an event sub-process cannot have incoming or outgoing sequence flows",
                hint="remove the flows; it starts when its start event's trigger happens",
                **_at(node),
            )
    elif not starts and node.body.nodes:
        ctx.strict(
            "subprocess_without_start",
            "the sub-process has no start event",
            hint="add a none start event inside it",
            **_at(node),
        )
    elif len(starts) > 1:
        ctx.strict(
            "subprocess_start_events",
            f"the sub-process has {len(starts)} start events; an embedded sub-process has one",
            hint="keep one none start event",
            **_at(node),
        )


def _link_names(scope: ScopeSpec, kind: NodeKind) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node in scope.nodes.values():
        if node.kind is kind and isinstance(node, Event):
            for d in node.definitions:
                if d.trigger is Trigger.LINK:
                    found[d.link_name or node.name or ""] = node
    return found


def _link_names_of(node: Node) -> list[str]:
    if not isinstance(node, Event):
        return []
    return [d.link_name or node.name or "" for d in node.definitions if d.trigger is Trigger.LINK]


def _check_links(scope: ScopeSpec, ctx: ParseContext) -> None:
    catches = _link_names(scope, NodeKind.INTERMEDIATE_CATCH_EVENT)
    for name, throw in _link_names(scope, NodeKind.INTERMEDIATE_THROW_EVENT).items():
        if name not in catches:
            ctx.strict(
                "link_without_catch",
                f"the link throw event jumps to {name!r}, but no link catch event here has that name",
                hint=_suggest(name, catches) or "add a link catch event with the same link name",
                **_at(throw),
            )


def _check_reachability(process: ProcessSpec, ctx: ParseContext) -> None:
    """Warn about nodes that no start event, event sub-process or boundary event leads to."""
    nodes = process.all_nodes
    flows = process.all_flows
    scopes = {process.id: process.body}
    scopes.update({n.id: n.body for n in nodes.values() if isinstance(n, SubProcess)})
    todo = list(process.body.start_events)
    todo += [n.id for n in nodes.values() if isinstance(n, SubProcess) and n.triggered_by_event]
    seen: set[str] = set()
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        node = nodes[node_id]
        todo.extend(flows[f].target for f in node.outgoing)
        if isinstance(node, SubProcess):
            todo.extend(node.body.start_events)
            todo.extend(node.body.event_subprocesses)
        if isinstance(node, Activity):
            todo.extend(node.boundary_events)
            if node.compensation_handler:
                todo.append(node.compensation_handler)
        if node.kind is NodeKind.INTERMEDIATE_THROW_EVENT and node.parent in scopes:
            catches = _link_names(scopes[node.parent], NodeKind.INTERMEDIATE_CATCH_EVENT)
            for name in _link_names_of(node):
                if name in catches:
                    todo.append(catches[name].id)
    for node in nodes.values():
        if node.id in seen or node.kind is NodeKind.UNSUPPORTED:
            continue
        if isinstance(node, Activity) and node.is_for_compensation:
            continue
        if node.parent != process.id and node.parent not in seen:
            continue  # reported once, on the unreachable sub-process
        ctx.warning(
            "unreachable",
            "no start event, event sub-process or boundary event leads to this element, so it never runs",
            hint="connect it with a sequence flow, or remove it",
            **_at(node),
        )
