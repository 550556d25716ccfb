"""Webhook subscriptions (admins and integrations): CRUD, the delivery log, replays.

The secret (``whsec_...``) is in the response of ``POST /webhooks`` and of a
``PATCH`` with ``rotate_secret: true``, and never again. See docs/webhooks.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.security import RuntimeDep, require_roles
from conveyor.services import webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

Integrator = Annotated[Principal, Depends(require_roles(Role.INTEGRATION))]
EVENT_TYPES_HELP = "exact types (order.created), prefixes ending in .* (order.*), or * for every event"
CHANNELS_HELP = (
    "sales channel codes: only events of these channels' orders (events of no channel are not sent); "
    "null or []: every event"
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, examples=["https://example.com/conveyor/events"])
    event_types: list[str] = Field(min_length=1, max_length=100, description=EVENT_TYPES_HELP)
    channels: list[str] | None = Field(
        default=None, max_length=100, description=CHANNELS_HELP, examples=[["shopify-us"]]
    )
    description: str | None = Field(default=None, max_length=500)
    active: bool = True


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description=EVENT_TYPES_HELP
    )
    channels: list[str] | None = Field(default=None, max_length=100, description=CHANNELS_HELP)
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = Field(default=None, description="true re-enables a disabled subscription")
    rotate_secret: bool = Field(default=False, description="issue a new secret (in the response, once)")


class WebhookPublic(BaseModel):
    id: int
    url: str
    event_types: list[str]
    channels: list[str] | None = Field(
        description="the sales channels whose events it receives; null: every event"
    )
    active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime
    failing_since: datetime | None = Field(description="first failed attempt since the last success")
    disabled_at: datetime | None
    disabled_reason: str | None


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(description="whsec_...: verify signatures with it; shown only in this response")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class DeliveryPublic(BaseModel):
    id: int
    subscription_id: int
    event_id: str = Field(description="the CloudEvent id, sent as webhook-id")
    sequence: int
    event_type: str
    subject: str | None
    status: Literal["pending", "delivering", "succeeded", "failed"]
    attempts: int
    next_attempt_at: datetime | None
    first_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_status_code: int | None
    last_response: str | None = Field(description="the start of the last response body")
    last_error: str | None = Field(description="timeout, connection error, refused address, redirect")


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    next_after: int = Field(description="pass as after= for the next page")


class AttemptPublic(BaseModel):
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    succeeded: bool


class AttemptsPublic(BaseModel):
    data: list[AttemptPublic]
    count: int


class ReplaySince(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: int = Field(ge=0, description="deliver again every matching event with a larger sequence")


class ReplayAccepted(BaseModel):
    subscription_id: int
    after: int
    deliveries: int = Field(description="deliveries queued")


@router.get("", response_model=WebhooksPublic, summary="List webhook subscriptions (never their secrets)")
def list_webhooks(_: Integrator, runtime: RuntimeDep) -> WebhooksPublic:
    items = webhooks.list_subscriptions(runtime.unit_of_work())
    return WebhooksPublic(data=[WebhookPublic(**item) for item in items], count=len(items))


@router.post(
    "",
    response_model=WebhookWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events; the response holds the signing secret, shown only this once",
)
def create_webhook(body: WebhookCreate, _: Integrator, runtime: RuntimeDep) -> WebhookWithSecret:
    view, secret = webhooks.create_subscription(
        runtime.unit_of_work(),
        url=body.url,
        event_types=body.event_types,
        channels=body.channels,
        description=body.description,
        active=body.active,
    )
    return WebhookWithSecret(**view, secret=secret)


@router.get("/{webhook_id}", response_model=WebhookPublic, summary="One webhook subscription")
def get_webhook(webhook_id: int, _: Integrator, runtime: RuntimeDep) -> WebhookPublic:
    return WebhookPublic(**webhooks.get_subscription(runtime.unit_of_work(), webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookPublic | WebhookWithSecret,
    summary="Change a subscription (url, event_types, channels, description, active; rotate_secret)",
)
def update_webhook(
    webhook_id: int, body: WebhookUpdate, _: Integrator, runtime: RuntimeDep
) -> WebhookPublic | WebhookWithSecret:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "active"):
        if name in changes and changes[name] is None:
            del changes[name]
    view, secret = webhooks.update_subscription(runtime.unit_of_work(), webhook_id, changes)
    return WebhookWithSecret(**view, secret=secret) if secret else WebhookPublic(**view)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a subscription (nothing more is sent to it)",
)
def delete_webhook(webhook_id: int, _: Integrator, runtime: RuntimeDep) -> Response:
    webhooks.delete_subscription(runtime.unit_of_work(), webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveriesPublic,
    summary="The subscription's deliveries, oldest event first",
)
def list_deliveries(
    webhook_id: int,
    _: Integrator,
    runtime: RuntimeDep,
    delivery_status: Annotated[
        Literal["pending", "delivering", "succeeded", "failed"] | None, Query(alias="status")
    ] = None,
    after: Annotated[int, Query(ge=0, description="deliveries of events with a larger sequence")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveriesPublic:
    items = webhooks.list_deliveries(
        runtime.unit_of_work(), webhook_id, status=delivery_status, after=after, limit=limit
    )
    return DeliveriesPublic(
        data=[DeliveryPublic(**item) for item in items], next_after=items[-1]["sequence"] if items else after
    )


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_model=DeliveryPublic, summary="One delivery")
def get_delivery(webhook_id: int, delivery_id: int, _: Integrator, runtime: RuntimeDep) -> DeliveryPublic:
    return DeliveryPublic(**webhooks.get_delivery(runtime.unit_of_work(), webhook_id, delivery_id))


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}/attempts",
    response_model=AttemptsPublic,
    summary="Every attempt of one delivery: status code, response excerpt or error, duration",
)
def list_attempts(webhook_id: int, delivery_id: int, _: Integrator, runtime: RuntimeDep) -> AttemptsPublic:
    items = webhooks.list_attempts(runtime.unit_of_work(), webhook_id, delivery_id)
    return AttemptsPublic(data=[AttemptPublic(**item) for item in items], count=len(items))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    response_model=DeliveryPublic,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send one delivery again (409 while it is still pending)",
)
def replay_delivery(webhook_id: int, delivery_id: int, _: Integrator, runtime: RuntimeDep) -> DeliveryPublic:
    return DeliveryPublic(**webhooks.replay_delivery(runtime.unit_of_work(), webhook_id, delivery_id))


@router.post(
    "/{webhook_id}/replay",
    response_model=ReplayAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send again every matching event after a sequence number",
)
def replay_since(webhook_id: int, body: ReplaySince, _: Integrator, runtime: RuntimeDep) -> ReplayAccepted:
    count = webhooks.replay_since(runtime.unit_of_work(), webhook_id, body.after)
    return ReplayAccepted(subscription_id=webhook_id, after=body.after, deliveries=count)
