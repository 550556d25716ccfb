"""The exception register over HTTP: file, list with filters and cursor pages, read with history, change,
summarise, classify; bad input is a problem+json naming the field and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.services.exceptions import record_exception

Auth = Callable[[Role], dict[str, str]]


def _auth(issue_token: Callable[..., str]) -> Auth:
    tokens: dict[Role, str] = {}

    def make(role: Role) -> dict[str, str]:
        if role not in tokens:
            tokens[role] = issue_token(role)
        return {"Authorization": f"Bearer {tokens[role]}"}

    return make


def _record(runtime: Runtime, **kwargs: Any) -> int:
    with runtime.unit_of_work() as uow:
        exception_id = record_exception(uow, **kwargs)
        uow.commit()
    return exception_id


def test_file_read_change_and_resolve_a_record(client: TestClient, issue_token: Callable[..., str]) -> None:
    auth = _auth(issue_token)
    filed = client.post(
        "/api/v1/exceptions",
        json={"type": "return.requested", "summary": "Customer says the mug arrived cracked",
              "order_id": "ORD-9", "sku": "MUG-STONE", "reason_text": "The mug has a crack in the glaze"},
        headers=auth(Role.SUPPORT),
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    record = filed.json()
    assert (record["category"], record["category_source"]) == ("product_quality", "classifier")
    assert record["classification"]["method"] == "rules" and record["status"] == "open"
    assert record["details"] == {"filed_by": "test support"}
    taken = client.patch(
        f"/api/v1/exceptions/{record['id']}",
        json={"status": "in_progress", "revision": record["revision"]},
        headers=auth(Role.SUPPORT),
    )
    assert taken.status_code == 200 and taken.json()["assignee"] == "test support"
    stale = client.patch(
        f"/api/v1/exceptions/{record['id']}",
        json={"assignee": "kim", "revision": 1},
        headers=auth(Role.MANAGER),
    )
    assert stale.status_code == 409 and stale.json()["code"] == "exception_changed"
    no_resolution = client.patch(
        f"/api/v1/exceptions/{record['id']}", json={"status": "resolved"}, headers=auth(Role.SUPPORT)
    )
    assert no_resolution.status_code == 422
    assert no_resolution.json()["errors"][0]["path"] == "resolution"
    resolved = client.patch(
        f"/api/v1/exceptions/{record['id']}",
        json={"status": "resolved", "resolution": "refunded", "root_cause": "glaze defect in batch 7"},
        headers=auth(Role.SUPPORT),
    )
    assert resolved.status_code == 200
    body = resolved.json()
    assert (body["status"], body["root_cause"]) == ("resolved", "glaze defect in batch 7")
    assert [h["action"] for h in body["history"]] == ["recorded", "updated", "resolved"]
    events = client.get("/api/v1/events", headers=auth(Role.ADMIN)).json()["items"]
    types = [e["type"] for e in events if e["type"].startswith("exception.")]
    assert types == ["exception.recorded", "exception.updated", "exception.resolved"]
    assert {e["subject"] for e in events} == {"ORD-9"}


def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, issue_token: Callable[..., str], migrated_runtime: Runtime
) -> None:
    auth = _auth(issue_token)
    unknown = client.post(
        "/api/v1/exceptions", json={"type": "pick.short", "summary": "x", "category": "weather"},
        headers=auth(Role.WAREHOUSE),
    )  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert [e["path"] for e in unknown.json()["errors"]] == ["category"]
    extra = client.post(
        "/api/v1/exceptions", json={"type": "pick.short", "summary": "x", "colour": "red"},
        headers=auth(Role.WAREHOUSE),
    )  # fmt: skip
    assert extra.status_code == 422
    assert client.get("/api/v1/exceptions", headers=auth(Role.VIEWER)).json()["data"] == []
    viewer = client.post(
        "/api/v1/exceptions", json={"type": "pick.short", "summary": "x"}, headers=auth(Role.VIEWER)
    )
    assert viewer.status_code == 403
    exception_id = _record(migrated_runtime, type="pick.short", summary="short")
    bad_status = client.patch(
        f"/api/v1/exceptions/{exception_id}", json={"status": "done"}, headers=auth(Role.WAREHOUSE)
    )
    assert bad_status.status_code == 422 and bad_status.json()["errors"][0]["path"] == "status"
    missing = client.patch("/api/v1/exceptions/999", json={"status": "closed"}, headers=auth(Role.WAREHOUSE))
    assert missing.status_code == 404 and missing.json()["code"] == "exception_not_found"
    bad_filter = client.get("/api/v1/exceptions?status=opened&severity=urgent", headers=auth(Role.VIEWER))
    assert bad_filter.status_code == 422
    assert sorted(e["path"] for e in bad_filter.json()["errors"]) == ["severity", "status"]
    bad_by = client.get("/api/v1/exceptions/summary?by=colour", headers=auth(Role.VIEWER))
    assert bad_by.status_code == 422 and bad_by.json()["errors"][0]["path"] == "by"


def test_list_filters_cursor_pages_and_summary(
    client: TestClient, issue_token: Callable[..., str], migrated_runtime: Runtime
) -> None:
    auth = _auth(issue_token)
    for index in range(5):
        _record(
            migrated_runtime,
            type="pick.short",
            summary=f"short {index}",
            sku="MUG-STONE",
            warehouse_code="BER-1",
        )
    _record(migrated_runtime, type="carrier.exception", summary="lost", carrier_code="dhl", order_id="ORD-1")
    _record(migrated_runtime, type="delivery.late", summary="late", carrier_code="ups", severity="critical")
    seen: list[int] = []
    cursor = None
    while True:
        query = "/api/v1/exceptions?category=stock_accuracy&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=auth(Role.VIEWER)).json()
        seen += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen, reverse=True)
    carrier = client.get("/api/v1/exceptions?carrier=dhl", headers=auth(Role.VIEWER)).json()["data"]
    assert [r["order_id"] for r in carrier] == ["ORD-1"]
    critical = client.get("/api/v1/exceptions?severity=critical", headers=auth(Role.VIEWER)).json()["data"]
    assert [r["type"] for r in critical] == ["delivery.late"]
    by_owner = client.get("/api/v1/exceptions?owner=warehouse", headers=auth(Role.VIEWER)).json()["data"]
    assert len(by_owner) == 5
    several = client.get("/api/v1/exceptions?status=open&status=closed", headers=auth(Role.VIEWER)).json()
    assert several["count"] == 7
    by_category = client.get("/api/v1/exceptions/summary?by=category", headers=auth(Role.VIEWER)).json()
    counts = {g["key"]: g["count"] for g in by_category["data"]}
    assert counts == {"carrier": 2, "stock_accuracy": 5}
    by_product = client.get("/api/v1/exceptions/summary?by=product", headers=auth(Role.VIEWER)).json()["data"]
    assert {g["key"]: g["open"] for g in by_product} == {"MUG-STONE": 5, None: 2}
    by_carrier = client.get("/api/v1/exceptions/summary?by=carrier", headers=auth(Role.VIEWER)).json()["data"]
    assert {g["key"] for g in by_carrier} == {"dhl", "ups", None}
    weeks = client.get("/api/v1/exceptions/summary?by=week", headers=auth(Role.VIEWER)).json()["data"]
    assert sum(g["count"] for g in weeks) == 7


def test_classify_previews_the_category_of_a_text(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    auth = _auth(issue_token)
    result = client.post(
        "/api/v1/exceptions/classify", json={"text": "I was charged twice"}, headers=auth(Role.VIEWER)
    ).json()
    assert (result["category"], result["method"], result["confident"]) == ("payment", "rules", True)
    nothing = client.post(
        "/api/v1/exceptions/classify", json={"text": "qwerty"}, headers=auth(Role.VIEWER)
    ).json()
    assert nothing["category"] is None and nothing["confident"] is False


def test_filter_aliases_and_exact_owner_filters(
    client: TestClient, issue_token: Callable[..., str], migrated_runtime: Runtime
) -> None:
    auth = _auth(issue_token)
    first = _record(migrated_runtime, type="pick.short", summary="a", sku="MUG-STONE", order_id="ORD-2",
                    warehouse_code="BER-1")  # fmt: skip
    _record(migrated_runtime, type="delivery.late", summary="b", carrier_code="dhl", assignee="kim")

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/exceptions?{query}", headers=auth(Role.VIEWER))
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["data"]]

    assert ids("product=MUG-STONE") == ids("sku=MUG-STONE") == ids("order=ORD-2") == [first]
    assert ids("warehouse_code=BER-1") == [first]
    assert len(ids("carrier_code=dhl")) == 1 and ids("assignee=kim") == ids("carrier=dhl")
    assert ids("owner_group=warehouse") == [first]
