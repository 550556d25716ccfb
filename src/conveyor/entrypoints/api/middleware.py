"""Per-request context: a request id on every log line, one access line, no naked 500s.

The request id comes from the caller's ``X-Request-ID`` header when it looks
sane (so ids can be followed across services), otherwise a new one is made; it
is bound to the structlog context for the whole request, echoed in the
response header and put in every problem document. An exception nothing else
handled is logged with its traceback and answered with a 500 problem document
carrying the request id, so an operator can find the log line from a user's
report.
"""

from __future__ import annotations

import logging
import random
import re
import time

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.entrypoints.errors import INTERNAL_ERROR, PROBLEM_MEDIA_TYPE, problem_document
from conveyor.logs import get_logger

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = get_logger("conveyor.api")
_stdlib_log = logging.getLogger("conveyor.api")


def _request_id(scope: Scope) -> str:
    incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    # 32 hex digits like uuid4().hex, from the process's PRNG: an id, not a secret, and os.urandom
    # (a system call that gives up the GIL) was a measurable part of a busy API's request
    return f"{random.getrandbits(128):032x}"


class RequestContextMiddleware:
    """Pure ASGI middleware (no response buffering, works with streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if response_started:
                raise
            body = problem_document(
                status=INTERNAL_ERROR.status,
                code="internal_error",
                title=INTERNAL_ERROR.title or "Internal server error",
                detail="Something went wrong on our side; quote the request id when reporting it",
                instance=scope["path"],
                request_id=request_id,
            )
            response = JSONResponse(body, status_code=INTERNAL_ERROR.status, media_type=PROBLEM_MEDIA_TYPE)
            await response(scope, receive, send_with_request_id)
        finally:
            if _stdlib_log.isEnabledFor(logging.INFO):  # the access line costs nothing when INFO is off
                principal = scope["state"].get("principal")
                who = {"token_id": principal.token_id, "role": principal.role.value} if principal else {}
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    **who,
                )
            structlog.contextvars.reset_contextvars(**bound)
