"""Every /api/v1 route needs a valid token (401 without), and a role allowed to use it (403)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from conveyor.bootstrap import Runtime
from conveyor.domain.auth import Role
from conveyor.entrypoints.api import app as app_module

# Routes under /api/v1 that answer without a token. Adding one is a decision: add it here.
PUBLIC_API_PATHS = {
    "/api/v1/openapi.json",
    "/api/v1/channels/{code}/orders",  # platforms sign the body (Shopify, WooCommerce): no bearer token
}
NON_ADMIN_ROLES = [role for role in Role if role is not Role.ADMIN]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_operations(client: TestClient) -> list[tuple[str, str, dict[str, object]]]:
    """(method, path, operation) for every operation the API documents under /api/v1."""
    document = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1")
        for method, operation in operations.items()
    ]


def test_every_api_route_requires_a_token_unless_allowlisted(client: TestClient) -> None:
    operations = _api_operations(client)
    unprotected = {
        path for _, path, operation in operations if {"ApiToken": []} not in operation.get("security", [])
    }
    assert unprotected <= PUBLIC_API_PATHS
    assert len(operations) >= 4
    scheme = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]["ApiToken"]
    assert (scheme["type"], scheme["scheme"].lower()) == ("http", "bearer")


def test_every_protected_route_answers_401_without_a_token(client: TestClient) -> None:
    for method, template, _ in _api_operations(client):
        if template in PUBLIC_API_PATHS:
            continue
        path = re.sub(r"\{[^}]+\}", "1", template)
        response = client.request(method, path)
        assert response.status_code == 401, f"{method} {template} answered {response.status_code}"


def test_a_new_route_is_protected_without_writing_any_auth_code(
    monkeypatch: pytest.MonkeyPatch, migrated_runtime: Runtime, admin_token: str
) -> None:
    """A later feature adds a router to PROTECTED_ROUTERS and forgets about auth: it is still safe."""
    forgetful = APIRouter(prefix="/forgotten-reports")

    @forgetful.get("/secret-report")
    def secret_report() -> dict[str, str]:
        return {"revenue": "lots"}

    monkeypatch.setattr(app_module, "PROTECTED_ROUTERS", [*app_module.PROTECTED_ROUTERS, forgetful])
    with TestClient(app_module.create_app(runtime=migrated_runtime)) as client:
        assert client.get("/api/v1/forgotten-reports/secret-report").status_code == 401
        allowed = client.get("/api/v1/forgotten-reports/secret-report", headers=bearer(admin_token))
        assert allowed.json() == {"revenue": "lots"}


def test_a_request_without_a_token_gets_401_problem_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthenticated"
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer cvr_made-up", "Basic YWRtaW46YWRtaW4=", "Bearer ", "cvr_without_scheme"],
    ids=["unknown-token", "basic-auth", "empty-bearer", "no-scheme"],
)
def test_a_request_with_a_bad_authorization_header_gets_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("role", list(Role), ids=lambda role: role.value)
def test_every_role_can_ask_who_it_is(
    client: TestClient, issue_token: Callable[..., str], role: Role
) -> None:
    token = issue_token(role, f"someone in {role.value}")
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["role"] == role.value
    assert response.json()["name"] == f"someone in {role.value}"


@pytest.mark.parametrize("role", NON_ADMIN_ROLES, ids=lambda role: role.value)
def test_only_admins_may_manage_tokens(
    client: TestClient, issue_token: Callable[..., str], role: Role
) -> None:
    token = issue_token(role)
    response = client.get("/api/v1/tokens", headers=bearer(token))
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "forbidden"
    assert problem["role"] == role.value
    assert problem["allowed_roles"] == ["admin"]
    created = client.post("/api/v1/tokens", headers=bearer(token), json={"name": "x", "role": "admin"})
    assert created.status_code == 403


def test_an_admin_lists_tokens_without_their_secrets(client: TestClient, admin_token: str) -> None:
    response = client.get("/api/v1/tokens", headers=bearer(admin_token))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["data"][0]["role"] == "admin"
    assert "token" not in body["data"][0]
    assert admin_token not in response.text


def test_a_token_issued_through_the_api_works_at_once_and_its_secret_is_shown_once(
    client: TestClient, admin_token: str
) -> None:
    created = client.post(
        "/api/v1/tokens", headers=bearer(admin_token), json={"name": "shopify-sync", "role": "integration"}
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("cvr_")
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.json() == {
        "token_id": created.json()["id"],
        "name": "shopify-sync",
        "role": "integration",
        "groups": [],
    }
    listing = client.get("/api/v1/tokens", headers=bearer(admin_token))
    assert secret not in listing.text


def test_a_revoked_token_is_refused_on_its_next_request(
    client: TestClient, admin_token: str, issue_token: Callable[..., str]
) -> None:
    token = issue_token(Role.SUPPORT)
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    revoked = client.delete(f"/api/v1/tokens/{me['token_id']}", headers=bearer(admin_token))
    assert revoked.status_code == 200
    assert revoked.json()["active"] is False
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_revoking_an_unknown_token_answers_404_problem(client: TestClient, admin_token: str) -> None:
    response = client.delete("/api/v1/tokens/424242", headers=bearer(admin_token))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
