"""GET /api/v1/processes/{key}/versions/{v}/diagram.svg over HTTP, with roles and problem+json."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from lxml import etree

from conveyor.domain.auth import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "workflow"))
from diagram_helpers import with_diagram
from workflow_models import quality_check


def _auth(issue_token: Callable[..., str], role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(role)}"}


def test_the_diagram_is_svg_for_any_role_and_highlights_an_instance(
    client: TestClient, issue_token: Callable[..., str]
) -> None:
    admin = _auth(issue_token, Role.ADMIN)
    deployed = client.post(
        "/api/v1/processes", content=with_diagram(quality_check(), "qc_process"), headers=admin
    )
    assert deployed.status_code == 201, deployed.text
    started = client.post("/api/v1/process-instances", json={"process": "qc_process"}, headers=admin)
    assert started.status_code == 201, started.text
    viewer = _auth(issue_token, Role.VIEWER)
    plain = client.get("/api/v1/processes/qc_process/versions/1/diagram.svg", headers=viewer)
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("image/svg+xml")
    etree.fromstring(plain.content)
    marked = client.get(
        "/api/v1/processes/qc_process/versions/1/diagram.svg",
        params={"instance": started.json()["id"]},
        headers=viewer,
    )
    root = etree.fromstring(marked.content)
    task = next(g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == "quality_check")
    assert "active" in task.get("class", "").split()


def test_problems_no_token_no_version_no_diagram(client: TestClient, issue_token: Callable[..., str]) -> None:
    admin = _auth(issue_token, Role.ADMIN)
    assert client.get("/api/v1/processes/qc_process/versions/1/diagram.svg").status_code == 401
    missing = client.get("/api/v1/processes/qc_process/versions/1/diagram.svg", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    client.post("/api/v1/processes", content=quality_check(), headers=admin)
    bare = client.get("/api/v1/processes/qc_process/versions/1/diagram.svg", headers=admin)
    assert bare.status_code == 422
    assert bare.json()["code"] == "no_diagram"
    assert "no diagram information" in bare.json()["detail"]
    unknown = client.get(
        "/api/v1/processes/qc_process/versions/1/diagram.svg", params={"instance": "nope"}, headers=admin
    )
    assert unknown.status_code == 404
