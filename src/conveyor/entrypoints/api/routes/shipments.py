"""Shipments: list and read, download the label PDF, receive the carrier's tracking events.

Tracking events come from carriers (the integration role) or staff; a repeat
of the same event is accepted and ignored. The event that delivers an
order's last shipment continues its workflow (the ``shipment.delivered``
message).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.errors import NotFound
from conveyor.services import order_views, shipping

router = APIRouter(prefix="/shipments", tags=["shipments"])

TrackingSender = Annotated[
    Principal, Depends(require_roles(Role.INTEGRATION, Role.WAREHOUSE, Role.MANAGER, Role.SUPPORT))
]


class ShipmentPublic(BaseModel):
    id: str
    order_id: str
    warehouse: str
    pick_list_id: str | None
    status: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    weight_grams: int | None
    price: str | None
    promised_by: datetime | None
    created_at: datetime
    handed_over_at: datetime | None
    delivered_at: datetime | None
    has_label: bool


class ShipmentsPublic(BaseModel):
    data: list[ShipmentPublic]
    count: int
    next_cursor: str | None


class TrackingEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        examples=["in_transit"], description="in_transit, out_for_delivery, delivered or exception"
    )
    at: datetime = Field(examples=["2026-03-03T08:15:00Z"], description="When the carrier scanned the parcel")
    location: str = Field(default="", max_length=200, examples=["Leipzig hub"])
    details: dict[str, Any] | None = None


@router.get("", response_model=ShipmentsPublic, summary="Shipments (by id, oldest first)")
def list_shipments(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    order_id: str | None = None,
    status: str | None = None,
    after: Annotated[str | None, Query(description="The next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ShipmentsPublic:
    with runtime.unit_of_work() as uow:
        rows = SqlOrders(uow.session).shipments(order_id=order_id, status=status, after=after, limit=limit)
    cursor = rows[-1].id if len(rows) == limit else None
    data = [ShipmentPublic(**order_views.shipment_public(s)) for s in rows]
    return ShipmentsPublic(data=data, count=len(data), next_cursor=cursor)


@router.get("/{shipment_id}", response_model=ShipmentPublic, summary="One shipment")
def read_shipment(shipment_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> ShipmentPublic:
    with runtime.unit_of_work() as uow:
        found = shipping.ensure_shipment(uow, shipment_id)
    return ShipmentPublic(**order_views.shipment_public(found))


@router.get(
    "/{shipment_id}/label",
    summary="The shipping label (PDF)",
    responses={200: {"content": {"application/pdf": {}}, "description": "A 4x6 inch label"}},
)
def read_label(shipment_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> Response:
    with runtime.unit_of_work() as uow:
        shipping.ensure_shipment(uow, shipment_id)
        pdf = SqlOrders(uow.session).label(shipment_id)
    if pdf is None:
        raise NotFound(f"Shipment {shipment_id} has no label yet; it gets one once a carrier is selected")
    headers = {"Content-Disposition": f'inline; filename="label-{shipment_id}.pdf"'}
    return Response(content=pdf, media_type="application/pdf", headers=headers)


@router.post("/{shipment_id}/tracking", response_model=ShipmentPublic, summary="A carrier's tracking event")
def add_tracking_event(
    shipment_id: str, body: TrackingEventCreate, _: TrackingSender, runtime: RuntimeDep, workflow: WorkflowDep
) -> ShipmentPublic:
    stored = shipping.record_tracking(
        runtime.unit_of_work,
        workflow,
        shipment_id,
        type=body.type,
        at=body.at,
        location=body.location,
        details=body.details,
        now=datetime.now(UTC),
    )
    return ShipmentPublic(**order_views.shipment_public(stored))
