"""GET /api/v1/notifications (why did the customer get no email?) and retrying a failed one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services import outbox
from conveyor.services.notifications import deliver_due_notifications, load_smtp_settings, send_notification


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _queue(runtime: Runtime, order_id: str) -> int:
    with runtime.unit_of_work() as uow:
        notification_id = send_notification(
            uow, event_type="order.created", channel_code="web", order_id=order_id,
            recipient="ada@example.com", context={"customer_name": "Ada"},
        )  # fmt: skip
        uow.commit()
    return notification_id


def test_a_failed_notification_is_listed_with_its_error_and_retried(
    client: TestClient, migrated_runtime: Runtime, issue_token: Callable[[Role], str], tmp_path: Path
) -> None:
    failing_id = _queue(migrated_runtime, "ORD-1")
    other_id = _queue(migrated_runtime, "ORD-2")
    unreachable = load_smtp_settings(host="127.0.0.1", port=9, max_attempts=1, timeout_seconds=2)
    deliver_due_notifications(migrated_runtime.session_factory, settings=unreachable)
    viewer, support = issue_token(Role.VIEWER), issue_token(Role.SUPPORT)

    failed = client.get("/api/v1/notifications", params={"status": "failed"}, headers=_headers(viewer)).json()
    assert [n["id"] for n in failed["data"]] == [failing_id, other_id]
    assert failed["data"][0]["last_error"]
    for_order = client.get("/api/v1/notifications", params={"order_id": "ORD-2"}, headers=_headers(viewer))
    assert [n["id"] for n in for_order.json()["data"]] == [other_id]
    one = client.get(f"/api/v1/notifications/{failing_id}", headers=_headers(viewer)).json()
    assert one["subject"] == "We received your order ORD-1" and "Hello Ada," in one["text_body"]

    path = f"/api/v1/notifications/{failing_id}/retry"
    assert client.post(path, headers=_headers(viewer)).status_code == 403
    retried = client.post(path, headers=_headers(support))
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    again = client.post(path, headers=_headers(support))
    assert again.status_code == 409  # only a failed one is retried

    with migrated_runtime.session_factory() as session:
        retried_events = outbox.read(session, types=["notification.retried"])
    assert [e["data"]["notification_id"] for e in retried_events] == [failing_id]
    # once the cause is fixed, the next round sends it
    deliver_due_notifications(migrated_runtime.session_factory, settings=load_smtp_settings(dev_dir=tmp_path))
    sent = client.get(f"/api/v1/notifications/{failing_id}", headers=_headers(viewer)).json()
    assert (sent["status"], sent["attempts"]) == ("sent", 1)
    assert (tmp_path / f"notification-{failing_id:08d}.eml").is_file()


def test_bad_filters_and_unknown_ids_are_clear_errors(client: TestClient, admin_token: str) -> None:
    bad = client.get("/api/v1/notifications", params={"status": "lost"}, headers=_headers(admin_token))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "status"
    assert client.get("/api/v1/notifications/999", headers=_headers(admin_token)).status_code == 404
