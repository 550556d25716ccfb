"""Orders: place (idempotent), list with filters and a cursor, read one in full, its timeline.

``POST /orders`` takes the channel's order (see ``conveyor.domain.order_drafts``
for the fields) plus ``channel`` and an optional ``payment_token``; it answers
201 with the order once its workflow has run as far as it can (payment,
reservations, pick lists, or the quality check), or 200 with the stored order
when the same channel + external id (or the same ``Idempotency-Key``) was
placed before. Every field problem is reported at once, and nothing is
written. Integrations, managers and support place orders; any role reads.
Concurrent placements are committed together (``services.placement_batcher``):
each request still gets its own answer, after its order is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.errors import InvalidInput
from conveyor.services import order_views
from conveyor.services.order_batch import OrderRequest
from conveyor.services.placement_batcher import batcher_for

router = APIRouter(prefix="/orders", tags=["orders"])

OrderPlacer = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.MANAGER, Role.SUPPORT))]

EXAMPLE = {
    "channel": "web",
    "external_id": "WEB-100234",
    "currency": "EUR",
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
    "shipping_address": {
        "name": "Ada Lovelace",
        "line1": "Unter den Linden 1",
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
    },
    "lines": [{"sku": "TEE-BLK-M", "quantity": 2, "unit_price": "24.90"}],
    "shipping": "4.99",
    "payment_token": "tok_visa",
}


class OrderSummaryPublic(BaseModel):
    id: str
    channel: str
    external_id: str
    status: str
    currency: str
    total: str | None
    customer: dict[str, Any]
    placed_at: datetime
    created_at: datetime
    updated_at: datetime
    process_instance_id: str | None


class OrderPublic(OrderSummaryPublic):
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    amounts: dict[str, str | None]
    lines: list[dict[str, Any]]
    allocations: list[dict[str, Any]]
    pick_lists: list[dict[str, Any]]
    shipments: list[dict[str, Any]]
    workflow: dict[str, Any]
    open_tasks: list[dict[str, Any]]
    timeline: list[dict[str, Any]]


class OrdersPublic(BaseModel):
    data: list[OrderSummaryPublic]
    count: int
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null at the end")


class TimelinePublic(BaseModel):
    order_id: str
    data: list[dict[str, Any]]


@router.post(
    "",
    response_model=OrderPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Place an order (idempotent on channel + external id, or Idempotency-Key)",
    responses={
        200: {"description": "The order was placed before; it is returned unchanged", "model": OrderPublic}
    },
)
async def place_order(
    _: OrderPlacer,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
    body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> Response:
    # async: the request waits for its batch on the event loop (no worker thread held while it waits),
    # and the body is validated once against OrderPublic and encoded straight to JSON
    draft = dict(body)
    channel = draft.pop("channel", None)
    if not isinstance(channel, str) or not channel.strip():
        raise InvalidInput(
            "Say which sales channel the order comes from",
            errors=[{"loc": ["body", "channel"], "path": "channel", "msg": "is required"}],
        )
    # group commit: concurrent requests are placed together, each answered with its own outcome
    batcher = batcher_for(runtime, workflow)
    outcome = await batcher.place_async(OrderRequest(channel.strip(), draft, idempotency_key))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.order_id is not None
    detail = outcome.detail
    if detail is None:  # the batch did not build it (e.g. placed on the single path): read it back
        detail = await run_in_threadpool(order_views.order_detail, runtime.unit_of_work(), outcome.order_id)
    return Response(
        content=OrderPublic.model_validate(detail).model_dump_json(),
        status_code=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK,
        media_type="application/json",
    )


@router.get("", response_model=OrdersPublic, summary="Orders, newest first")
def list_orders(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    order_status: Annotated[
        str | None, Query(alias="status", description="received, picking, shipped...")
    ] = None,
    channel: str | None = None,
    after: Annotated[str | None, Query(description="The next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> OrdersPublic:
    data, cursor = order_views.list_orders(
        runtime.unit_of_work(), status=order_status, channel=channel, after=after, limit=limit
    )
    return OrdersPublic(data=[OrderSummaryPublic(**row) for row in data], count=len(data), next_cursor=cursor)


@router.get(
    "/{order_id}", response_model=OrderPublic, summary="One order with lines, shipments, workflow, timeline"
)
def read_order(order_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> OrderPublic:
    return OrderPublic(**order_views.order_detail(runtime.unit_of_work(), order_id))


@router.get(
    "/{order_id}/timeline", response_model=TimelinePublic, summary="What happened to the order, oldest first"
)
def read_timeline(order_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> TimelinePublic:
    return TimelinePublic(
        order_id=order_id, data=order_views.order_timeline(runtime.unit_of_work(), order_id)
    )
