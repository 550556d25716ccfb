"""Probes, OpenAPI and docs: what load balancers and integrators look at first."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime
from conveyor.config import Settings
from conveyor.entrypoints.api import create_app


def test_healthz_answers_ok_while_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_ready_when_the_database_answers_and_is_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "migrations": "head"}


def test_readyz_answers_503_on_an_unmigrated_database_and_says_to_run_init(runtime: Runtime) -> None:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "database_not_ready"
    assert problem["migrations"] == "none"
    assert "conveyor init" in problem["detail"]


def test_readyz_answers_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_the_openapi_document_is_served_under_the_api_prefix(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Conveyor"
    assert {"/api/v1/me", "/api/v1/tokens", "/healthz", "/readyz"} <= document["paths"].keys()


def test_the_interactive_docs_load_the_openapi_document(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/api/v1/openapi.json" in response.text


def _public_operations() -> list[tuple[str, str]]:
    from conveyor.entrypoints.api.routers import PUBLIC_API_ROUTERS

    found = []
    for router in PUBLIC_API_ROUTERS:
        for route in router.routes:
            for method in getattr(route, "methods", ()):
                found.append((method.lower(), "/api/v1" + getattr(route, "path", "")))
    assert found, "no public API routes: drop this exception from the test"
    return found


def test_the_openapi_document_describes_errors_as_problem_documents(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    create_token = document["paths"]["/api/v1/tokens"]["post"]["responses"]
    assert create_token["422"]["content"] == {"application/problem+json": problem}
    # Signature-checked webhook routes take no token, so they refuse with 401 only (never 403).
    public = {(method, path) for method, path in _public_operations()}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1"):
                for status in ("401",) if (method, path) in public else ("401", "403"):
                    content = operation["responses"][status]["content"]
                    assert content == {"application/problem+json": problem}, f"{method} {path} {status}"
    readyz = document["paths"]["/readyz"]["get"]["responses"]["503"]
    assert readyz["content"] == {"application/problem+json": problem}


def test_the_interactive_docs_work_without_internet_access(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page.split("<body>")[0]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/docs-assets/{asset}" in page
        response = client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200
        assert len(response.content) > 1000
