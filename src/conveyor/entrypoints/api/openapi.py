"""Make the OpenAPI document tell the truth about errors.

FastAPI documents its own 422 shape (``HTTPValidationError``) and nothing for
401/403; Conveyor answers every error with an RFC 9457 problem document. This
rewrites the generated document once: every error response points at the
``Problem`` schema under ``application/problem+json``, and operations that need
a token list 401 and 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from conveyor.entrypoints.errors import PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; `code` is stable, other members depend on the error.",
    "type": "object",
    "required": ["type", "title", "status", "code"],
    "additionalProperties": True,
    "properties": {
        "type": {"type": "string", "description": "https://conveyor.dev/problems/<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong and what to fix"},
        "instance": {"type": "string", "description": "The request path"},
        "code": {"type": "string", "description": "Stable machine-readable error code"},
        "request_id": {"type": "string", "description": "Quote it when reporting a problem"},
        "errors": {
            "type": "array",
            "description": "One entry per invalid field",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}

AUTH_RESPONSES = {
    "401": "No token, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    "403": "The token's role may not do this",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _rewrite(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _problem_response("Invalid input: each field error is in `errors`")
            if {"ApiToken": []} in operation.get("security", []):
                for status, description in AUTH_RESPONSES.items():
                    responses.setdefault(status, _problem_response(description))
            for status, response in responses.items():
                if status[:1] in "45":
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def install_problem_openapi(app: FastAPI) -> None:
    """Post-process the app's generated OpenAPI document (once, then cached)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _rewrite(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
