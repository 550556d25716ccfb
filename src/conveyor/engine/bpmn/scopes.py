"""Reading a process or sub-process body into a ``ScopeSpec``.

Flows are the truth about the graph: each node's ``incoming``/``outgoing`` are
computed from the ``sourceRef``/``targetRef`` of the sequence flows, never taken
from ``<incoming>``/``<outgoing>`` children (modelers let those drift).
Descriptive elements (lanes, data objects, annotations, groups, ...) are skipped
everywhere; elements the runtime cannot run are refused in executable processes
and kept as ``UnsupportedNode`` in descriptive ones so the model can still be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from conveyor.engine.bpmn.activities import build_task
from conveyor.engine.bpmn.context import ParseContext
from conveyor.engine.bpmn.event_nodes import build_event
from conveyor.engine.bpmn.extensions import async_flags, io_mappings, retries, warn_ignored_extensions
from conveyor.engine.bpmn.loops import read_loop
from conveyor.engine.bpmn.model import (
    GATEWAY_KINDS,
    Activity,
    BoundaryEvent,
    Gateway,
    Node,
    NodeKind,
    ScopeSpec,
    SequenceFlow,
    SubProcess,
    Trigger,
    UnsupportedNode,
)
from conveyor.engine.bpmn.xml import (
    Element,
    attr,
    attr_bool,
    bpmn_child,
    bpmn_children,
    line,
    local,
    qname_local,
    text,
)

_NODE_TAGS = {kind.value: kind for kind in NodeKind if kind is not NodeKind.UNSUPPORTED}
_EVENT_KINDS = {
    NodeKind.START_EVENT,
    NodeKind.END_EVENT,
    NodeKind.INTERMEDIATE_CATCH_EVENT,
    NodeKind.INTERMEDIATE_THROW_EVENT,
    NodeKind.BOUNDARY_EVENT,
}
#: Elements that describe the model without changing how it runs: skipped.
DESCRIPTIVE = frozenset(
    {
        "laneSet", "lane", "dataObject", "dataObjectReference", "dataStoreReference", "dataStore",
        "textAnnotation", "association", "group", "documentation", "extensionElements",
        "ioSpecification", "property", "auditing", "monitoring", "category", "incoming", "outgoing",
        "dataInputAssociation", "dataOutputAssociation", "potentialOwner", "performer",
        "humanPerformer", "resourceRole", "supports", "correlationSubscription",
        "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "rendering",
    }
)  # fmt: skip
#: Known BPMN flow elements we refuse in executable processes, with a hint each.
UNSUPPORTED = {
    "complexGateway": "use an inclusive gateway (its join waits for the paths that can still arrive)",
    "adHocSubProcess": "use an embedded sub-process with a parallel or an event-based gateway",
    "transaction": "use a sub-process with an error boundary event and compensation",
    "callChoreography": "choreographies are descriptive and cannot run",
    "choreographyTask": "choreographies are descriptive and cannot run",
    "subChoreography": "choreographies are descriptive and cannot run",
    "implicitThrowEvent": "use an intermediate throw event",
}


@dataclass
class ProcessParts:
    """Everything of one process, nested scopes included, as it is read."""

    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    #: (association element, sourceRef, targetRef)
    associations: list[tuple[Element, str, str]] = field(default_factory=list)


def read_scope(
    el: Element, scope_id: str, scope_kind: str, ctx: ParseContext, parts: ProcessParts
) -> ScopeSpec:
    nodes: dict[str, Node] = {}
    flows: dict[str, SequenceFlow] = {}
    for child in bpmn_children(el):
        tag = local(child)
        el_id = attr(child, "id")
        if tag == "sequenceFlow":
            flow = _flow(child, scope_id, ctx)
            if flow is not None:
                flows[flow.id] = flow
        elif tag == "association":
            source, target = qname_local(attr(child, "sourceRef")), qname_local(attr(child, "targetRef"))
            if source and target:
                parts.associations.append((child, source, target))
        elif tag in DESCRIPTIVE:
            continue
        elif el_id is None and (tag in _NODE_TAGS or tag in UNSUPPORTED):
            ctx.strict("missing_id", f"a {tag} has no id", child, hint="give every flow element an id")
        elif tag in _NODE_TAGS or tag == "transaction":
            assert el_id is not None
            kind = _NODE_TAGS.get(tag, NodeKind.SUB_PROCESS)
            nodes[el_id] = _node(child, el_id, kind, scope_id, scope_kind, ctx, parts)
        elif tag in UNSUPPORTED:
            assert el_id is not None
            ctx.strict("unsupported_element", f"{tag} is not supported", child, hint=UNSUPPORTED[tag])
            nodes[el_id] = UnsupportedNode(
                el_id, NodeKind.UNSUPPORTED, attr(child, "name"), scope_id, line(child), tag=tag
            )
        else:
            ctx.strict(
                "unsupported_element",
                f"<{tag}> is not a BPMN element Conveyor knows how to run",
                child,
                hint="remove it, or mark the process isExecutable=\"false\" to keep it as documentation",
            )
    finished = _finish(nodes, flows, parts, ctx)
    parts.nodes.update(finished)
    parts.flows.update(flows)
    return ScopeSpec(
        id=scope_id,
        nodes=finished,
        flows=flows,
        start_events=tuple(n.id for n in finished.values() if n.kind is NodeKind.START_EVENT),
        event_subprocesses=tuple(
            n.id for n in finished.values() if isinstance(n, SubProcess) and n.triggered_by_event
        ),
    )


def _flow(el: Element, scope_id: str, ctx: ParseContext) -> SequenceFlow | None:
    flow_id = attr(el, "id")
    if flow_id is None:
        ctx.strict("missing_id", "a sequenceFlow has no id", el, hint="give every flow an id")
        return None
    condition = None
    expr = bpmn_child(el, "conditionExpression")
    body = text(expr)
    if expr is not None and body is not None:
        condition = ctx.condition(body, el, "condition", attr(expr, "language"))
    return SequenceFlow(
        id=flow_id,
        source=qname_local(attr(el, "sourceRef")) or "",
        target=qname_local(attr(el, "targetRef")) or "",
        name=attr(el, "name"),
        condition=condition,
        parent=scope_id,
        line=line(el),
    )


def _common(el: Element, el_id: str, kind: NodeKind, scope_id: str, ctx: ParseContext) -> dict[str, Any]:
    before, after = async_flags(el)
    inputs, outputs = io_mappings(el, ctx)
    warn_ignored_extensions(el, ctx)
    return {
        "id": el_id,
        "kind": kind,
        "name": attr(el, "name"),
        "parent": scope_id,
        "line": line(el),
        "async_before": before,
        "async_after": after,
        "inputs": inputs,
        "outputs": outputs,
        "documentation": text(bpmn_child(el, "documentation")),
        "tag": local(el),
    }


def _node(
    el: Element,
    el_id: str,
    kind: NodeKind,
    scope_id: str,
    scope_kind: str,
    ctx: ParseContext,
    parts: ProcessParts,
) -> Node:
    common = _common(el, el_id, kind, scope_id, ctx)
    if kind in _EVENT_KINDS:
        return build_event(el, kind, common, scope_kind, ctx)
    if kind in GATEWAY_KINDS:
        if kind is NodeKind.EVENT_BASED_GATEWAY and (
            attr_bool(el, "instantiate", False) or attr(el, "eventGatewayType") == "Parallel"
        ):
            ctx.strict(
                "unsupported_element",
                "instantiating and parallel event-based gateways are not supported",
                el,
                hint="start the process with message or timer start events instead",
            )
        return Gateway(**common, default=qname_local(attr(el, "default")))
    common.update(
        default=qname_local(attr(el, "default")),
        loop=read_loop(el, ctx),
        is_for_compensation=attr_bool(el, "isForCompensation", False),
        retries=retries(el, ctx),
    )
    if kind is NodeKind.SUB_PROCESS:
        is_transaction = local(el) == "transaction"
        if is_transaction:
            hint = UNSUPPORTED["transaction"]
            ctx.strict("unsupported_element", "transaction is not supported", el, hint=hint)
        by_event = attr_bool(el, "triggeredByEvent", False)
        body = read_scope(el, el_id, "eventSubProcess" if by_event else "subProcess", ctx, parts)
        return SubProcess(**common, body=body, triggered_by_event=by_event, transaction=is_transaction)
    return build_task(el, kind, common, ctx)


def _finish(
    nodes: dict[str, Node], flows: dict[str, SequenceFlow], parts: ProcessParts, ctx: ParseContext
) -> dict[str, Node]:
    """Fill incoming/outgoing from the flows, attach boundary events, link compensation handlers."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in flows.values():
        if flow.source in nodes and flow.target in nodes:
            outgoing.setdefault(flow.source, []).append(flow.id)
            incoming.setdefault(flow.target, []).append(flow.id)
    boundaries: dict[str, list[str]] = {}
    for node in nodes.values():
        if isinstance(node, BoundaryEvent) and node.attached_to in nodes:
            boundaries.setdefault(node.attached_to, []).append(node.id)
    handlers = _compensation_handlers(nodes, parts, ctx)
    finished: dict[str, Node] = {}
    for node_id, node in nodes.items():
        changes: dict[str, Any] = {
            "incoming": tuple(incoming.get(node_id, ())),
            "outgoing": tuple(outgoing.get(node_id, ())),
        }
        if isinstance(node, Activity):
            changes["boundary_events"] = tuple(boundaries.get(node_id, ()))
            if node_id in handlers:
                changes["compensation_handler"] = handlers[node_id]
        finished[node_id] = replace(node, **changes)
    return finished


def _compensation_handlers(nodes: dict[str, Node], parts: ProcessParts, ctx: ParseContext) -> dict[str, str]:
    """activity id -> handler id, from compensate boundary events and their associations."""
    handlers: dict[str, str] = {}
    for association, source, target in parts.associations:
        boundary = nodes.get(source)
        if not isinstance(boundary, BoundaryEvent) or boundary.trigger is not Trigger.COMPENSATE:
            continue
        handler = nodes.get(target)
        if not isinstance(handler, Activity):
            ctx.strict(
                "bad_compensation_handler",
                f"the compensation association points to {target!r}, which is not an activity here",
                association,
                element_id=boundary.id,
                hint="connect the compensation boundary event to a task marked as compensation handler",
            )
            continue
        if not handler.is_for_compensation:
            ctx.strict(
                "bad_compensation_handler",
                f"activity {target!r} handles compensation but is not marked isForCompensation",
                association,
                element_id=target,
                hint="mark the handler task as a compensation activity in the modeler",
            )
        handlers[boundary.attached_to] = target
    return handlers
