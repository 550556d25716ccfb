"""Carrier pickup manifests: the shipments handed to a carrier per warehouse and day.

Filled by the ``carrier-manifest`` process that every ``shipment.handed_over``
event starts (see docs/webhooks.md). Any authenticated role may read them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from conveyor.entrypoints.api.routes.workflow_common import ReadSession
from conveyor.entrypoints.api.security import CurrentPrincipal
from conveyor.services import event_processes

router = APIRouter(prefix="/carriers", tags=["carriers"])


class ManifestShipment(BaseModel):
    shipment_id: str
    order_id: str
    tracking_number: str | None
    service: str | None
    parcels: int
    weight_grams: int | None
    destination_country: str | None
    handed_over_at: datetime


class Manifest(BaseModel):
    carrier: str
    warehouse: str
    date: date
    parcels: int
    weight_grams: int = Field(description="sum of the known parcel weights")
    shipments: list[ManifestShipment]


class ManifestsPublic(BaseModel):
    carrier: str
    date: date
    data: list[Manifest] = Field(description="one manifest per warehouse that handed parcels over")


@router.get(
    "/{code}/manifests",
    response_model=ManifestsPublic,
    summary="The carrier's pickup manifests of one day, per warehouse",
)
def list_manifests(
    session: ReadSession,
    _: CurrentPrincipal,
    code: Annotated[str, Path(min_length=1, max_length=64, description="carrier code, e.g. dhl")],
    day: Annotated[date, Query(alias="date", description="the hand-over day (UTC), YYYY-MM-DD")],
) -> ManifestsPublic:
    found = event_processes.manifests(session, code, day)
    return ManifestsPublic(carrier=code, date=day, data=[Manifest(**item) for item in found])
