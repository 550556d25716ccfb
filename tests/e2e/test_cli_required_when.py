"""``requiredWhen`` from the command line: ``conveyor bpmn check`` names a bad condition,
``conveyor tasks complete`` refuses a rejection without its reason (exit 2) and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conveyor.bootstrap import Runtime
from conveyor.engine.errors import ModelError
from conveyor.entrypoints.cli import app as cli_app
from conveyor.services.workflow import workflow_for


def model(condition: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://conveyor.dev/tests">
<bpmn:process id="qc" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="check" name="Check" camunda:candidateGroups="quality">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="passed" type="boolean"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>
      <camunda:formField id="reason" type="string"><camunda:properties>
        <camunda:property id="requiredWhen" value="{condition}"/>
      </camunda:properties></camunda:formField>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="check"/>
  <bpmn:sequenceFlow id="b" sourceRef="check" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
"""


def run(runtime: Runtime | None, *args: str) -> Result:
    env = {"CONVEYOR_LOG_FORMAT": "json"}
    if runtime is not None:
        env["CONVEYOR_DATABASE_URL"] = runtime.settings.database_url
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_bpmn_check_names_the_task_the_field_and_the_line_of_a_bad_condition(tmp_path: Path) -> None:
    path = tmp_path / "qc.bpmn"
    path.write_text(model("passed = = false"))
    result = run(None, "bpmn", "check", "--format", "json", str(path))
    assert result.exit_code == 1
    [found] = json.loads(result.stdout)["problems"]
    assert (found["element_id"], found["line"], found["code"]) == ("check", 11, "bad_expression")
    assert "requiredWhen" in found["message"] and "'reason'" in found["message"]
    path.write_text(model("passed = false"))
    assert run(None, "bpmn", "check", str(path)).exit_code == 0


def test_tasks_complete_refuses_a_rejection_without_a_reason_and_leaves_the_task_open(
    migrated_runtime: Runtime,
) -> None:
    workflow = workflow_for(migrated_runtime)
    workflow.deploy(model("passed = false"))
    workflow.start("qc", business_key="ORD-78")
    [task] = json.loads(run(migrated_runtime, "tasks", "list", "--json").stdout)["data"]
    task_id = str(task["id"])
    refused = run(migrated_runtime, "tasks", "complete", task_id, "--data", '{"passed": false}')
    assert refused.exit_code == 2
    assert "variables.reason" in refused.stderr and "passed = false" in refused.stderr
    assert json.loads(run(migrated_runtime, "tasks", "show", task_id).stdout)["state"] == "created"
    done = run(
        migrated_runtime, "tasks", "complete", task_id, "--data", '{"passed": false, "reason": "scratched"}'
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(run(migrated_runtime, "tasks", "show", task_id).stdout)["state"] == "completed"


def test_deploying_a_model_with_a_bad_condition_is_refused(migrated_runtime: Runtime) -> None:
    workflow = workflow_for(migrated_runtime)
    with pytest.raises(ModelError) as caught:
        workflow.deploy(model("passed = = false"))
    assert [(p.element_id, p.line) for p in caught.value.problems] == [("check", 11)]
    assert workflow.deploy(model("passed = false"))
