"""``/api/v1/webhooks``: subscriptions, the delivery log and replays over the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from webhook_receiver import Receiver, receiver

from conveyor.adapters.db.delivery_tables import webhook_subscriptions
from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services.dispatcher import Dispatcher
from conveyor.services.webhooks import DeliverySettings
from conveyor.services.workflow import workflow_for

__all__ = ["receiver"]


@pytest.fixture
def integrator(issue_token: Callable[[Role], str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(Role.INTEGRATION)}"}


def _count(runtime: Runtime) -> int:
    with runtime.session_factory() as session:
        return int(session.execute(select(func.count()).select_from(webhook_subscriptions)).scalar_one())


def test_subscription_crud_shows_the_secret_once(client: TestClient, integrator: dict[str, str]) -> None:
    body = {"url": "https://hooks.example.com/conveyor", "event_types": ["order.*", "shipment.handed_over"]}
    created = client.post("/api/v1/webhooks", json={**body, "description": "ERP"}, headers=integrator)
    assert created.status_code == 201, created.text
    hook = created.json()
    assert hook["secret"].startswith("whsec_") and hook["active"] and hook["description"] == "ERP"

    listed = client.get("/api/v1/webhooks", headers=integrator).json()
    assert listed["count"] == 1 and "secret" not in listed["data"][0]
    one = client.get(f"/api/v1/webhooks/{hook['id']}", headers=integrator).json()
    assert "secret" not in one and one["event_types"] == body["event_types"]

    changed = client.patch(
        f"/api/v1/webhooks/{hook['id']}", json={"active": False, "event_types": ["*"]}, headers=integrator
    ).json()
    assert changed["active"] is False and changed["event_types"] == ["*"] and "secret" not in changed
    rotated = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"rotate_secret": True}, headers=integrator)
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != hook["secret"]

    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=integrator).status_code == 204
    gone = client.get(f"/api/v1/webhooks/{hook['id']}", headers=integrator)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    events = client.get("/api/v1/events", params={"type": "webhook.*"}, headers=integrator).json()["items"]
    assert [e["type"] for e in events] == [
        "webhook.created",
        "webhook.updated",
        "webhook.updated",
        "webhook.deleted",
    ]
    assert "whsec_" not in str(events)  # the secret never goes into an event


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.com", "event_types": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9000/x", "event_types": ["*"]}, "url"),
        ({"url": "https://hooks.example.com", "event_types": ["Order Created"]}, "event_types"),
        ({"url": "https://hooks.example.com", "event_types": []}, "event_types"),
        ({"url": "https://hooks.example.com"}, "event_types"),
        ({"url": "https://hooks.example.com", "event_types": ["*"], "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_subscription_is_a_422_naming_the_field_and_nothing_is_stored(
    client: TestClient,
    integrator: dict[str, str],
    migrated_runtime: Runtime,
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.post("/api/v1/webhooks", json=body, headers=integrator)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in str([error["loc"] for error in problem["errors"]])
    assert _count(migrated_runtime) == 0


def test_only_integrations_and_admins_manage_webhooks(
    client: TestClient, issue_token: Callable[[Role], str]
) -> None:
    viewer = {"Authorization": f"Bearer {issue_token(Role.VIEWER)}"}
    assert client.get("/api/v1/webhooks", headers=viewer).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401
    admin = {"Authorization": f"Bearer {issue_token(Role.ADMIN)}"}
    assert client.get("/api/v1/webhooks", headers=admin).status_code == 200


def test_delivery_log_attempts_and_replays_over_the_api(
    client: TestClient,
    integrator: dict[str, str],
    migrated_runtime: Runtime,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CONVEYOR_WEBHOOK_ALLOW_LOOPBACK", "true")
    created = client.post(
        "/api/v1/webhooks", json={"url": receiver.url, "event_types": ["order.*"]}, headers=integrator
    ).json()
    receiver.secrets.append(created["secret"])
    receiver.fail_first["ORD-1"] = 1
    with migrated_runtime.unit_of_work() as uow:
        uow.record({"type": "order.created", "order_id": "ORD-1"})
        uow.record({"type": "order.created", "order_id": "ORD-2"})
        uow.commit()
    # the retry must not be due before the log is read: full jitter may pick a delay of a few
    # milliseconds (then the loop below retried at once, about once in 200 runs), so take the ceiling
    monkeypatch.setattr("conveyor.domain.webhooks.retry_delay", lambda attempt, *, base, cap, rng=None: base)
    dispatcher = Dispatcher(workflow_for(migrated_runtime), settings=DeliverySettings())
    while dispatcher.run_once():
        pass

    base = f"/api/v1/webhooks/{created['id']}"
    deliveries = client.get(f"{base}/deliveries", headers=integrator).json()
    assert [(d["subject"], d["status"]) for d in deliveries["data"]] == [
        ("ORD-1", "pending"),
        ("ORD-2", "succeeded"),
    ]
    first = deliveries["data"][0]
    assert first["last_status_code"] == 503 and first["next_attempt_at"] is not None
    attempts = client.get(f"{base}/deliveries/{first['id']}/attempts", headers=integrator).json()
    assert attempts["count"] == 1 and attempts["data"][0]["status_code"] == 503
    assert (
        client.get(f"{base}/deliveries", params={"status": "succeeded"}, headers=integrator).json()["data"][
            0
        ]["subject"]
        == "ORD-2"
    )

    busy = client.post(f"{base}/deliveries/{first['id']}/replay", headers=integrator)
    assert busy.status_code == 409 and busy.json()["code"] == "conflict"
    second = deliveries["data"][1]
    replayed = client.post(f"{base}/deliveries/{second['id']}/replay", headers=integrator)
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending"
    since = client.post(f"{base}/replay", json={"after": 0}, headers=integrator)
    assert since.status_code == 202 and since.json()["deliveries"] == 0  # both are pending already
    bad = client.post(f"{base}/replay", json={"after": -1}, headers=integrator)
    assert bad.status_code == 422
    missing = client.get(f"{base}/deliveries/999/attempts", headers=integrator)
    assert missing.status_code == 404
