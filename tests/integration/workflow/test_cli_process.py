"""``conveyor process|incidents|history`` against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result
from workflow_models import quality_check, timer_start, undecidable_gateway

from conveyor.bootstrap import Runtime
from conveyor.entrypoints.cli import app as cli_app
from conveyor.services.workflow import Workflow


def run(runtime: Runtime, *args: str) -> Result:
    env = {"CONVEYOR_DATABASE_URL": runtime.settings.database_url, "CONVEYOR_LOG_FORMAT": "json"}
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_process_deploy_list_and_show(migrated_runtime: Runtime, tmp_path: Path) -> None:
    model = tmp_path / "qc.bpmn"
    model.write_text(quality_check())
    first = run(migrated_runtime, "process", "deploy", str(model))
    assert first.exit_code == 0 and "deployed version 1" in first.stderr
    again = run(migrated_runtime, "process", "deploy", str(model))
    assert "unchanged, still version 1" in again.stderr
    listed = run(migrated_runtime, "process", "list", "--json")
    assert [(r["key"], r["version"]) for r in json.loads(listed.stdout)] == [("qc_process", 1)]
    shown = run(migrated_runtime, "process", "show", "qc_process")
    assert shown.exit_code == 0 and shown.stdout == quality_check()


def test_process_deploy_of_an_invalid_model_exits_2_naming_the_problems(
    migrated_runtime: Runtime, tmp_path: Path
) -> None:
    model = tmp_path / "bad.bpmn"
    model.write_text(quality_check().replace('targetRef="end"', 'targetRef="nowhere"'))
    result = run(migrated_runtime, "process", "deploy", str(model))
    assert result.exit_code == 2 and "nowhere" in result.stderr


def test_process_migrate_moves_instances_whose_nodes_exist_and_refuses_the_others(
    migrated_runtime: Runtime, workflow: Workflow
) -> None:
    workflow.deploy(quality_check())
    waiting = workflow.start("qc_process")
    workflow.deploy(quality_check(name="Renamed check"))
    dry = run(migrated_runtime, "process", "migrate", "qc_process", "--from", "1", "--to", "2", "--dry-run")
    assert dry.exit_code == 0 and f"would move {waiting.id}" in dry.stdout
    moved = run(migrated_runtime, "process", "migrate", "qc_process", "--from", "1", "--to", "2")
    assert moved.exit_code == 0 and f"moved {waiting.id}" in moved.stdout
    assert json.loads(run(migrated_runtime, "process", "list", "--json").stdout)[1]["instances"] == {
        "active": 1
    }
    workflow.deploy(quality_check().replace("quality_check", "inspection"))
    refused = run(migrated_runtime, "process", "migrate", "qc_process", "--from", "2", "--to", "3", "--json")
    assert refused.exit_code == 4
    report = json.loads(refused.stdout)
    (reasons,) = [item["reasons"] for item in report["refused"]]
    assert report["moved"] == [] and "'quality_check' does not exist in version 3" in reasons[0]


def test_incidents_list_and_retry(migrated_runtime: Runtime, workflow: Workflow) -> None:
    workflow.deploy(undecidable_gateway())
    started = workflow.start("routing")
    assert started.state == "failed"
    listed = run(migrated_runtime, "incidents", "list", "--json")
    (incident,) = json.loads(listed.stdout)
    assert incident["node"] == "route" and incident["instance_id"] == started.id
    table = run(migrated_runtime, "incidents", "list")
    assert "route" in table.stdout and "ERROR" in table.stdout
    workflow.set_variables(started.id, {"total": 5})
    retried = run(migrated_runtime, "incidents", "retry", str(incident["id"]))
    assert retried.exit_code == 0
    assert json.loads(run(migrated_runtime, "incidents", "list", "--json").stdout) == []
    assert run(migrated_runtime, "incidents", "retry", str(incident["id"])).exit_code == 4


def test_history_prune_needs_a_retention(migrated_runtime: Runtime) -> None:
    result = run(migrated_runtime, "history", "prune")
    assert result.exit_code == 2 and "CONVEYOR_HISTORY_RETENTION_DAYS" in result.stderr
    pruned = run(migrated_runtime, "history", "prune", "--days", "30")
    assert pruned.exit_code == 0 and "Deleted 0 history rows" in pruned.stderr


def test_history_prune_deletes_history_of_instances_that_ended_long_ago_only(
    migrated_runtime: Runtime, workflow: Workflow, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(undecidable_gateway())
    ended = workflow.start("routing", {"total": 5})  # ends at once, on the test clock months ago
    running = workflow.start("routing")  # stuck on an incident: never pruned
    pruned = run(migrated_runtime, "history", "prune", "--days", "30")
    assert pruned.exit_code == 0
    assert sql("SELECT count(*) FROM workflow_history WHERE instance_id = :i", i=ended.id)[0][0] == 0
    assert sql("SELECT count(*) FROM workflow_history WHERE instance_id = :i", i=running.id)[0][0] > 0


def test_conveyor_worker_runs_due_jobs_and_stops_cleanly_on_sigterm(
    migrated_runtime: Runtime, workflow: Workflow, sql: Callable[..., list[Any]]
) -> None:
    workflow.deploy(timer_start("R1/PT0S"))  # one start, due at once
    env = {
        **os.environ,
        "CONVEYOR_DATABASE_URL": migrated_runtime.settings.database_url,
        "CONVEYOR_LOG_FORMAT": "json",
        "CONVEYOR_POLL_SECONDS": "0.05",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("conveyor")), "worker", "--concurrency", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while sql("SELECT count(*) FROM process_instances WHERE state = 'completed'")[0][0] < 1:
            assert time.monotonic() < deadline, "the worker did not start the timer's instance"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert code == 0, stderr
    assert "Workers stopped." in stderr
