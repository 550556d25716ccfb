"""Property tests: generated well-formed models (sequences, nested exclusive/parallel/inclusive
splits and joins, counter loops, user tasks) always complete, every parallel and inclusive join
fires once per split, and every task runs exactly as often as the model says -- no token lost
or duplicated -- whether or not the instance is saved and restored between steps."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runtime_models import document, flow

from conftest import Runner, library_of
from conveyor.engine.runtime import Handlers


@dataclass
class Task:
    user: bool
    id: str = ""


@dataclass
class Seq:
    parts: list[Any]


@dataclass
class Split:
    kind: str  # xor, and, or
    branches: list[Any]
    chosen: int = 0  # xor: the branch taken
    flags: list[bool] = field(default_factory=list)  # or: which conditional branches hold
    id: str = ""


@dataclass
class Loop:
    body: Any
    times: int
    id: str = ""


#: one task in four is a user task (a wait state, where the instance may be saved)
leaves = st.builds(Task, st.sampled_from([False, False, False, True]))


def _split(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Split]:
    @st.composite
    def build(draw: st.DrawFn) -> Split:
        kind = draw(st.sampled_from(["xor", "and", "or"]))
        branches = draw(st.lists(children, min_size=2, max_size=3))
        chosen = draw(st.integers(0, len(branches) - 1))
        flags = draw(st.lists(st.booleans(), min_size=len(branches), max_size=len(branches)))
        return Split(kind, branches, chosen, flags)

    return build()


models = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.builds(Seq, st.lists(children, min_size=2, max_size=3)),
        _split(children),
        st.builds(Loop, children, st.integers(1, 3)),
    ),
    max_leaves=10,
)


def _name(tree: Any, counter: itertools.count) -> None:
    number = next(counter)
    if isinstance(tree, Task):
        tree.id = f"{'u' if tree.user else 't'}{number}"
    elif isinstance(tree, Seq):
        for part in tree.parts:
            _name(part, counter)
    elif isinstance(tree, Split):
        tree.id = str(number)
        for branch in tree.branches:
            _name(branch, counter)
    else:
        tree.id = str(number)
        _name(tree.body, counter)


def _render(tree: Any, xml: list[str], variables: dict[str, Any]) -> tuple[str, str]:
    """Write the tree's elements and inner flows; return its first and last node ids."""
    if isinstance(tree, Task):
        xml.append(f'<{"userTask" if tree.user else "task"} id="{tree.id}"/>')
        return tree.id, tree.id
    if isinstance(tree, Seq):
        ends = [_render(part, xml, variables) for part in tree.parts]
        for (_, last), (first, _) in itertools.pairwise(ends):
            xml.append(flow(last, first))
        return ends[0][0], ends[-1][1]
    if isinstance(tree, Split):
        tag = {"xor": "exclusiveGateway", "and": "parallelGateway", "or": "inclusiveGateway"}[tree.kind]
        split, join = f"s{tree.id}", f"j{tree.id}"
        default = f' default="d{tree.id}"' if tree.kind == "or" else ""
        xml.append(f'<{tag} id="{split}"{default}/><{tag} id="{join}"/>')
        for index, branch in enumerate(tree.branches):
            first, last = _render(branch, xml, variables)
            condition = None
            flow_id = None
            if tree.kind == "xor":
                condition = f"pick{tree.id} = {index}"
                variables[f"pick{tree.id}"] = tree.chosen
            elif tree.kind == "or" and index == 0:
                flow_id = f"d{tree.id}"
            elif tree.kind == "or":
                condition = f"flag{tree.id}_{index}"
                variables[f"flag{tree.id}_{index}"] = tree.flags[index]
            xml.append(flow(split, first, condition, flow_id or f"f_{split}_{index}"))
            xml.append(flow(last, join, None, f"f_{join}_{index}"))
        return split, join
    reset, merge, count, decide, out = (f"{p}{tree.id}" for p in ("lr", "lm", "li", "ld", "lx"))
    xml.append(f'<scriptTask id="{reset}" scriptFormat="feel" camunda:resultVariable="c{tree.id}">'
               f"<script>0</script></scriptTask>")
    xml.append(f'<exclusiveGateway id="{merge}"/><exclusiveGateway id="{decide}" default="x{tree.id}"/>'
               f'<exclusiveGateway id="{out}"/>')
    xml.append(f'<scriptTask id="{count}" scriptFormat="feel" camunda:resultVariable="c{tree.id}">'
               f"<script>c{tree.id} + 1</script></scriptTask>")
    first, last = _render(tree.body, xml, variables)
    xml += [flow(reset, merge), flow(merge, first), flow(last, count), flow(count, decide),
            flow(decide, merge, f"c{tree.id} < {tree.times}"),
            flow(decide, out, None, f"x{tree.id}")]
    return reset, out


def _expected(tree: Any, times: int, counts: Counter) -> None:
    if isinstance(tree, Task):
        counts[tree.id] += times
    elif isinstance(tree, Seq):
        for part in tree.parts:
            _expected(part, times, counts)
    elif isinstance(tree, Split):
        counts[f"s{tree.id}"] += times
        if tree.kind == "xor":
            taken = [tree.chosen]
        elif tree.kind == "and":
            taken = list(range(len(tree.branches)))
        else:
            taken = [i for i in range(1, len(tree.branches)) if tree.flags[i]] or [0]
        counts[f"j{tree.id}"] += times * (len(taken) if tree.kind == "xor" else 1)
        for index in taken:
            _expected(tree.branches[index], times, counts)
    else:
        _expected(tree.body, times * tree.times, counts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=models, roundtrip=st.booleans())
def test_generated_models_complete_with_every_task_and_join_run_exactly_as_modelled(tree, roundtrip):
    _name(tree, itertools.count(1))
    xml: list[str] = []
    variables: dict[str, Any] = {}
    first, last = _render(tree, xml, variables)
    body = '<startEvent id="start"/><endEvent id="end"/>' + "".join(xml)
    body += flow("start", first) + flow(last, "end")
    runner = Runner(library_of(document(body)), Handlers(), roundtrip)
    runner.start(variables)
    steps = 0
    while runner.state == "active":
        tasks = sorted((w.id, w.node) for w in runner.i.waits if w.kind == "userTask")
        assert tasks, f"stuck with nothing to do: {runner.waiting}"
        runner.complete(tasks[-1][1] if steps % 2 else tasks[0][1])
        steps += 1
        assert steps < 500
    assert runner.state == "completed", runner.incidents
    assert runner.i.positions == []
    expected: Counter = Counter()
    _expected(tree, 1, expected)
    actual = Counter(runner.path)
    for node, count in expected.items():
        assert actual[node] == count, (node, count, actual[node])
