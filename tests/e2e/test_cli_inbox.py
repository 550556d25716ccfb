"""conveyor tasks ... and conveyor exceptions ...: the inbox and the register from the command line,
acting as a token's holder (--token) with its groups, or as the local operator."""

from __future__ import annotations

import json

from typer.testing import CliRunner, Result

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.entrypoints.cli import app as cli_app
from conveyor.services import api_tokens
from conveyor.services.exceptions import record_exception
from conveyor.services.workflow import workflow_for

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://conveyor.dev/tests">
<bpmn:process id="qc" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="check" name="Check" camunda:candidateGroups="quality">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="passed" type="boolean"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="check"/>
  <bpmn:sequenceFlow id="b" sourceRef="check" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
"""


def run(runtime: Runtime, *args: str, **env: str) -> Result:
    environment = {
        "CONVEYOR_DATABASE_URL": runtime.settings.database_url,
        "CONVEYOR_LOG_FORMAT": "json",
        **env,
    }
    return CliRunner().invoke(cli_app, list(args), env=environment)


def _token(runtime: Runtime, name: str, role: Role, groups: str | None = None) -> str:
    return api_tokens.issue_token(runtime.unit_of_work(), name=name, role=role, groups=groups).secret


def test_token_create_with_groups(migrated_runtime: Runtime) -> None:
    created = run(
        migrated_runtime,
        "token",
        "create",
        "--role",
        "warehouse",
        "--name",
        "qa",
        "--groups",
        "quality,packing",
    )
    assert created.exit_code == 0, created.stderr
    assert "in groups packing, quality" in created.stderr
    listed = json.loads(run(migrated_runtime, "token", "list", "--json").stdout)
    assert [t["groups"] for t in listed if t["name"] == "qa"] == ["packing,quality"]
    bad = run(
        migrated_runtime, "token", "create", "--role", "warehouse", "--name", "x", "--groups", "no spaces"
    )
    assert bad.exit_code == 2 and "groups" in bad.stderr


def test_tasks_list_claim_complete_with_token_groups(migrated_runtime: Runtime) -> None:
    workflow = workflow_for(migrated_runtime)
    workflow.deploy(MODEL)
    workflow.start("qc", business_key="ORD-77")
    kim = _token(migrated_runtime, "kim", Role.WAREHOUSE, "quality")
    lee = _token(migrated_runtime, "lee", Role.WAREHOUSE, "quality")
    outsider = _token(migrated_runtime, "max", Role.WAREHOUSE)
    listed = json.loads(run(migrated_runtime, "tasks", "list", "--mine", "--json", CONVEYOR_TOKEN=kim).stdout)
    (task,) = listed["data"]
    assert task["business_key"] == "ORD-77"
    assert (
        json.loads(
            run(migrated_runtime, "tasks", "list", "--mine", "--json", CONVEYOR_TOKEN=outsider).stdout
        )["data"]
        == []
    )
    table = run(migrated_runtime, "tasks", "list", "--group", "quality")
    assert "Check" in table.stdout and "ORD-77" in table.stdout
    task_id = str(task["id"])
    refused = run(migrated_runtime, "tasks", "claim", task_id, "--token", outsider)
    assert refused.exit_code == 5 and "task_forbidden" in refused.stderr
    assert run(migrated_runtime, "tasks", "claim", task_id, "--token", kim).exit_code == 0
    taken = run(migrated_runtime, "tasks", "claim", task_id, "--token", lee)
    assert taken.exit_code == 4 and "'kim'" in taken.stderr
    someone_elses = run(
        migrated_runtime, "tasks", "complete", task_id, "--data", '{"passed": true}', "--token", lee
    )
    assert someone_elses.exit_code == 5 and "task_claimed_by_other" in someone_elses.stderr
    missing = run(migrated_runtime, "tasks", "complete", task_id, "--data", "{}", "--token", kim)
    assert missing.exit_code == 2 and "variables.passed" in missing.stderr
    not_json = run(migrated_runtime, "tasks", "complete", task_id, "--data", "{passed", "--token", kim)
    assert not_json.exit_code == 2
    assert run(migrated_runtime, "tasks", "comment", task_id, "all good", "--token", kim).exit_code == 0
    done = run(migrated_runtime, "tasks", "complete", task_id, "--data", '{"passed": true}', "--token", kim)
    assert done.exit_code == 0, done.stderr
    shown = json.loads(run(migrated_runtime, "tasks", "show", task_id).stdout)
    assert shown["state"] == "completed" and [c["body"] for c in shown["comments"]] == ["all good"]
    assert [a["action"] for a in shown["activity"]] == ["claimed", "commented", "completed"]


def test_exceptions_list_show_summary_and_resolve(migrated_runtime: Runtime) -> None:
    with migrated_runtime.unit_of_work() as uow:
        first = record_exception(uow, type="pick.short", summary="2 short", sku="MUG-STONE", order_id="ORD-1")
        record_exception(uow, type="delivery.late", summary="late", carrier_code="dhl")
        uow.commit()
    listed = run(migrated_runtime, "exceptions", "list", "--category", "stock_accuracy")
    assert listed.exit_code == 0 and "pick.short" in listed.stdout and "delivery.late" not in listed.stdout
    as_json = json.loads(run(migrated_runtime, "exceptions", "list", "--carrier", "dhl", "--json").stdout)
    assert [r["type"] for r in as_json["data"]] == ["delivery.late"]
    bad = run(migrated_runtime, "exceptions", "list", "--status", "opened")
    assert bad.exit_code == 2 and "status" in bad.stderr
    resolved = run(migrated_runtime, "exceptions", "resolve", str(first), "--resolution", "recounted",
                   "--root-cause", "bin mislabelled", "--user", "sam")  # fmt: skip
    assert resolved.exit_code == 0, resolved.stderr
    shown = run(migrated_runtime, "exceptions", "show", str(first))
    assert "resolved" in shown.stdout and "bin mislabelled" in shown.stdout and "sam" in shown.stdout
    again = run(migrated_runtime, "exceptions", "resolve", str(first), "--resolution", "again")
    assert again.exit_code == 4
    summary = json.loads(run(migrated_runtime, "exceptions", "summary", "--by", "category", "--json").stdout)
    assert {g["key"]: (g["count"], g["open"]) for g in summary["data"]} == {
        "carrier": (1, 1), "stock_accuracy": (1, 0),
    }  # fmt: skip
    classified = run(
        migrated_runtime, "exceptions", "classify", "the courier left it outside and it got lost"
    )
    assert classified.stdout.startswith("carrier ")
