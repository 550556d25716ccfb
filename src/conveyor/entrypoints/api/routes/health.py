"""Liveness and readiness probes for load balancers and orchestrators (no token needed)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from conveyor.bootstrap import check_readiness
from conveyor.entrypoints.api.security import RuntimeDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    migrations: str


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    summary="The database answers and is migrated to the newest revision",
    responses={503: {"description": "Not ready (problem+json with code database_not_ready)"}},
)
def readyz(runtime: RuntimeDep) -> Ready:
    readiness = check_readiness(runtime)
    return Ready(status="ready", database=readiness.database, migrations=readiness.migrations)
