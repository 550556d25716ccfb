"""``conveyor bpmn run`` on the conformance models ends where the conformance driver ends.

The conformance driver (``bpmn_scenarios``) and the CLI simulate the outside world
the same way for scenarios that start a process by id and use only variables,
answers, mocks and BPMN errors; for those, the CLI's JSON (PRODUCT.md) must report the
same state and the same path as the driver's main instance.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bpmn_cases import HANGS, KNOWN_BUGS, all_cases, time_limit
from bpmn_expectations import Runs
from bpmn_scenarios import Later, Outcome, Scenario, play
from typer.testing import CliRunner

from conveyor.entrypoints.cli import app

#: the CLI's state for each end state of the driver's main instance
CLI_STATE = {"completed": "completed", "active": "waiting", "failed": "failed"}


def _comparable(scenario: Scenario) -> bool:
    return (
        scenario.start_message is None
        and scenario.start_signal is None
        and not scenario.sends
        and not any(isinstance(answer, Later) for answer in scenario.answers.values())
    )


CASES = [
    pytest.param(model, name, expected.scenario, id=f"{model}:{name}" if name else model)
    for model, name, expected in all_cases()
    if isinstance(expected, Runs)
    and _comparable(expected.scenario)
    and (model, name) not in HANGS
    and (model, name) not in KNOWN_BUGS
]


def _arguments(root: Path, scenario: Scenario, answers: Path) -> list[str]:
    args = ["bpmn", "run", *(str(root / name) for name in scenario.files)]
    if scenario.process:
        args += ["--process", scenario.process]
    args += [f"--var={name}={json.dumps(value)}" for name, value in scenario.variables.items()]
    args += [f"--mock={node}={json.dumps(dict(data))}" for node, data in scenario.mocks.items()]
    args += [f"--fail={node}={code}" for node, code in scenario.fails.items()]
    answers.write_text(json.dumps(dict(scenario.answers)))
    return [*args, "--answers", str(answers)]


@pytest.mark.parametrize(("model", "name", "scenario"), CASES)
def test_cli_run_reports_the_state_and_path_the_driver_sees(
    shared_dir: Path, tmp_path: Path, model: str, name: str, scenario: Scenario
) -> None:
    outcome: Outcome = play(shared_dir, scenario, time_limit=time_limit(model, name))
    result = CliRunner().invoke(app, _arguments(shared_dir, scenario, tmp_path / "answers.json"))
    assert result.exit_code in (0, 1), result.output
    printed = json.loads(result.stdout)
    assert printed["state"] == CLI_STATE[outcome.main.state]
    assert printed["path"] == outcome.main.path
