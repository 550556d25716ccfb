"""Errors leave the API as RFC 9457 problem+json with a stable code and the request id."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from conveyor import errors
from conveyor.engine import errors as engine_errors
from conveyor.entrypoints.errors import ERROR_TABLE, exit_code_for, translation_for

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


class ShelfMissing(errors.NotFound):
    code = "shelf_missing"


RAISED: dict[str, Exception] = {
    "invalid": errors.InvalidInput("Quantity must be positive", errors=[{"loc": ["qty"], "msg": "> 0"}]),
    "not_found": errors.NotFound("No order 42"),
    "subclass": ShelfMissing("No shelf B-7 in warehouse BER"),
    "conflict": errors.Conflict("The order is already shipped"),
    "domain": errors.DomainError("Not enough stock", shortfalls=[{"sku": "A", "missing": 2}]),
    "forbidden": errors.Forbidden("Finance only"),
    "not_ready": errors.DatabaseNotReady("Run conveyor init"),
    "model": engine_errors.ModelError(
        [engine_errors.Problem("error", "unknown_element", "Unsupported element", "Task_1", line=12)],
        file="order.bpmn",
    ),
    "expression": engine_errors.ExpressionError("Unknown name", source="total > limit", position=8),
    "not_waiting": engine_errors.NotWaiting("The instance is not waiting for message paid"),
    "bug": RuntimeError("a bug"),
    "database_down": OperationalError("SELECT 1", {}, Exception("connection refused")),
}


@pytest.fixture
def raising_app(app: FastAPI) -> FastAPI:
    def raise_it(kind: str) -> None:
        raise RAISED[kind]

    app.add_api_route("/raise/{kind}", raise_it, methods=["GET"])
    return app


@pytest.fixture
def raising_client(raising_app: FastAPI) -> TestClient:
    return TestClient(raising_app, raise_server_exceptions=False)


def _problem(response: object) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body.keys() >= PROBLEM_MEMBERS
    assert body["status"] == response.status_code  # type: ignore[attr-defined]
    assert body["type"] == f"https://conveyor.dev/problems/{str(body['code']).replace('_', '-')}"
    return body


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("invalid", 422, "invalid_input"),
        ("not_found", 404, "not_found"),
        ("subclass", 404, "shelf_missing"),
        ("conflict", 409, "conflict"),
        ("domain", 422, "domain_rule"),
        ("forbidden", 403, "forbidden"),
        ("not_ready", 503, "database_not_ready"),
        ("model", 422, "invalid_model"),
        ("expression", 422, "expression_error"),
        ("not_waiting", 409, "not_waiting"),
        ("database_down", 503, "database_not_ready"),
    ],
)
def test_each_error_class_maps_to_its_status_and_stable_code(
    raising_client: TestClient, kind: str, status: int, code: str
) -> None:
    response = raising_client.get(f"/raise/{kind}")
    assert response.status_code == status
    problem = _problem(response)
    assert problem["code"] == code
    assert problem["instance"] == f"/raise/{kind}"
    assert problem["detail"]


def test_a_database_that_went_away_answers_503_with_retry_after(raising_client: TestClient) -> None:
    response = raising_client.get("/raise/database_down")
    assert response.headers["retry-after"] == "1"
    assert "retry shortly" in str(_problem(response)["detail"])


def test_field_errors_and_context_travel_as_extension_members(raising_client: TestClient) -> None:
    invalid = _problem(raising_client.get("/raise/invalid"))
    assert invalid["errors"] == [{"loc": ["qty"], "msg": "> 0"}]
    domain = _problem(raising_client.get("/raise/domain"))
    assert domain["shortfalls"] == [{"sku": "A", "missing": 2}]


def test_an_invalid_model_lists_every_problem_with_element_and_line(raising_client: TestClient) -> None:
    problem = _problem(raising_client.get("/raise/model"))
    [only] = problem["problems"]  # type: ignore[misc]
    assert only["element_id"] == "Task_1"
    assert only["line"] == 12
    assert problem["file"] == "order.bpmn"


def test_an_unexpected_exception_answers_500_internal_error_and_logs_the_traceback(
    raising_client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    response = raising_client.get("/raise/bug", headers={"X-Request-ID": "trace-me-123"})
    assert response.status_code == 500
    problem = _problem(response)
    assert problem["code"] == "internal_error"
    assert problem["request_id"] == "trace-me-123"
    assert "a bug" not in str(problem["detail"])  # internals stay in the log
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line["event"] == "unhandled_error"]
    assert logged["request_id"] == "trace-me-123"
    assert "RuntimeError: a bug" in logged["exception"]


def test_an_unknown_path_answers_404_problem(client: TestClient) -> None:
    problem = _problem(client.get("/api/v1/no-such-thing"))
    assert problem["status"] == 404
    assert problem["code"] == "not_found"


def test_a_wrong_method_answers_405_problem(client: TestClient) -> None:
    problem = _problem(client.put("/healthz"))
    assert problem["code"] == "method_not_allowed"


def test_an_invalid_request_body_answers_422_with_each_field_error(
    client: TestClient, admin_token: str
) -> None:
    response = client.post(
        "/api/v1/tokens", headers={"Authorization": f"Bearer {admin_token}"}, json={"role": "overlord"}
    )
    assert response.status_code == 422
    problem = _problem(response)
    assert problem["code"] == "invalid_input"
    locations = {tuple(error["loc"]) for error in problem["errors"]}  # type: ignore[attr-defined]
    assert locations == {("body", "name"), ("body", "role")}
    assert all(error["msg"] for error in problem["errors"])  # type: ignore[attr-defined]


def test_the_request_id_is_taken_from_the_caller_echoed_and_put_in_problems(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"X-Request-ID": "from-the-gateway-7"})
    assert response.headers["x-request-id"] == "from-the-gateway-7"
    assert response.json()["request_id"] == "from-the-gateway-7"


def test_a_request_id_is_made_up_when_the_caller_sends_none_or_garbage(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert first and second and first != second
    assert " " not in second


def test_every_log_line_of_a_request_carries_its_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.get("/api/v1/me", headers={"X-Request-ID": "log-me-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line["event"] == "request"]
    assert access["request_id"] == "log-me-1"
    assert access["status"] == 401
    assert access["path"] == "/api/v1/me"
    assert "token_id" not in access


def test_the_request_log_line_names_the_token_that_made_the_request(
    client: TestClient, admin_token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {admin_token}"}).json()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line["event"] == "request" and line["path"] == "/api/v1/me"]
    assert (access["token_id"], access["role"]) == (me["token_id"], "admin")
    assert admin_token not in json.dumps(lines)


def test_every_error_class_in_the_project_has_an_http_status_and_exit_code() -> None:
    def subclasses(root: type[BaseException]) -> list[type[BaseException]]:
        found = [root]
        for sub in root.__subclasses__():
            found += subclasses(sub)
        return found

    for cls in subclasses(errors.ConveyorError) + subclasses(engine_errors.EngineError):
        row = translation_for(cls.__new__(cls))
        assert 400 <= row.status < 600
        assert row.exit_code != 0
    assert exit_code_for(engine_errors.ModelError([])) == 2
    assert ERROR_TABLE[errors.NotFound].status == 404
