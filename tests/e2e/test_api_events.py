"""GET /api/v1/events: the resumable CloudEvents feed an integrator polls."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from order_flow_support import ShopApi, draft, shop_api

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _record(runtime: Runtime, *events: dict[str, Any]) -> None:
    with runtime.unit_of_work() as uow:
        for event in events:
            uow.record(event)
        uow.commit()


def _feed(client: TestClient, token: str, **params: Any) -> Any:
    response = client.get("/api/v1/events", params=params, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def test_placing_an_order_publishes_its_events_as_cloud_events_about_the_order(shop_api: ShopApi) -> None:
    api = shop_api
    api.receive("BER-1", "MUG-STONE", 20, bin_location="A-3")
    placed = api.post("/orders", draft("WEB-7", [("MUG-STONE", 2)]), Role.INTEGRATION, expect=201)

    page = api.get("/events", Role.VIEWER, subject=placed["id"])
    types = [event["type"] for event in page["items"]]
    assert types[0] == "order.created"
    assert {"payment.authorized", "inventory.reserved", "pick_list.created"} <= set(types)
    created = page["items"][0]
    assert created["specversion"] == "1.0"
    assert created["source"] == "/conveyor/order"
    assert created["datacontenttype"] == "application/json"
    assert created["data"]["order_id"] == placed["id"]
    assert created["time"].endswith("Z")
    sequences = [event["sequence"] for event in page["items"]]
    assert sequences == sorted(sequences) and page["next_after"] == sequences[-1]


def test_an_order_refused_as_invalid_publishes_nothing(shop_api: ShopApi) -> None:
    api = shop_api
    before = api.get("/events", Role.VIEWER)["next_after"]
    api.post("/orders", draft("WEB-8", [("NO-SUCH-SKU", 1)]), Role.INTEGRATION, expect=422)
    assert api.get("/events", Role.VIEWER, after=before)["items"] == []


def test_a_consumer_reads_the_whole_feed_page_by_page_without_gaps_or_repeats(
    client: TestClient, migrated_runtime: Runtime, admin_token: str
) -> None:
    _record(migrated_runtime, *({"type": "order.created", "order_id": f"ORD-{n}"} for n in range(7)))
    seen: list[str] = []
    after = 0
    while page := _feed(client, admin_token, after=after, limit=3)["items"]:
        seen += [event["subject"] for event in page]
        after = page[-1]["sequence"]
    assert seen == [f"ORD-{n}" for n in range(7)]
    assert _feed(client, admin_token, after=after) == {"items": [], "next_after": after}


def test_the_feed_filters_by_exact_types_and_prefixes(
    client: TestClient, migrated_runtime: Runtime, admin_token: str
) -> None:
    _record(
        migrated_runtime,
        {"type": "order.created", "order_id": "ORD-1"},
        {"type": "shipment.handed_over", "order_id": "ORD-1", "carrier": "dhl"},
        {"type": "task.created", "instance_id": "I-1", "node": "qc"},
        {"type": "order.cancelled", "order_id": "ORD-1"},
    )
    by_prefix = _feed(client, admin_token, type="order.*")["items"]
    assert [e["type"] for e in by_prefix] == ["order.created", "order.cancelled"]
    listed = _feed(client, admin_token, type="task.created,shipment.handed_over")["items"]
    assert [e["type"] for e in listed] == ["shipment.handed_over", "task.created"]
    assert "subject" in listed[1] and listed[1]["source"] == "/conveyor/workflow"


def test_every_role_may_read_the_feed(client: TestClient, issue_token: Any) -> None:
    for role in Role:
        assert _feed(client, issue_token(role)) == {"items": [], "next_after": 0}


def test_the_feed_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/events")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "latest"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"type": "Order Created"}, "type"),
        ({"type": "order.*.x"}, "type"),
        ({"type": ","}, "type"),
    ],
)
def test_a_bad_parameter_is_a_422_problem_naming_it(
    client: TestClient, admin_token: str, params: dict[str, str], parameter: str
) -> None:
    response = client.get("/api/v1/events", params=params, headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "invalid_input"
    assert parameter in problem["detail"]
    assert any(error["loc"][-1] == parameter for error in problem["errors"])
