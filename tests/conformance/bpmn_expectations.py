"""The kinds of expectation a conformance case can have, and ``check`` that compares.

- ``Runs``: a scenario (see ``bpmn_scenarios``) and the facts its run must show -- the
  main instance's end state and last node, nodes it must and must not pass, how often,
  variables, what it still waits on, the state of the other instances;
- ``Refused``: the model is refused at load time, with problems containing ``says``;
- ``Descriptive``: the file holds no executable process (``isExecutable="false"``, or
  no attribute and elements that cannot run), so it is read and shown, never run.

The cases themselves are in ``bpmn_cases``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bpmn_scenarios import Outcome, Scenario


@dataclass(frozen=True)
class Runs:
    """The scenario runs and its outcome shows every fact given here."""

    scenario: Scenario
    state: str = "completed"
    ends_at: str | None = None
    passes: tuple[str, ...] = ()  # completed by the main instance, in this relative order
    avoids: tuple[str, ...] = ()  # never completed by the main instance
    counts: Mapping[str, int] = field(default_factory=dict)  # node -> completions
    variables: Mapping[str, Any] = field(default_factory=dict)  # a subset of the main's
    waiting: tuple[tuple[str, str], ...] | None = None  # (node, kind) the main waits on
    incident: tuple[str, str] | None = None  # (node, text in the error)
    others: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # process -> (state, n)
    undelivered: tuple[str, ...] = ()  # messages/signals nobody took
    note: str = ""


@dataclass(frozen=True)
class Refused:
    """Loading the files fails; the problems name the elements and say why."""

    files: tuple[str, ...]
    says: str
    reason: str


@dataclass(frozen=True)
class Descriptive:
    """The file has no executable process: it is read, never run."""

    file: str
    reason: str


Expectation = Runs | Refused | Descriptive


def check(expected: Expectation, outcome: Outcome) -> list[str]:
    """Every way ``outcome`` differs from ``expected`` (empty: it conforms)."""
    if isinstance(expected, Refused):
        if outcome.kind != "refused":
            return [f"expected the model to be refused ({expected.says}), got {outcome.summary}"]
        if not any(expected.says in problem for problem in outcome.problems):
            return [f"no problem says {expected.says!r}: {outcome.problems}"]
        return []
    if isinstance(expected, Descriptive):
        if outcome.kind != "descriptive":
            return [f"expected no executable process, got {outcome.summary}"]
        return []
    if outcome.kind != "played":
        return [f"expected the model to run, got {outcome.summary}"]
    return _facts(expected, outcome)


def _facts(expected: Runs, outcome: Outcome) -> list[str]:
    main = outcome.main
    wrong = []
    if outcome.stuck:
        wrong.append("the scenario did not settle (a loop kept asking for the outside world)")
    if main.state != expected.state:
        wrong.append(f"state {main.state}, expected {expected.state} ({outcome.summary})")
    last = main.path[-1] if main.path else None
    if expected.ends_at is not None and last != expected.ends_at:
        wrong.append(f"ended at {last}, expected {expected.ends_at}")
    position = 0
    for node in expected.passes:
        try:
            position = main.path.index(node, position) + 1
        except ValueError:
            wrong.append(f"did not pass {node} (in this order) -- path {main.path}")
            break
    wrong += [f"passed {node}, which it must avoid" for node in expected.avoids if node in main.path]
    for node, times in expected.counts.items():
        if main.path.count(node) != times:
            wrong.append(f"{node} completed {main.path.count(node)} times, expected {times}")
    for name, value in expected.variables.items():
        if main.variables.get(name, "<unset>") != value:
            wrong.append(f"variable {name} = {main.variables.get(name, '<unset>')!r}, expected {value!r}")
    if expected.waiting is not None and sorted(main.waiting) != sorted(expected.waiting):
        wrong.append(f"waits on {main.waiting}, expected {list(expected.waiting)}")
    if expected.incident is not None:
        node, text = expected.incident
        if not any(n == node and text in error for n, error in main.incidents):
            wrong.append(f"no incident at {node} saying {text!r}: {main.incidents}")
    elif main.incidents:
        wrong.append(f"unexpected incidents: {main.incidents}")
    if sorted(outcome.undelivered) != sorted(expected.undelivered):
        wrong.append(f"undelivered {outcome.undelivered}, expected {list(expected.undelivered)}")
    for process, (state, number) in expected.others.items():
        found = [i.state for i in outcome.of(process)]
        if found != [state] * number:
            wrong.append(f"instances of {process}: {found}, expected {number} {state}")
    return wrong
