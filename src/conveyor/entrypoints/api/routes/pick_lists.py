"""Pick lists: what warehouse staff pick, and the confirmation of the units actually picked.

Confirming a list (warehouse staff or managers) records the picks in the
ledger, releases and backorders what was not found, and completes one of the
order's open pick-confirmation tasks, so the order moves on to packing when
its last list is confirmed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from conveyor.adapters.repositories.orders import SqlOrders
from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.errors import NotFound
from conveyor.services import order_views, pick_lists

router = APIRouter(prefix="/pick-lists", tags=["pick-lists"])

Picker = Annotated[Principal, Depends(require_roles(Role.WAREHOUSE, Role.MANAGER))]


class PickListPublic(BaseModel):
    id: str
    order_id: str
    warehouse: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    lines: list[dict[str, Any]]


class PickListsPublic(BaseModel):
    data: list[PickListPublic]
    count: int


class PickConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    picked: dict[str, int] = Field(
        description="Units picked per SKU (every line; 0 when nothing was found)", examples=[{"TEE-BLK-M": 2}]
    )


@router.get(
    "", response_model=PickListsPublic, summary="Pick lists (open ones unless status= says otherwise)"
)
def list_pick_lists(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    warehouse: str | None = None,
    order_id: str | None = None,
    status: Annotated[str | None, Query(description="open, picked, short_picked or cancelled")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PickListsPublic:
    with runtime.unit_of_work() as uow:
        rows = SqlOrders(uow.session).pick_lists(
            warehouse=warehouse, order_id=order_id, status=status or None, limit=limit
        )
    return PickListsPublic(
        data=[PickListPublic(**order_views.pick_list_public(p)) for p in rows], count=len(rows)
    )


@router.get("/{pick_list_id}", response_model=PickListPublic, summary="One pick list, lines in walking order")
def read_pick_list(pick_list_id: str, _: CurrentPrincipal, runtime: RuntimeDep) -> PickListPublic:
    with runtime.unit_of_work() as uow:
        found = SqlOrders(uow.session).pick_list(pick_list_id)
    if found is None:
        raise NotFound(f"There is no pick list {pick_list_id!r}")
    return PickListPublic(**order_views.pick_list_public(found))


@router.post("/{pick_list_id}/confirm", response_model=PickListPublic, summary="Confirm the units picked")
def confirm(
    pick_list_id: str, body: PickConfirmation, principal: Picker, runtime: RuntimeDep, workflow: WorkflowDep
) -> PickListPublic:
    confirmed = pick_lists.confirm_pick_list(
        runtime.unit_of_work,
        workflow,
        pick_list_id,
        body.picked,
        confirmed_by=principal.name,
        now=datetime.now(UTC),
    )
    return PickListPublic(**order_views.pick_list_public(confirmed))
