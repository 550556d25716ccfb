"""``POST /orders`` on its lighter request path (async route awaiting its batch, one validation of the
body, token read without a session, pure ASGI middleware): the request id header, the access log line
with the request id and token, the HTTP metrics by route template, and the answers are as before."""

from __future__ import annotations

import json
import re

import pytest
from order_flow_support import ShopApi, draft, shop_api
from prometheus_client.parser import text_string_to_metric_families

from conveyor.domain.auth import Role

__all__ = ["shop_api"]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_an_order_posted_carries_its_request_id_in_header_log_and_metrics(
    shop_api: ShopApi, capsys: pytest.CaptureFixture[str]
) -> None:
    shop_api.receive("BER-1", "TEE-BLK-M", 10)
    client, headers = shop_api.client, shop_api.headers(Role.INTEGRATION)
    capsys.readouterr()
    placed = client.post(
        "/api/v1/orders",
        json=draft("PATH-1", [("TEE-BLK-M", 1)]),
        headers={**headers, "X-Request-ID": "intake-1"},
    )
    assert placed.status_code == 201, placed.text
    assert placed.headers["x-request-id"] == "intake-1"
    assert placed.headers["content-type"] == "application/json"
    body = placed.json()
    assert body["external_id"] == "PATH-1" and body["status"] == "picking"
    assert body == client.get(f"/api/v1/orders/{body['id']}", headers=headers).json()

    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line["event"] == "request" and line["path"] == "/api/v1/orders"]
    assert access["request_id"] == "intake-1" and access["status"] == 201
    assert access["role"] == "integration" and isinstance(access["token_id"], int)

    again = client.post("/api/v1/orders", json=draft("PATH-1", [("TEE-BLK-M", 1)]), headers=headers)
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # a repeat: the stored order
    made_up = again.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)
    bad = client.post("/api/v1/orders", json={"external_id": "PATH-2"}, headers=headers)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert re.fullmatch(r"[0-9a-f]{32}", bad.json()["request_id"]) and bad.json()["request_id"] != made_up

    samples = _samples(client.get("/metrics", headers=headers).text)
    for status, count in (("201", 1), ("200", 1), ("422", 1)):
        key = (("method", "POST"), ("route", "/api/v1/orders"), ("status", status))
        assert samples[("conveyor_http_requests_total", key)] == count
    timed = (("le", "+Inf"), ("method", "POST"), ("route", "/api/v1/orders"))
    assert samples[("conveyor_http_request_duration_seconds_bucket", timed)] == 3
    shop_api.assert_ledger_consistent()


def test_a_viewer_may_not_place_and_a_bad_token_is_refused_before_anything_is_written(
    shop_api: ShopApi,
) -> None:
    client = shop_api.client
    refused = client.post(
        "/api/v1/orders", json=draft("PATH-9", [("TEE-BLK-M", 1)]), headers=shop_api.headers(Role.VIEWER)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    unknown = client.post(
        "/api/v1/orders",
        json=draft("PATH-9", [("TEE-BLK-M", 1)]),
        headers={"Authorization": "Bearer cvr_nope"},
    )
    assert unknown.status_code == 401 and unknown.headers["www-authenticate"].startswith("Bearer")
    assert shop_api.get("/orders")["count"] == 0
