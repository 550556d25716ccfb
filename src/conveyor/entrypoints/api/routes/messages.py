"""Messages: correlate to exactly one waiting instance or a message start event; buffer early ones.

201 with the instance that took it (or was started by it); 202 with
``buffered: true`` when no instance waits yet (it waits ``ttl_seconds`` for
one); 404 when nobody waits and ``buffer`` is false; 409 when several
instances could take it (the problem lists them).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.routes.workflow_common import STARTERS, WorkflowDep
from conveyor.entrypoints.api.security import require_roles

router = APIRouter(prefix="/messages", tags=["messages"])


class MessageSend(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    correlation_key: str | int | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    ttl_seconds: float | None = Field(
        default=None, ge=0, description="How long to buffer it if nobody waits yet"
    )
    buffer: bool = Field(default=True, description="False: answer 404 instead of buffering")


class MessageResult(BaseModel):
    process_instance_id: str | None
    started: bool
    buffered: bool


@router.post("", response_model=MessageResult, status_code=status.HTTP_201_CREATED, summary="Send a message")
def send_message(
    body: MessageSend,
    workflow: WorkflowDep,
    _: Annotated[Principal, Depends(require_roles(*STARTERS))],
    response: Response,
) -> MessageResult:
    result = workflow.correlate(
        body.name, body.correlation_key, body.variables, ttl_seconds=body.ttl_seconds, buffer=body.buffer
    )
    if result.buffered:
        response.status_code = status.HTTP_202_ACCEPTED
    return MessageResult(
        process_instance_id=result.instance_id, started=result.started, buffered=result.buffered
    )
