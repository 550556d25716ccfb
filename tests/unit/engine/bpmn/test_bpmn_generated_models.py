"""Generated well-formed models: the parser keeps every node and flow and the graph consistent."""

from __future__ import annotations

from bpmn_samples import document
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor.engine.bpmn import parse_bpmn

TASKS = ["task", "serviceTask", "userTask", "manualTask"]


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> list[tuple[str, object]]:
    """A sequence of steps: tasks, or (when not too deep) a split of two to three branches."""
    steps: list[tuple[str, object]] = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.booleans()):
            kind = draw(st.sampled_from(["exclusiveGateway", "parallelGateway", "inclusiveGateway"]))
            branches = draw(st.lists(blocks(depth + 1), min_size=2, max_size=3))
            steps.append((kind, branches))
        else:
            steps.append((draw(st.sampled_from(TASKS)), None))
    return steps


class Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.count = 0
        self.flows = 0

    def node(self, tag: str, extra: str = "") -> str:
        self.count += 1
        node_id = f"n{self.count}"
        self.parts.append(f'<bpmn:{tag} id="{node_id}"{extra}/>')
        return node_id

    def flow(self, source: str, target: str) -> None:
        self.flows += 1
        flow_id = f"f{self.flows}"
        self.parts.append(f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>')

    def sequence(self, steps: list[tuple[str, object]], previous: str) -> str:
        for kind, branches in steps:
            if branches is None:
                current = self.node(kind)
                self.flow(previous, current)
                previous = current
                continue
            split = self.node(kind)
            join = self.node(kind)
            self.flow(previous, split)
            for branch in branches:  # type: ignore[attr-defined]
                self.flow(self.sequence(branch, split), join)
            previous = join
        return previous


@settings(max_examples=25, deadline=None)
@given(blocks())
def test_generated_models_keep_every_node_and_flow_consistent(steps: list[tuple[str, object]]) -> None:
    writer = Writer()
    start = writer.node("startEvent")
    last = writer.sequence(steps, start)
    writer.flow(last, writer.node("endEvent"))
    defs = parse_bpmn(document("\n".join(writer.parts)))
    process = defs.processes["p"]
    assert len(process.all_nodes) == writer.count
    assert len(process.all_flows) == writer.flows
    for flow in process.all_flows.values():
        assert flow.id in process.node(flow.source).outgoing
        assert flow.id in process.node(flow.target).incoming
    for node in process.all_nodes.values():
        assert all(process.all_flows[f].target == node.id for f in node.incoming)
        assert all(process.all_flows[f].source == node.id for f in node.outgoing)
    assert not [w for w in defs.warnings if w.code == "unreachable"]
