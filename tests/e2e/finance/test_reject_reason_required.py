"""The generic task inbox refuses a rejection without a reason (the bundled forms' ``requiredWhen``)."""

from __future__ import annotations

from finance_support import event_types, problem, shipped_order
from order_flow_support import ShopApi, draft

from conveyor.domain.auth import Role


def _refused_without_reason(api: ShopApi, task_id: int, role: Role, body: dict) -> None:
    status, found = problem(api, "POST", f"/tasks/{task_id}/complete", role, {"variables": body})
    assert status == 422, found
    assert found["code"] == "invalid_form_data"
    assert [(e["path"], e["msg"]) for e in found["errors"]] == [
        ("variables.reason", "is required when approved = false")
    ]
    assert "reason" in found["detail"]
    task = api.get(f"/tasks/{task_id}", Role.MANAGER)
    assert (task["state"], task["completed_at"]) == ("created", None)


def test_a_quality_check_rejected_without_a_reason_is_422_and_the_order_does_not_move(
    shop_api: ShopApi,
) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 2)
    placed = api.post("/orders", draft("WEB-QCR", [("LAPTOP-14", 1)]), Role.INTEGRATION, 201)
    [task] = [t for t in placed["open_tasks"] if t["node"] == "quality_check"]
    before, events_before = api.order(placed["id"]), event_types(api, placed["id"])
    for body in (
        {"approved": False},
        {"approved": False, "reason": ""},
        {"approved": "false", "reason": " "},
    ):
        _refused_without_reason(api, task["id"], Role.MANAGER, body)
    after = api.order(placed["id"])
    assert (after["status"], after["allocations"]) == (before["status"], before["allocations"])
    assert event_types(api, placed["id"]) == events_before

    api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"approved": False, "reason": "fraud suspected"}},
        Role.MANAGER,
    )
    assert api.order(placed["id"])["status"] == "cancelled"


def test_an_approved_quality_check_needs_no_reason(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 2)
    placed = api.post("/orders", draft("WEB-QCA", [("LAPTOP-14", 1)]), Role.INTEGRATION, 201)
    [task] = [t for t in placed["open_tasks"] if t["node"] == "quality_check"]
    api.post(f"/tasks/{task['id']}/complete", {"variables": {"approved": True}}, Role.MANAGER)
    assert api.get(f"/tasks/{task['id']}", Role.MANAGER)["state"] == "completed"
    assert api.order(placed["id"])["status"] != placed["status"]


def test_a_refund_rejected_from_the_inbox_without_a_reason_is_422_and_stays_awaiting_approval(
    shop_api: ShopApi,
) -> None:
    order_id, _ = shipped_order(shop_api, "WEB-RFR", [("KNIFE-CHEF", 2)])
    refund = shop_api.post(
        "/refunds", {"order_id": order_id, "amount": "120.00", "reason": "goodwill"}, Role.FINANCE, 201
    )
    assert refund["status"] == "awaiting_approval"
    [task] = shop_api.get("/tasks", process_instance_id=refund["process_instance_id"])["data"]
    events_before = event_types(shop_api, order_id)
    _refused_without_reason(shop_api, task["id"], Role.FINANCE, {"approved": False})
    assert shop_api.get(f"/refunds/{refund['id']}")["status"] == "awaiting_approval"
    assert event_types(shop_api, order_id) == events_before
    form = shop_api.get(f"/tasks/{task['id']}", Role.FINANCE)["form"]
    assert {f["id"]: f["required_when"] for f in form["fields"]} == {
        "approved": None,
        "reason": "approved = false",
    }

    shop_api.post(
        f"/tasks/{task['id']}/complete",
        {"variables": {"approved": False, "reason": "too generous"}},
        Role.FINANCE,
    )
    decided = shop_api.get(f"/refunds/{refund['id']}")
    assert decided["status"] == "rejected" and decided["decision_reason"] == "too generous"
    assert "refund.rejected" in event_types(shop_api, order_id)
