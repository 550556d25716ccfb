"""Processes: deploy BPMN/DMN files (multipart or raw XML), versions, instance counts, read sources."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from conveyor.adapters.workflow.definitions import DefinitionStore
from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.routes.workflow_common import MODELLERS, ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import require_roles
from conveyor.errors import InvalidInput, NotFound
from conveyor.services.workflow.diagram import process_diagram

router = APIRouter(prefix="/processes", tags=["processes"])
MAX_MODEL_BYTES = 10 * 1024 * 1024


class DefinitionPublic(BaseModel):
    key: str
    kind: str
    version: int
    name: str | None
    checksum: str
    deployed_at: datetime
    created: bool = Field(default=True, description="False when the same file was already this version")


class DeploymentPublic(BaseModel):
    data: list[DefinitionPublic]


class VersionPublic(BaseModel):
    version: int
    name: str | None
    checksum: str
    deployed_at: datetime
    instances: dict[str, int]


class ProcessPublic(BaseModel):
    key: str
    kind: str
    latest_version: int
    versions: list[VersionPublic]


class ProcessesPublic(BaseModel):
    data: list[ProcessPublic]
    count: int


async def _model_body(request: Request) -> tuple[bytes, str | None]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload: Any = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise InvalidInput(
                "Send the model as the multipart field 'file'", errors=[{"loc": ["file"], "msg": "missing"}]
            )
        return await upload.read(MAX_MODEL_BYTES + 1), getattr(upload, "filename", None)
    body = await request.body()
    return body, request.headers.get("x-file-name") or request.query_params.get("file_name")


@router.post(
    "",
    response_model=DeploymentPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Deploy a .bpmn or .dmn file (multipart field 'file', or the raw XML as the body)",
)
async def deploy_model(
    request: Request,
    workflow: WorkflowDep,
    principal: Annotated[Principal, Depends(require_roles(*MODELLERS))],
    response: Response,
) -> DeploymentPublic:
    source, file_name = await _model_body(request)
    if len(source) > MAX_MODEL_BYTES:
        raise InvalidInput(f"The model is larger than {MAX_MODEL_BYTES // 1024 // 1024} MB")
    deployed = workflow.deploy(source, file_name=file_name, deployed_by=principal.name)
    if not any(d.created for d in deployed):
        response.status_code = status.HTTP_200_OK
    return DeploymentPublic(
        data=[
            DefinitionPublic(
                key=d.definition.key,
                kind=d.definition.kind,
                version=d.definition.version,
                name=d.definition.name,
                checksum=d.definition.checksum,
                deployed_at=d.definition.deployed_at,
                created=d.created,
            )
            for d in deployed
        ]
    )


def _processes(session: ReadSession, key: str | None = None) -> list[ProcessPublic]:
    store = DefinitionStore(session)
    counts = store.instance_counts()
    grouped: dict[tuple[str, str], list[VersionPublic]] = {}
    for row in store.all(key):
        grouped.setdefault((row.key, row.kind), []).append(
            VersionPublic(
                version=row.version,
                name=row.name,
                checksum=row.checksum,
                deployed_at=row.deployed_at,
                instances=counts.get((row.key, row.version), {}) if row.kind == "bpmn" else {},
            )
        )
    return [
        ProcessPublic(key=k, kind=kind, latest_version=versions[-1].version, versions=versions)
        for (k, kind), versions in grouped.items()
    ]


@router.get(
    "",
    response_model=ProcessesPublic,
    summary="Deployed processes and decisions with versions and instance counts",
)
def list_processes(session: ReadSession) -> ProcessesPublic:
    found = _processes(session)
    return ProcessesPublic(data=found, count=len(found))


@router.get("/{key}", response_model=ProcessPublic, summary="One process or decision with its versions")
def read_process(key: str, session: ReadSession) -> ProcessPublic:
    found = _processes(session, key)
    if not found:
        raise NotFound(f"No process or decision {key!r} is deployed")
    return found[0]


@router.get(
    "/{key}/versions/{version}",
    summary="The source of one version (BPMN or DMN XML)",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def read_version_source(key: str, version: int, session: ReadSession) -> Response:
    row = DefinitionStore(session).get(key, version)
    if row is None or row.source is None:
        raise NotFound(f"Process {key!r} has no version {version}")
    return Response(
        content=row.source,
        media_type="application/xml",
        headers={"X-Checksum": row.checksum, "X-Version": str(row.version)},
    )


@router.get(
    "/{key}/versions/{version}/diagram.svg",
    summary="The diagram of one version as SVG; with ?instance=ID that instance's path is highlighted",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}},
        404: {"description": "No such process, version or instance"},
        422: {"description": "The model has no diagram information, or the instance runs another version"},
    },
)
def read_version_diagram(
    key: str, version: int, session: ReadSession, instance: str | None = None
) -> Response:
    svg = process_diagram(session, key, version, instance_id=instance)
    return Response(
        content=svg,
        media_type="image/svg+xml",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )
