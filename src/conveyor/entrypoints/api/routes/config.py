"""The whole configuration as one document: export it, or apply one (with a dry run).

``GET /config`` answers the document ``conveyor config export`` prints (JSON
here; ``?format=yaml`` for YAML). ``POST /config`` applies a document in
one transaction, or with ``dry_run=true`` only reports what would change.
Every problem comes back in ``errors`` with its path in the document
(``products[3].attributes.size``) and nothing is applied.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import configuration

router = APIRouter(prefix="/config", tags=["configuration"])

ManagerPrincipal = Annotated[Principal, Depends(require_roles(Role.MANAGER))]


class ChangedEntry(BaseModel):
    code: str
    fields: list[str]


class SectionChangesPublic(BaseModel):
    added: list[str]
    changed: list[ChangedEntry]
    removed: list[str]


class ConfigChangesPublic(BaseModel):
    applied: bool = Field(description="False for a dry run or when nothing changed")
    changes: dict[str, SectionChangesPublic]


@router.get("", summary="Export the configuration (categories, products, warehouses, channels, carriers)",
            responses={200: {"content": {"application/json": {}, "application/yaml": {}}}})  # fmt: skip
def export_config(
    _: CurrentPrincipal, runtime: RuntimeDep, format: Literal["json", "yaml"] = Query(default="json")
) -> Response:
    document = configuration.export_configuration(runtime.unit_of_work())
    if format == "yaml":
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml")
    return JSONResponse(document)


@router.post("", response_model=ConfigChangesPublic, summary="Apply a configuration document (or dry-run it)")
def apply_config(
    _: ManagerPrincipal,
    runtime: RuntimeDep,
    document: Annotated[dict[str, Any], Body(description="The document `conveyor config export` writes")],
    dry_run: bool = Query(default=False, description="Only report what would change; write nothing"),
) -> ConfigChangesPublic:
    changes = configuration.apply_configuration(runtime.unit_of_work(), document, dry_run=dry_run)
    return ConfigChangesPublic.model_validate(changes.as_dict())
