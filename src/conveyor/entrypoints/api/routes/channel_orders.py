"""Sales-platform orders: raw webhook payloads in, orders (or held payloads) out; SKU mappings.

``POST /channels/{code}/orders`` is public in the bearer-token sense: platforms
(Shopify, WooCommerce) cannot send our token, so the request authenticates by
its signature over the raw body with the channel's secret (401 otherwise,
nothing stored). 201 with the new order, 200 when the platform order was
placed before, 202 when it is held for a SKU mapping.

The held orders and the SKU mappings need a token: integrations, managers and
support change them; any role reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.domain.channel_mappers import InvalidChannelPayload
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import channel_orders, order_views

public_router = APIRouter(prefix="/channels", tags=["channel orders"])
router = APIRouter(prefix="/channels", tags=["channel orders"])

ChannelEditor = Annotated[Principal, Depends(require_roles(Role.INTEGRATION, Role.MANAGER, Role.SUPPORT))]

_CODES = {
    "created": status.HTTP_201_CREATED,
    "existing": status.HTTP_200_OK,
    "held": status.HTTP_202_ACCEPTED,
}


class ChannelOrderPublic(BaseModel):
    id: int
    channel: str
    platform: str
    platform_order_id: str
    state: str = Field(description="held (waiting for a SKU mapping) or placed")
    order_id: str | None
    payment_status: str
    reason: str | None
    unmapped: list[dict[str, Any]]
    exception_id: int | None
    deliveries: int
    received_at: Any
    updated_at: Any
    payload: Any = Field(default=None, description="The platform's payload as received (one order only)")


class DeliveryPublic(BaseModel):
    outcome: str = Field(description="created, existing (delivered before) or held")
    channel_order: ChannelOrderPublic
    order: dict[str, Any] | None = Field(description="The order, unless the payload is held")


class ChannelOrdersPublic(BaseModel):
    data: list[ChannelOrderPublic]
    count: int


class MappingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(examples=["TEE-BLK-M"], description="Our SKU the platform key stands for")


class MappingPublic(BaseModel):
    platform_key: str
    sku: str
    updated_at: Any


class MappingsPublic(BaseModel):
    data: list[MappingPublic]
    count: int


def _delivery(runtime: Any, delivery: channel_orders.ChannelDelivery, response: Response) -> DeliveryPublic:
    response.status_code = _CODES[delivery.outcome]
    order = (
        order_views.order_detail(runtime.unit_of_work(), delivery.order_id)
        if delivery.order_id is not None
        else None
    )
    return DeliveryPublic(
        outcome=delivery.outcome, channel_order=ChannelOrderPublic(**delivery.channel_order), order=order
    )


async def _capped_body(request: Request) -> bytes:
    """The raw body, refused once it passes ``MAX_BODY_BYTES`` (never read whole into memory first)."""
    limit = channel_orders.MAX_BODY_BYTES
    declared = request.headers.get("content-length", "")
    too_large = InvalidChannelPayload(
        f"The body is larger than {limit} bytes",
        errors=[{"loc": ["body"], "path": "body", "msg": "too large"}],
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@public_router.post(
    "/{code}/orders",
    response_model=DeliveryPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Receive a platform order webhook (Shopify, WooCommerce, generic), signature-checked",
    responses={
        200: {"description": "This platform order was delivered before; the order placed then"},
        202: {"description": "Held: a line maps to no SKU of ours (an exception is recorded)"},
        401: {"description": "Missing or wrong signature; nothing is stored"},
        422: {"description": "The payload cannot be mapped; `errors` name the JSON paths"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The platform's raw JSON body, exactly as signed (see docs/channels.md)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def receive_order(
    code: str, request: Request, response: Response, runtime: RuntimeDep, workflow: WorkflowDep
) -> DeliveryPublic:
    body = await _capped_body(request)
    headers = dict(request.headers)

    def work() -> DeliveryPublic:
        delivery = channel_orders.receive_order(
            runtime.unit_of_work, workflow, channel_code=code, body=body, headers=headers
        )
        return _delivery(runtime, delivery, response)

    return await run_in_threadpool(work)


@router.get(
    "/{code}/held-orders", response_model=ChannelOrdersPublic, summary="Platform orders held or placed"
)
def list_held_orders(
    code: str,
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    state: Annotated[
        str, Query(pattern="^(held|placed|all)$", description="held (default), placed or all")
    ] = "held",
    after: Annotated[int | None, Query(description="The last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ChannelOrdersPublic:
    rows = channel_orders.list_channel_orders(
        runtime.unit_of_work(), code, state=None if state == "all" else state, after=after, limit=limit
    )
    return ChannelOrdersPublic(data=[ChannelOrderPublic(**row) for row in rows], count=len(rows))


@router.get(
    "/{code}/held-orders/{channel_order_id}", response_model=ChannelOrderPublic, summary="One with payload"
)
def read_held_order(
    code: str, channel_order_id: int, _: CurrentPrincipal, runtime: RuntimeDep
) -> ChannelOrderPublic:
    return ChannelOrderPublic(
        **channel_orders.get_channel_order(runtime.unit_of_work(), code, channel_order_id)
    )


@router.post(
    "/{code}/held-orders/{channel_order_id}/release",
    response_model=DeliveryPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Place a held order now that its SKUs map (409 naming the lines that still do not)",
    responses={200: {"description": "It was placed before"}},
)
def release_held_order(
    code: str,
    channel_order_id: int,
    response: Response,
    _: ChannelEditor,
    runtime: RuntimeDep,
    workflow: WorkflowDep,
) -> DeliveryPublic:
    delivery = channel_orders.release_held(
        runtime.unit_of_work, workflow, channel_code=code, channel_order_id=channel_order_id
    )
    return _delivery(runtime, delivery, response)


@router.get("/{code}/sku-mappings", response_model=MappingsPublic, summary="The channel's SKU mapping table")
def list_mappings(code: str, _: CurrentPrincipal, runtime: RuntimeDep) -> MappingsPublic:
    rows = channel_orders.list_mappings(runtime.unit_of_work(), code)
    return MappingsPublic(data=[MappingPublic(**row) for row in rows], count=len(rows))


@router.put(
    "/{code}/sku-mappings/{platform_key}",
    response_model=MappingPublic,
    summary="Map a platform SKU (or variant:<id>, product:<id>) to our SKU",
)
def save_mapping(
    code: str, platform_key: str, body: MappingBody, _: ChannelEditor, runtime: RuntimeDep
) -> MappingPublic:
    return MappingPublic(**channel_orders.save_mapping(runtime.unit_of_work(), code, platform_key, body.sku))


@router.delete(
    "/{code}/sku-mappings/{platform_key}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a mapping"
)
def delete_mapping(code: str, platform_key: str, _: ChannelEditor, runtime: RuntimeDep) -> Response:
    channel_orders.delete_mapping(runtime.unit_of_work(), code, platform_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class PushSubscriptionPublic(BaseModel):
    subscription: dict[str, Any]
    secret: str | None = Field(
        description="The subscription's signing secret (whsec_...), shown only when it is created"
    )


@router.post(
    "/{code}/push-subscription",
    response_model=PushSubscriptionPublic,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe the channel's push URL to its order status and tracking events (webhook)",
    responses={200: {"description": "The subscription exists already (no secret)"}},
)
def ensure_push_subscription(
    code: str, response: Response, _: ChannelEditor, runtime: RuntimeDep
) -> PushSubscriptionPublic:
    subscription, secret = channel_orders.ensure_push_subscription(runtime.unit_of_work, code)
    if secret is None:
        response.status_code = status.HTTP_200_OK
    return PushSubscriptionPublic(subscription=subscription, secret=secret)
