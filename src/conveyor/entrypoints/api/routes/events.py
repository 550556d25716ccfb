"""The event feed: committed CloudEvents from the outbox, resumable by sequence number.

A consumer keeps the ``next_after`` of each page and asks again with
``after=`` that number; since sequence numbers follow commit order, nothing
is skipped or seen twice. Any authenticated role may read the feed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from conveyor.entrypoints.api.routes.workflow_common import ReadSession
from conveyor.entrypoints.api.security import CurrentPrincipal
from conveyor.errors import InvalidInput
from conveyor.services import outbox

router = APIRouter(prefix="/events", tags=["events"])

TYPE_FILTER = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$")


class CloudEventPublic(BaseModel):
    """A CloudEvents 1.0 JSON document with Conveyor's ``sequence`` extension attribute."""

    specversion: str = Field(examples=["1.0"])
    id: str
    source: str = Field(examples=["/conveyor/order"])
    type: str = Field(examples=["order.created"])
    subject: str | None = Field(default=None, description="absent when the event is about nothing special")
    time: str = Field(description="RFC 3339, UTC")
    datacontenttype: str = Field(examples=["application/json"])
    sequence: int = Field(description="position in the feed; pass it as after= to read on")
    data: dict[str, Any]


class EventsPublic(BaseModel):
    items: list[CloudEventPublic]
    next_after: int = Field(description="the after= of the next page (unchanged when this page is empty)")


def _type_filters(raw: str | None) -> list[str]:
    if raw is None:
        return []
    wanted = [item.strip() for item in raw.split(",") if item.strip()]
    bad = [item for item in wanted if not TYPE_FILTER.match(item)]
    if bad or not wanted:
        shown = ", ".join(repr(item) for item in bad) or repr(raw)
        raise InvalidInput(
            f"type={shown} is not a list of event types: use e.g. type=order.created,shipment.* "
            "(exact types or a prefix ending in .*)",
            errors=[{"loc": ["query", "type"], "msg": f"not an event type or prefix: {shown}"}],
        )
    return wanted


@router.get(
    "",
    response_model=EventsPublic,
    response_model_exclude_unset=True,
    summary="Committed events after a sequence number, oldest first",
)
def list_events(
    session: ReadSession,
    _: CurrentPrincipal,
    after: Annotated[int, Query(ge=0, description="return events with a larger sequence number")] = 0,
    types: Annotated[
        str | None,
        Query(alias="type", description="comma-separated types or prefixes: order.created,shipment.*"),
    ] = None,
    subject: Annotated[str | None, Query(max_length=200, description="only events about this id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many events")] = 100,
) -> EventsPublic:
    items, next_after = outbox.page(
        session, after=after, types=_type_filters(types), subject=subject, limit=limit
    )
    return EventsPublic(
        items=[CloudEventPublic.model_validate(item) for item in items], next_after=next_after
    )
