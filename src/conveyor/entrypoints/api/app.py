"""The FastAPI application factory.

``create_app(settings)`` builds the runtime (database engine, sessions) through
the composition root and mounts the routers; importing this module builds
nothing. ``conveyor serve`` and tests call it; uvicorn can also call it as a
factory: ``uvicorn --factory conveyor.entrypoints.api:create_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from conveyor import __version__
from conveyor.bootstrap import Runtime, build_runtime
from conveyor.config import Settings
from conveyor.entrypoints.api.docs import install_docs
from conveyor.entrypoints.api.metrics import install_metrics
from conveyor.entrypoints.api.middleware import RequestContextMiddleware
from conveyor.entrypoints.api.openapi import install_problem_openapi
from conveyor.entrypoints.api.problems import install_problem_handlers
from conveyor.entrypoints.api.routers import API_PREFIX, PROTECTED_ROUTERS, PUBLIC_API_ROUTERS, ROOT_ROUTERS
from conveyor.entrypoints.api.routes import orders
from conveyor.entrypoints.api.security import authenticate

DESCRIPTION = (
    "Conveyor's REST API. Authenticate with `Authorization: Bearer <token>` "
    "(create tokens with `conveyor token create --role ROLE --name NAME`). "
    "Errors are RFC 9457 `application/problem+json` documents with a stable `code`."
)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """The API app for ``settings`` (read from ``CONVEYOR_*`` when omitted)."""
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title="Conveyor",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    install_metrics(app, runtime)  # GET /metrics and the HTTP request counters

    # Each router is included in the app itself (not in an /api/v1 router included in turn): FastAPI
    # matches a request level by level, so one level less is about half the routing work per request.
    # FastAPI tries routers in order, so the busiest (order intake) goes first; the routers' prefixes
    # differ, and /orders stays ahead of the order-change routes under /orders/{id}/..., so which
    # route answers a request does not change.
    for router in sorted(PROTECTED_ROUTERS, key=lambda router: router is not orders.router):
        app.include_router(router, prefix=API_PREFIX, dependencies=[Depends(authenticate)])
    for router in PUBLIC_API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for router in ROOT_ROUTERS:
        app.include_router(router)
    install_problem_openapi(app)
    install_docs(app, openapi_url=f"{API_PREFIX}/openapi.json")
    return app
