"""Signals: broadcast to every instance waiting for the signal and every process it starts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from conveyor.domain.auth import Principal
from conveyor.entrypoints.api.routes.workflow_common import STARTERS, WorkflowDep
from conveyor.entrypoints.api.security import require_roles

router = APIRouter(prefix="/signals", tags=["signals"])


class SignalSend(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict)


class SignalResult(BaseModel):
    reached: int = Field(description="Waiting instances triggered plus instances started")


@router.post("", response_model=SignalResult, summary="Broadcast a signal")
def send_signal(
    body: SignalSend, workflow: WorkflowDep, _: Annotated[Principal, Depends(require_roles(*STARTERS))]
) -> SignalResult:
    return SignalResult(reached=workflow.signal(body.name, body.variables))
