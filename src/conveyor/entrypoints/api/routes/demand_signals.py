"""Demand signals: quantities ordered, reserved and backordered per day, SKU and warehouse.

Recorded by the ``demand-signals`` process that ``order.created``,
``inventory.reserved`` and ``order.backordered`` events start; the inventory
forecast reads them. Any authenticated role may read them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from conveyor.entrypoints.api.routes.workflow_common import ReadSession
from conveyor.entrypoints.api.security import CurrentPrincipal
from conveyor.errors import InvalidInput
from conveyor.services import event_processes

router = APIRouter(prefix="/analytics/demand-signals", tags=["analytics"])


class DemandSignal(BaseModel):
    day: date
    sku: str
    warehouse: str | None = Field(description="null: demand not tied to a warehouse yet (orders placed)")
    ordered: int
    reserved: int
    backordered: int


class DemandSignalsPublic(BaseModel):
    data: list[DemandSignal]
    count: int


@router.get("", response_model=DemandSignalsPublic, summary="Demand per day, SKU and warehouse")
def list_demand_signals(
    session: ReadSession,
    _: CurrentPrincipal,
    start: Annotated[date | None, Query(alias="from", description="first day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day, YYYY-MM-DD")] = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> DemandSignalsPublic:
    if start is not None and end is not None and end < start:
        raise InvalidInput(
            f"to={end} is before from={start}",
            errors=[{"loc": ["query", "to"], "msg": "must not be before from"}],
        )
    rows = event_processes.demand_summary(
        session, start=start, end=end, sku=sku, warehouse=warehouse, limit=limit
    )
    return DemandSignalsPublic(data=[DemandSignal(**row) for row in rows], count=len(rows))
