"""The task inbox over HTTP: a 'quality' task worked by a token in group quality; someone else's task;
a form missing a required field; two claims racing; delegation, comments, escalation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services import api_tokens, task_inbox

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://conveyor.dev/tests">
<bpmn:process id="inspection" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:userTask id="inspect" name="Inspect the returned item" camunda:candidateGroups="quality"
      camunda:dueDate="PT2H" camunda:priority="70">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="outcome" type="enum"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation>
        <camunda:value id="restock"/><camunda:value id="quarantine"/><camunda:value id="scrap"/>
      </camunda:formField>
      <camunda:formField id="checked_by" type="string"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="inspect"/>
  <bpmn:sequenceFlow id="b" sourceRef="inspect" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def people(migrated_runtime: Runtime) -> dict[str, dict[str, str]]:
    """Bearer headers: kim and lee are warehouse staff in group quality, max is warehouse only."""
    made = {}
    for name, role, groups in (
        ("kim", Role.WAREHOUSE, "quality"), ("lee", Role.SUPPORT, "quality,packing"),
        ("max", Role.WAREHOUSE, None), ("ada", Role.ADMIN, None), ("int", Role.INTEGRATION, None),
    ):  # fmt: skip
        issued = api_tokens.issue_token(migrated_runtime.unit_of_work(), name=name, role=role, groups=groups)
        made[name] = {"Authorization": f"Bearer {issued.secret}"}
    return made


def _task(client: TestClient, people: dict[str, dict[str, str]], key: str = "ORD-5") -> dict[str, Any]:
    deployed = client.post(
        "/api/v1/processes", files={"file": ("inspection.bpmn", MODEL.encode())}, headers=people["ada"]
    )
    assert deployed.status_code in (200, 201), deployed.text
    started = client.post(
        "/api/v1/process-instances",
        json={"process": "inspection", "business_key": key},
        headers=people["int"],
    )
    assert started.status_code == 201, started.text
    tasks = client.get(f"/api/v1/tasks?order_id={key}", headers=people["kim"]).json()["data"]
    (task,) = tasks
    return task


def test_a_token_in_group_quality_claims_and_completes_with_no_code_change(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    me = client.get("/api/v1/me", headers=people["lee"]).json()
    assert me["groups"] == ["packing", "quality"]
    task = _task(client, people)
    assert (task["candidate_groups"], task["priority"], task["process"]) == (["quality"], 70, "inspection")
    assert task["due_at"] is not None and task["due_text"] == "PT2H"
    mine = client.get("/api/v1/tasks?mine=true", headers=people["kim"]).json()
    assert [t["id"] for t in mine["data"]] == [task["id"]]
    assert client.get("/api/v1/tasks?mine=true", headers=people["max"]).json()["data"] == []
    refused = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=people["max"])
    assert refused.status_code == 403 and refused.json()["code"] == "task_forbidden"
    assert "quality" in refused.json()["detail"]
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=people["kim"])
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "kim"
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"variables": {"outcome": "quarantine", "checked_by": "kim"}},
        headers=people["kim"],
    )
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["completed_by"]) == ("completed", "kim")
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=people["max"]).json()
    assert [a["action"] for a in detail["activity"]] == ["claimed", "completed"]
    instance = client.get(f"/api/v1/process-instances/{task['instance_id']}", headers=people["max"]).json()
    assert instance["state"] == "completed" and instance["variables"]["outcome"] == "quarantine"


def test_completing_someone_elses_task_is_403_naming_them_and_nothing_is_written(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    task = _task(client, people)
    client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=people["kim"])
    events_before = client.get("/api/v1/events", headers=people["ada"]).json()["items"]
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"variables": {"outcome": "restock", "checked_by": "lee"}},
        headers=people["lee"],
    )
    assert response.status_code == 403
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "task_claimed_by_other" and problem["assignee"] == "kim"
    assert "'kim'" in problem["detail"]
    after = client.get(f"/api/v1/tasks/{task['id']}", headers=people["kim"]).json()
    assert (after["state"], after["assignee"], after["completed_at"]) == ("claimed", "kim", None)
    assert client.get("/api/v1/events", headers=people["ada"]).json()["items"] == events_before


def test_a_form_missing_a_required_field_is_422_listing_each_field_and_nothing_is_written(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    task = _task(client, people)
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}, headers=people["kim"]
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_form_data"
    assert sorted(e["path"] for e in problem["errors"]) == ["variables.checked_by", "variables.outcome"]
    wrong = client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"variables": {"outcome": "burn", "checked_by": "kim"}},
        headers=people["kim"],
    )
    assert wrong.status_code == 422 and [e["path"] for e in wrong.json()["errors"]] == ["variables.outcome"]
    after = client.get(f"/api/v1/tasks/{task['id']}", headers=people["kim"]).json()
    assert (after["state"], after["activity"]) == ("created", [])


def test_two_people_claiming_the_same_task_one_wins_the_other_gets_409(
    client: TestClient, people: dict[str, dict[str, str]]
) -> None:
    task = _task(client, people)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def claim(name: str) -> None:
        barrier.wait(timeout=10)
        results[name] = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=people[name])

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("kim", "lee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], {n: r.text for n, r in results.items()}
    loser = next(r for r in results.values() if r.status_code == 409).json()
    winner = next(n for n, r in results.items() if r.status_code == 200)
    assert loser["code"] == "task_already_claimed" and loser["assignee"] == winner


def test_delegate_unclaim_comment_and_escalate(
    client: TestClient, people: dict[str, dict[str, str]], migrated_runtime: Runtime
) -> None:
    task = _task(client, people)
    path = f"/api/v1/tasks/{task['id']}"
    assert client.post(f"{path}/claim", json={}, headers=people["kim"]).status_code == 200
    bad = client.post(f"{path}/delegate", json={}, headers=people["kim"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "user"
    delegated = client.post(f"{path}/delegate", json={"group": "packing"}, headers=people["kim"]).json()
    assert (delegated["candidate_groups"], delegated["owner"], delegated["assignee"]) == (
        ["packing"],
        "kim",
        None,
    )
    assert client.post(f"{path}/claim", json={}, headers=people["kim"]).status_code == 403
    assert client.post(f"{path}/claim", json={}, headers=people["lee"]).status_code == 200
    assert client.post(f"{path}/unclaim", headers=people["kim"]).status_code == 403
    assert client.post(f"{path}/unclaim", headers=people["lee"]).json()["state"] == "created"
    posted = client.post(f"{path}/comments", json={"body": "Box was wet"}, headers=people["lee"])
    assert posted.status_code == 201 and posted.json()["author"] == "lee"
    assert client.post(f"{path}/comments", json={"body": "x"}, headers=people["max"]).status_code == 403
    assert client.post(f"{path}/comments", json={"body": ""}, headers=people["lee"]).status_code == 422
    comments = client.get(f"{path}/comments", headers=people["max"]).json()
    assert [c["body"] for c in comments["data"]] == ["Box was wet"]
    # three hours later the task (due after two) is escalated to the manager group, once
    later = datetime.now(UTC) + timedelta(hours=3)
    assert task_inbox.escalate_overdue(migrated_runtime.unit_of_work(), now=later) == [task["id"]]
    escalated = client.get("/api/v1/tasks?escalated=true&group=manager", headers=people["max"]).json()["data"]
    assert [t["id"] for t in escalated] == [task["id"]]
    records = client.get("/api/v1/exceptions?type=task.overdue", headers=people["max"]).json()["data"]
    assert [(r["task_id"], r["order_id"], r["owner_group"]) for r in records] == [
        (task["id"], None, "manager")
    ]
    types = [e["type"] for e in client.get("/api/v1/events", headers=people["ada"]).json()["items"]]
    assert {"task.claimed", "task.delegated", "task.unclaimed", "task.commented", "task.escalated"} <= set(
        types
    )


def test_tokens_with_groups_through_the_api(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "qa-1", "role": "warehouse", "groups": ["quality", "packing"]},
        headers=people["ada"],
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["groups"] == ["packing", "quality"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created.json()['token']}"}).json()
    assert me["groups"] == ["packing", "quality"]
    bad = client.post(
        "/api/v1/tokens",
        json={"name": "qa-2", "role": "warehouse", "groups": ["no spaces"]},
        headers=people["ada"],
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "groups"


def test_priority_and_due_date_changes_and_filter_aliases(
    client: TestClient, people: dict[str, dict[str, str]], migrated_runtime: Runtime
) -> None:
    task = _task(client, people)
    path = f"/api/v1/tasks/{task['id']}"
    assert client.patch(path, json={"priority": 99}, headers=people["kim"]).status_code == 403  # not claimed
    client.post(f"{path}/claim", json={}, headers=people["kim"])
    changed = client.patch(
        path, json={"priority": 99, "due_at": "2030-01-01T12:00:00Z"}, headers=people["kim"]
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["priority"], changed.json()["due_at"]) == (99, "2030-01-01T12:00:00Z")
    assert client.patch(path, json={"priority": "high"}, headers=people["kim"]).status_code == 422
    assert (
        client.patch(path, json={"due_at": "2030-01-01T12:00:00"}, headers=people["kim"]).status_code == 422
    )
    assert client.patch(path, json={}, headers=people["kim"]).status_code == 422
    by_alias = client.get("/api/v1/tasks?candidate_group=quality&priority=99", headers=people["max"]).json()
    assert [t["id"] for t in by_alias["data"]] == [task["id"]]
    assert client.get("/api/v1/tasks?priority=70", headers=people["max"]).json()["data"] == []
    detail = client.get(path, headers=people["max"]).json()
    assert detail["activity"][-1]["action"] == "updated"
    assert detail["activity"][-1]["data"] == {"priority": 99, "due_at": "2030-01-01T12:00:00+00:00"}
