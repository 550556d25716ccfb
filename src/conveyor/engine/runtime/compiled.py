"""A process spec prepared for running: adjacency and per-node facts computed once.

The runtime never searches the model while it runs: each node's outgoing flows,
the single unconditional flow most nodes have, its boundary events, each scope's
start event, event sub-processes and link targets are looked up here. One
``CompiledProcess`` is built per deployed ``ProcessSpec`` and shared by every
instance of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from conveyor.engine.bpmn.model import (
    ACTIVITY_KINDS,
    BoundaryEvent,
    Event,
    Node,
    NodeKind,
    ProcessSpec,
    ScopeSpec,
    SequenceFlow,
    ServiceTask,
    SubProcess,
    Trigger,
)
from conveyor.engine.errors import InstanceError

#: how many attempts a handler gets when the model does not say (Camunda's default)
DEFAULT_RETRIES = 3
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})

#: boundary and event-sub-process start triggers that are subscriptions (waits)
SUBSCRIBED = frozenset({Trigger.TIMER, Trigger.MESSAGE, Trigger.SIGNAL})


@dataclass(slots=True)
class NodeInfo:
    node: Node
    kind: NodeKind
    out: tuple[SequenceFlow, ...]
    #: the one unconditional outgoing flow, when that is all the node has
    straight: SequenceFlow | None
    incoming: int
    is_activity: bool
    boundaries: tuple[BoundaryEvent, ...] = ()
    #: boundary events that are subscriptions (timer, message, signal)
    subscribed: tuple[BoundaryEvent, ...] = ()
    #: the activity has a compensation handler: record it when it completes
    compensable: bool = False
    #: the activity has a loop or multi-instance marker
    looped: bool = False
    #: entering the node only means leaving it: start events, none end/throw events, merging
    #: exclusive gateways, boundary events, plain tasks and service tasks with nothing to call
    passthrough: bool = False
    #: a service task with no type, expression or message: only a node-bound handler runs
    placeholder: bool = False
    #: what a handler's context says about the task (read once here, not per call)
    task_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: _NO_HEADERS)
    retries: int = DEFAULT_RETRIES
    #: an activity with nothing around its work: no loop, mappings, boundary events,
    #: compensation or async flags (most tasks), so entering and leaving take the short path
    plain: bool = False


class CompiledProcess:
    """Lookup tables for one process spec (see the module docstring)."""

    def __init__(self, spec: ProcessSpec, version: int) -> None:
        self.spec = spec
        self.version = version
        self.id = spec.id
        self.nodes: dict[str, Node] = {}
        self.flows: dict[str, SequenceFlow] = {}
        self.bodies: dict[str, ScopeSpec] = {}
        self._collect(spec.body, spec.id)
        outgoing: dict[str, list[SequenceFlow]] = defaultdict(list)
        incoming: dict[str, int] = defaultdict(int)
        for flow in self.flows.values():
            outgoing[flow.source].append(flow)
            incoming[flow.target] += 1
        attached: dict[str, list[BoundaryEvent]] = defaultdict(list)
        for node in self.nodes.values():
            if isinstance(node, BoundaryEvent):
                attached[node.attached_to].append(node)
        self.info: dict[str, NodeInfo] = {}
        for node_id, node in self.nodes.items():
            out = tuple(_ordered(node, outgoing.get(node_id, [])))
            straight = out[0] if len(out) == 1 and out[0].condition is None else None
            boundaries = tuple(attached.get(node_id, ()))
            self.info[node_id] = NodeInfo(
                node=node,
                kind=node.kind,
                out=out,
                straight=straight,
                incoming=incoming.get(node_id, 0),
                is_activity=node.kind in ACTIVITY_KINDS,
                boundaries=boundaries,
                subscribed=tuple(b for b in boundaries if b.trigger in SUBSCRIBED),
                compensable=bool(getattr(node, "compensation_handler", None))
                or any(b.trigger is Trigger.COMPENSATE for b in boundaries),
                looped=getattr(node, "loop", None) is not None,
            )
            info = self.info[node_id]
            info.plain = (
                info.is_activity
                and not info.looped
                and not info.boundaries
                and not info.compensable
                and not node.inputs
                and not node.outputs
                and not node.async_after
                and node.kind not in (NodeKind.SUB_PROCESS, NodeKind.CALL_ACTIVITY)
                and not getattr(node, "is_for_compensation", False)
            )
            info.passthrough = _passes_through(info)
            info.placeholder = type(node) is ServiceTask and not (
                node.message or node.expression or node.task_type
            )
            info.task_type = getattr(node, "task_type", None)
            info.headers = MappingProxyType(dict(getattr(node, "headers", None) or {}))
            retries = getattr(node, "retries", None)
            info.retries = DEFAULT_RETRIES if retries is None else retries
        self.starts: dict[str, str | None] = {
            scope_id: _none_start(body, self.nodes, set(incoming)) for scope_id, body in self.bodies.items()
        }
        self.event_subprocesses: dict[str, tuple[SubProcess, ...]] = {
            scope_id: tuple(
                n for n in (self.nodes.get(e) for e in body.event_subprocesses) if isinstance(n, SubProcess)
            )
            for scope_id, body in self.bodies.items()
        }
        self.links: dict[tuple[str, str], str] = {}
        for node in self.nodes.values():
            if node.kind is NodeKind.INTERMEDIATE_CATCH_EVENT and isinstance(node, Event):
                for definition in node.definitions:
                    if definition.trigger is Trigger.LINK and definition.link_name:
                        self.links[(node.parent, definition.link_name)] = node.id
        self._ancestors: dict[tuple[str, str | None], frozenset[str]] = {}
        #: incoming flows by target, and the nodes a node can be entered from (flows and
        #: boundary events' attachment), for the inclusive join's reachability check
        self.incoming: dict[str, list[SequenceFlow]] = defaultdict(list)
        self.predecessors: dict[str, list[str]] = defaultdict(list)
        for flow in self.flows.values():
            self.incoming[flow.target].append(flow)
            self.predecessors[flow.target].append(flow.source)
        for info in self.info.values():
            for boundary in info.boundaries:
                self.predecessors[boundary.id].append(info.node.id)

    def _collect(self, body: ScopeSpec, scope_id: str) -> None:
        self.bodies[scope_id] = body
        self.flows.update(body.flows)
        for node_id, node in body.nodes.items():
            self.nodes[node_id] = node
            if isinstance(node, SubProcess):
                self._collect(node.body, node_id)

    def starts_of_process(self) -> tuple[str, ...]:
        """Every start event of the process's top level (none, message, timer, signal)."""
        body = self.spec.body
        return body.start_events or tuple(n.id for n in body.nodes.values() if n.kind is NodeKind.START_EVENT)

    def node_info(self, node_id: str) -> NodeInfo:
        try:
            return self.info[node_id]
        except KeyError as err:
            raise InstanceError(f"process {self.id!r} has no node {node_id!r}") from err

    def ancestors(self, node_id: str, avoid: str | None = None) -> frozenset[str]:
        """Nodes from which ``node_id`` can be reached without passing ``avoid`` (inclusive joins)."""
        key = (node_id, avoid)
        found = self._ancestors.get(key)
        if found is None:
            seen: set[str] = set()
            todo = [node_id]
            while todo:
                for source in self.predecessors.get(todo.pop(), ()):
                    if source not in seen and source != avoid:
                        seen.add(source)
                        todo.append(source)
            found = frozenset(seen)
            self._ancestors[key] = found
        return found

def _passes_through(info: NodeInfo) -> bool:
    node = info.node
    kind = info.kind
    if kind in (NodeKind.START_EVENT, NodeKind.BOUNDARY_EVENT):
        return True
    if kind in (NodeKind.END_EVENT, NodeKind.INTERMEDIATE_THROW_EVENT):
        return isinstance(node, Event) and node.trigger is Trigger.NONE
    if kind is NodeKind.EXCLUSIVE_GATEWAY:
        return info.straight is not None
    if not info.plain:
        return False
    if kind in (NodeKind.TASK, NodeKind.MANUAL_TASK):
        return True
    return type(node) is ServiceTask and not (node.message or node.expression or node.task_type)


def _ordered(node: Node, flows: list[SequenceFlow]) -> list[SequenceFlow]:
    """Outgoing flows in the model's order (the node's ``outgoing`` list when it has one)."""
    if not node.outgoing:
        return flows
    rank = {flow_id: i for i, flow_id in enumerate(node.outgoing)}
    return sorted(flows, key=lambda f: rank.get(f.id, len(rank)))


def _none_start(body: ScopeSpec, nodes: dict[str, Node], targets: set[str]) -> str | None:
    """The scope's none start event (or its only start event), if it has one."""
    starts = list(body.start_events) or [
        n.id for n in body.nodes.values() if n.kind is NodeKind.START_EVENT
    ]
    for start in starts:
        node = nodes.get(start)
        if isinstance(node, Event) and node.trigger is Trigger.NONE:
            return start
    return starts[0] if len(starts) == 1 else None

