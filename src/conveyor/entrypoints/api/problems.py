"""Exception handlers: every error leaves the API as RFC 9457 problem+json.

Conveyor's and the engine's errors are translated through the one table in
``conveyor.entrypoints.errors``; request validation errors become 422
``invalid_input`` with one ``errors`` entry per field; a database that does not
answer (or a SQLite lock wait that ran out) becomes 503 ``database_not_ready``
with ``Retry-After``; Starlette's own 404/405
and other HTTP errors get the same shape. Unexpected exceptions are handled by
``RequestContextMiddleware`` (500 ``internal_error``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from conveyor.entrypoints.errors import (
    EXPECTED_ERRORS,
    INFRASTRUCTURE_ERRORS,
    PROBLEM_MEDIA_TYPE,
    as_project_error,
    problem_document,
    problem_for,
)
from conveyor.errors import DatabaseNotReady, Unauthenticated
from conveyor.logs import get_logger

log = get_logger("conveyor.api")

HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    429: ("too_many_requests", "Too many requests"),
}


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_response(document: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        document, status_code=document["status"], media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


async def _conveyor_error(request: Request, exc: Exception) -> Response:
    document = problem_for(exc, instance=request.url.path, request_id=_request_id(request))
    headers: dict[str, str] | None = None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, DatabaseNotReady):
        headers = {"Retry-After": "1"}
    return problem_response(document, headers)


async def _infrastructure_error(request: Request, exc: Exception) -> Response:
    log.warning("database_unavailable", path=request.url.path, error=str(exc).splitlines()[0])
    return await _conveyor_error(request, as_project_error(exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in exc.errors()
    ]
    fields = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
    document = problem_document(
        status=422,
        code="invalid_input",
        title="Invalid input",
        detail=f"The request is not valid: check {fields}" if fields else "The request is not valid",
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
    )
    return problem_response(document)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, title = HTTP_CODES.get(exc.status_code, (f"http_{exc.status_code}", "HTTP error"))
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}; the API is under /api/v1 (see /docs)"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}"
    document = problem_document(
        status=exc.status_code,
        code=code,
        title=title,
        detail=detail,
        instance=request.url.path,
        request_id=_request_id(request),
    )
    return problem_response(document, dict(exc.headers) if exc.headers else None)


def install_problem_handlers(app: FastAPI) -> None:
    for error_class in EXPECTED_ERRORS:
        app.add_exception_handler(error_class, _conveyor_error)
    for error_class in INFRASTRUCTURE_ERRORS:
        app.add_exception_handler(error_class, _infrastructure_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
