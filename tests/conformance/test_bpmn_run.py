"""Third-party BPMN models run on our engine to the end their own suites expect.

Each case of ``bpmn_expectations.CASES`` -- a model file of ``../shared/conformance``
and a scenario -- either runs (in memory, the outside world simulated) and shows the
expected facts, or is refused at load with the stated reason, or is descriptive (no
executable process). Every run is repeated with the instances saved to plain data and
restored between any two steps, and must end the same way. Cases listed in
``KNOWN_BUGS`` and ``HANGS`` are expected to fail (strictly: a fix makes the test say
so); the hanging ones run with a time limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bpmn_cases import CASES, HANGS, KNOWN_BUGS, all_cases, time_limit
from bpmn_expectations import Descriptive, Refused, Runs, check
from bpmn_scenarios import Scenario, play

CONFORMANCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance"
MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml")


def _params(*, runs_only: bool = False, mark_bugs: bool = True) -> list[object]:
    params: list[object] = []
    for model, name, expected in all_cases():
        if runs_only and (not isinstance(expected, Runs) or (model, name) in HANGS):
            continue
        marks = []
        if (model, name) in HANGS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"BUG (hangs): {HANGS[model, name]}"))
        elif mark_bugs and (model, name) in KNOWN_BUGS:
            marks.append(pytest.mark.xfail(strict=True, reason=f"BUG: {KNOWN_BUGS[model, name]}"))
        label = f"{model}:{name}" if name else model
        params.append(pytest.param(model, name, expected, id=label, marks=marks))
    return params


def scenario_of(expected: Runs | Refused | Descriptive) -> Scenario:
    if isinstance(expected, Runs):
        return expected.scenario
    if isinstance(expected, Refused):
        return Scenario(expected.files)
    return Scenario((expected.file,))


@pytest.mark.parametrize(("model", "name", "expected"), _params())
def test_model_runs_to_its_expected_end_or_is_refused_for_its_reason(
    shared_dir: Path, model: str, name: str, expected: Runs | Refused | Descriptive
) -> None:
    outcome = play(shared_dir, scenario_of(expected), time_limit=time_limit(model, name))
    assert check(expected, outcome) == []


@pytest.mark.parametrize(("model", "name", "expected"), _params(runs_only=True, mark_bugs=False))
def test_model_ends_the_same_when_saved_and_restored_between_every_step(
    shared_dir: Path, model: str, name: str, expected: Runs
) -> None:
    limit = time_limit(model, name)
    live = play(shared_dir, expected.scenario, time_limit=limit)
    restored = play(shared_dir, expected.scenario, restore_every_step=True, time_limit=limit)
    assert restored.summary == live.summary
    assert [(i.process_id, i.state, i.path, i.variables, i.waiting) for i in restored.instances] == [
        (i.process_id, i.state, i.path, i.variables, i.waiting) for i in live.instances
    ]


def test_every_conformance_model_file_has_an_expectation(shared_dir: Path) -> None:
    models = {
        str(path.relative_to(shared_dir))
        for folder in ("bpmn-miwg", "spiffworkflow")
        for path in (shared_dir / folder).rglob("*")
        if path.name.endswith(MODEL_SUFFIXES)
    }
    assert models - set(CASES) == set(), "add these models to bpmn_expectations.CASES"
    assert set(CASES) - models == set(), "these expectations name files that do not exist"


def test_every_known_bug_and_hang_names_a_real_case() -> None:
    cases = {(model, name) for model, name, _ in all_cases()}
    assert set(KNOWN_BUGS) <= cases
    assert set(HANGS) <= cases
