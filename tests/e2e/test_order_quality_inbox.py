"""The bundled order process's quality check worked through the inbox by a token in group 'quality':
found by order id, claimed, refused to others, completed with its form; no code names the group."""

from __future__ import annotations

from order_flow_support import ShopApi, draft, shop_api

from conveyor.domain.auth import Role
from conveyor.services import api_tokens

__all__ = ["shop_api"]


def test_a_quality_group_member_approves_the_quality_check_from_the_inbox(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "LAPTOP-14", 3, bin_location="C-12")
    placed = api.post("/orders", draft("WEB-QI", [("LAPTOP-14", 1)]), Role.INTEGRATION, expect=201)
    assert placed["status"] == "awaiting_quality_check"
    qa = api_tokens.issue_token(
        api.runtime.unit_of_work(), name="qa-ines", role=Role.WAREHOUSE, groups="quality"
    )
    ines = {"Authorization": f"Bearer {qa.secret}"}
    inbox = api.client.get(f"/api/v1/tasks?order_id={placed['id']}&mine=true", headers=ines).json()["data"]
    [task] = [t for t in inbox if t["node"] == "quality_check"]
    assert task["process"] == "order-fulfillment" and task["business_key"] == placed["id"]
    # a warehouse token outside the group may not take it
    other = api.client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=api.headers(Role.WAREHOUSE))
    assert other.status_code == 403
    assert api.client.post(f"/api/v1/tasks/{task['id']}/claim", json={}, headers=ines).status_code == 200
    missing = api.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"variables": {}}, headers=ines)
    assert missing.status_code == 422 and missing.json()["errors"][0]["path"] == "variables.approved"
    assert api.order(placed["id"])["status"] == "awaiting_quality_check"
    done = api.client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"variables": {"approved": True}}, headers=ines
    )
    assert done.status_code == 200, done.text
    assert api.order(placed["id"])["status"] == "picking"
    api.assert_ledger_consistent()
