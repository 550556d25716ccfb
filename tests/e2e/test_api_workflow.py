"""The workflow API over HTTP: deploy, start, read, tasks, messages, signals, incidents, with roles."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from conveyor.domain.auth import Role

BPMN_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  id="defs" targetNamespace="http://conveyor.dev/tests">"""

ORDER = BPMN_HEAD + """
<bpmn:process id="order" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:exclusiveGateway id="gw"/>
  <bpmn:userTask id="quality_check" camunda:candidateGroups="warehouse">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="passed" type="boolean"><camunda:validation>
        <camunda:constraint name="required"/></camunda:validation></camunda:formField>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:receiveTask id="delivered" messageRef="m"/>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="a" sourceRef="start" targetRef="gw"/>
  <bpmn:sequenceFlow id="b" sourceRef="gw" targetRef="quality_check">
    <bpmn:conditionExpression>total &gt; 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="c" sourceRef="gw" targetRef="delivered">
    <bpmn:conditionExpression>total &lt;= 1000</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="d" sourceRef="quality_check" targetRef="delivered"/>
  <bpmn:sequenceFlow id="e" sourceRef="delivered" targetRef="end"/>
</bpmn:process>
<bpmn:message id="m" name="delivered">
  <bpmn:extensionElements><zeebe:subscription correlationKey="=order_id"/></bpmn:extensionElements>
</bpmn:message>
</bpmn:definitions>
"""

Auth = Callable[[Role], dict[str, str]]


def _headers(issue_token: Callable[..., str]) -> Auth:
    def make(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(role)}"}

    return make


def _deploy(client: TestClient, admin: dict[str, str], source: str = ORDER) -> None:
    response = client.post(
        "/api/v1/processes", files={"file": ("order.bpmn", source.encode())}, headers=admin
    )
    assert response.status_code in (200, 201), response.text


def _start(client: TestClient, headers: dict[str, str], **variables: object) -> dict[str, object]:
    response = client.post(
        "/api/v1/process-instances",
        json={"process": "order", "business_key": "order-1", "variables": variables},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_deploying_returns_versions_and_redeploying_the_same_file_adds_none(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    admin = _headers(issue_token)(Role.ADMIN)
    first = client.post("/api/v1/processes", files={"file": ("order.bpmn", ORDER.encode())}, headers=admin)
    assert first.status_code == 201 and first.json()["data"][0]["version"] == 1
    raw = client.post(
        "/api/v1/processes", content=ORDER, headers={**admin, "Content-Type": "application/xml"}
    )
    assert raw.status_code == 200 and raw.json()["data"][0]["created"] is False
    changed = ORDER.replace('id="end"/>', 'id="end" name="Done"/>')
    assert client.post("/api/v1/processes", content=changed, headers=admin).json()["data"][0]["version"] == 2
    listed = client.get("/api/v1/processes", headers=admin).json()["data"]
    assert [(p["key"], p["latest_version"], len(p["versions"])) for p in listed] == [("order", 2, 2)]
    source = client.get("/api/v1/processes/order/versions/1", headers=admin)
    assert source.status_code == 200 and source.text == ORDER


def test_an_invalid_model_answers_problem_json_listing_every_problem(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    admin = _headers(issue_token)(Role.ADMIN)
    broken = ORDER.replace('targetRef="end"', 'targetRef="nowhere"').replace(
        'sourceRef="start"', 'sourceRef="nope"'
    )
    response = client.post("/api/v1/processes", content=broken, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert len(response.json()["problems"]) >= 2


def test_only_admins_and_managers_deploy(client: TestClient, issue_token: Callable[..., str]) -> None:
    auth = _headers(issue_token)
    assert client.post("/api/v1/processes", content=ORDER, headers=auth(Role.INTEGRATION)).status_code == 403
    assert client.post("/api/v1/processes", content=ORDER, headers=auth(Role.MANAGER)).status_code == 201


def test_an_instance_is_started_read_and_finished_through_its_task_and_a_message(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    auth = _headers(issue_token)
    _deploy(client, auth(Role.ADMIN))
    started = _start(client, auth(Role.INTEGRATION), total=1500, order_id="A-1")
    assert started["state"] == "active"
    detail = client.get(f"/api/v1/process-instances/{started['id']}", headers=auth(Role.VIEWER)).json()
    assert (detail["process"], detail["version"], detail["variables"]) == (
        "order", 1, {"total": 1500, "order_id": "A-1"}
    )
    assert detail["waiting"][0]["node"] == "quality_check" and detail["waiting"][0]["kind"] == "userTask"
    assert detail["incidents"] == [] and detail["history"]
    tasks = client.get(f"/api/v1/tasks?process_instance_id={started['id']}", headers=auth(Role.VIEWER)).json()
    (task,) = tasks["data"]
    assert task["candidate_groups"] == ["warehouse"] and task["assignee"] is None
    invalid = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}, headers=auth(Role.WAREHOUSE)
    )
    assert invalid.status_code == 422
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=auth(Role.WAREHOUSE))
    assert claimed.status_code == 200 and claimed.json()["state"] == "claimed"
    assert claimed.json()["assignee"] == "test warehouse" and claimed.json()["claimed_at"]
    forbidden = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"passed": True}}, headers=auth(
            Role.FINANCE
        )
    )
    assert forbidden.status_code == 403
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"passed": True}}, headers=auth(
            Role.WAREHOUSE
        )
    )
    assert done.status_code == 200 and done.json()["state"] == "completed"
    waiting = client.get("/api/v1/process-instances?node=delivered", headers=auth(Role.VIEWER)).json()["data"]
    assert [i["id"] for i in waiting] == [started["id"]]
    sent = client.post(
        "/api/v1/messages", json={"name": "delivered", "correlation_key": "A-1"}, headers=auth(
            Role.INTEGRATION
        )
    )
    assert sent.status_code == 201 and sent.json()["process_instance_id"] == started["id"]
    final = client.get(f"/api/v1/process-instances/{started['id']}", headers=auth(Role.VIEWER)).json()
    assert final["state"] == "completed" and final["waiting"] == []


def test_messages_are_buffered_refused_or_ambiguous_with_reasons(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    auth = _headers(issue_token)
    _deploy(client, auth(Role.ADMIN))
    integration = auth(Role.INTEGRATION)
    early = client.post(
        "/api/v1/messages", json={"name": "delivered", "correlation_key": "B"}, headers=integration
    )
    assert early.status_code == 202 and early.json()["buffered"] is True
    nobody = client.post(
        "/api/v1/messages", json={
            "name": "delivered", "correlation_key": "C", "buffer": False
        }, headers=integration
    )
    assert nobody.status_code == 404 and nobody.json()["code"] == "not_found"
    for _ in range(2):
        _start(client, integration, total=5, order_id="D")
    ambiguous = client.post(
        "/api/v1/messages", json={"name": "delivered", "correlation_key": "D"}, headers=integration
    )
    assert ambiguous.status_code == 409 and len(ambiguous.json()["instances"]) == 2
    took_buffered = _start(client, integration, total=5, order_id="B")
    assert took_buffered["state"] == "completed"


def test_an_incident_is_listed_and_retried_after_its_cause_is_fixed(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    auth = _headers(issue_token)
    _deploy(client, auth(Role.ADMIN))
    manager = auth(Role.MANAGER)
    started = _start(client, manager, order_id="E")  # no total: the gateway cannot decide
    assert started["state"] == "failed"
    (incident,) = client.get("/api/v1/incidents", headers=manager).json()["data"]
    assert incident["node"] == "gw" and incident["instance_id"] == started["id"] and incident["error"]
    assert client.get("/api/v1/incidents", headers=auth(Role.VIEWER)).status_code == 403
    fixed = client.post(
        f"/api/v1/process-instances/{started['id']}/variables",
        json={"variables": {"total": 5}},
        headers=manager,
    )
    assert fixed.status_code == 200
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=manager)
    assert retried.status_code == 200 and retried.json()["instance_state"] == "active"
    assert client.get("/api/v1/incidents", headers=manager).json()["data"] == []


def test_signals_answer_how_many_they_reached(client: TestClient, issue_token: Callable[..., str]) -> None:
    auth = _headers(issue_token)
    response = client.post("/api/v1/signals", json={"name": "recall"}, headers=auth(Role.INTEGRATION))
    assert response.status_code == 200 and response.json() == {"reached": 0}
    assert client.post(
        "/api/v1/signals", json={"name": "recall"}, headers=auth(Role.VIEWER)
    ).status_code == 403


def test_history_pages_through_every_step_with_history_after(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    """History is stored a row per step; its entries keep ids and ``history_after`` pages across steps."""
    auth = _headers(issue_token)
    _deploy(client, auth(Role.ADMIN))
    started = _start(client, auth(Role.INTEGRATION), total=1500, order_id="A-9")
    (task,) = client.get(
        f"/api/v1/tasks?process_instance_id={started['id']}", headers=auth(Role.VIEWER)
    ).json()["data"]
    client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=auth(Role.WAREHOUSE))
    done = {"variables": {"passed": True}}
    client.post(f"/api/v1/tasks/{task['id']}/complete", json=done, headers=auth(Role.WAREHOUSE))
    message = {"name": "delivered", "correlation_key": "A-9"}
    client.post("/api/v1/messages", json=message, headers=auth(Role.INTEGRATION))
    url = f"/api/v1/process-instances/{started['id']}"
    full = client.get(url, params={"history_limit": 1000}, headers=auth(Role.VIEWER)).json()
    assert full["state"] == "completed" and full["history_next"] is None
    paged: list[dict[str, object]] = []
    after = None
    while True:
        params = {"history_limit": 3} | ({"history_after": after} if after is not None else {})
        page = client.get(url, params=params, headers=auth(Role.VIEWER)).json()
        paged += page["history"]
        after = page["history_next"]
        if after is None:
            break
    assert paged == full["history"]
    ids = [h["id"] for h in paged]
    assert ids == sorted(set(ids)) and len({i // 1000 for i in ids}) == 4  # start, claim, completion, message
    events = [(h["event"], h["node"]) for h in paged]
    assert events[0] == ("instance.started", "order")
    assert ("task.claimed", "quality_check") in events and events[-1][0] == "instance.completed", events
