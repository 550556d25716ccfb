"""GET /metrics: Prometheus text with database figures and per-route HTTP counters; needs a token."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from conveyor.domain.auth import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "workflow"))
from workflow_models import quality_check, undecidable_gateway


def _auth(issue_token: Callable[..., str], role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role)}"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_need_a_token_and_answer_prometheus_text(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    assert client.get("/metrics").status_code == 401
    answer = client.get("/metrics", headers=_auth(issue_token, Role.VIEWER))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    names = {family.name for family in text_string_to_metric_families(answer.text)}
    expected = {
        "conveyor_process_instances",
        "conveyor_jobs_due",
        "conveyor_incidents_open",
        "conveyor_outbox_events",
        "conveyor_http_requests",
        "conveyor_http_request_duration_seconds",
    }
    assert expected <= names


def test_metrics_count_instances_tasks_incidents_events_and_requests(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    admin = _auth(issue_token, Role.ADMIN)
    assert client.post("/api/v1/processes", content=quality_check(), headers=admin).status_code == 201
    assert client.post("/api/v1/processes", content=undecidable_gateway(), headers=admin).status_code == 201
    for _ in range(2):
        assert (
            client.post(
                "/api/v1/process-instances", json={"process": "qc_process"}, headers=admin
            ).status_code
            == 201
        )
    stuck = client.post("/api/v1/process-instances", json={"process": "routing"}, headers=admin)
    assert stuck.json()["state"] == "failed"
    instance_id = stuck.json()["id"]
    assert client.get(f"/api/v1/process-instances/{instance_id}", headers=admin).status_code == 200
    samples = _samples(client.get("/metrics", headers=admin).text)
    assert samples[("conveyor_process_instances", (("process", "qc_process"), ("state", "active")))] == 2
    assert samples[("conveyor_process_instances", (("process", "routing"), ("state", "failed")))] == 1
    assert samples[("conveyor_incidents_open", (("process", "routing"),))] == 1
    assert samples[("conveyor_user_tasks_open", (("state", "created"),))] == 2
    assert samples[("conveyor_outbox_events", ())] >= 5
    assert samples[("conveyor_outbox_last_sequence", ())] >= samples[("conveyor_outbox_events", ())]
    # HTTP counters use the route template, never the id in the path
    route = (("method", "GET"), ("route", "/api/v1/process-instances/{instance_id}"), ("status", "200"))
    assert samples[("conveyor_http_requests_total", route)] == 1
    assert not any(instance_id in str(labels) for _, labels in samples)
    created = (("method", "POST"), ("route", "/api/v1/process-instances"), ("status", "201"))
    assert samples[("conveyor_http_requests_total", created)] == 3
    timed = (("le", "+Inf"), ("method", "POST"), ("route", "/api/v1/process-instances"))
    assert samples[("conveyor_http_request_duration_seconds_bucket", timed)] == 3
