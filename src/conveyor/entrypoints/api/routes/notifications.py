"""Customer emails: what was queued, sent or failed, and retrying a failed one.

Support and managers see why a customer got no email (``last_error``,
``attempts``) and send it again once the cause is fixed. See docs/notifications.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import notifications

router = APIRouter(prefix="/notifications", tags=["notifications"])

Retrier = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.MANAGER))]


class NotificationPublic(BaseModel):
    id: int
    event_type: str
    channel_code: str
    order_id: str | None
    recipient: str
    subject: str
    template: str
    status: str = Field(description="queued, sent or failed")
    attempts: int
    last_error: str | None
    message_id: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    updated_at: datetime


class NotificationDetail(NotificationPublic):
    text_body: str
    html_body: str | None


class NotificationsPublic(BaseModel):
    data: list[NotificationPublic]
    count: int


@router.get("", response_model=NotificationsPublic, summary="Notifications, oldest first")
def list_notifications(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    status: Annotated[str | None, Query(description="queued, sent or failed")] = None,
    order_id: str | None = None,
    after: Annotated[int | None, Query(description="The last id of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NotificationsPublic:
    rows = notifications.list_notifications(
        runtime.unit_of_work(), status=status, order_id=order_id, after=after, limit=limit
    )
    return NotificationsPublic(data=[NotificationPublic(**row) for row in rows], count=len(rows))


@router.get(
    "/{notification_id}", response_model=NotificationDetail, summary="One notification with its bodies"
)
def read_notification(notification_id: int, _: CurrentPrincipal, runtime: RuntimeDep) -> NotificationDetail:
    return NotificationDetail(**notifications.read_notification(runtime.unit_of_work(), notification_id))


@router.post(
    "/{notification_id}/retry", response_model=NotificationPublic, summary="Queue a failed notification again"
)
def retry_notification(notification_id: int, _: Retrier, runtime: RuntimeDep) -> NotificationPublic:
    return NotificationPublic(**notifications.retry_notification(runtime.unit_of_work(), notification_id))
