"""Inventory: stock levels, receipts, adjustments, transfers, the movement ledger and its check.

Reading is open to every role; receiving, adjusting and transferring stock
to warehouse staff and managers. Every change answers with the resulting
level(s) and is in the ledger (``GET /inventory/movements``), which pages
with a cursor: pass the ``next_cursor`` of one page as ``after`` to get the
next.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.domain.inventory import StockLevel
from conveyor.entrypoints.api.routes.workflow_common import WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import backorders, inventory
from conveyor.services.inventory import TransferLine

router = APIRouter(prefix="/inventory", tags=["inventory"])

StockWriter = Annotated[Principal, Depends(require_roles(Role.WAREHOUSE, Role.MANAGER))]


class StockLevelPublic(BaseModel):
    warehouse: str
    sku: str
    on_hand: int
    reserved: int
    available: int
    bin_location: str | None

    @classmethod
    def of(cls, level: StockLevel) -> StockLevelPublic:
        return cls(warehouse=level.warehouse, sku=level.sku, on_hand=level.on_hand, reserved=level.reserved,
                   available=level.available, bin_location=level.bin_location)  # fmt: skip


class StockLevelsPublic(BaseModel):
    data: list[StockLevelPublic]
    count: int


class ReceiptCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: str = Field(examples=["BER-1"])
    sku: str = Field(examples=["TEE-BLK-M"])
    quantity: int = Field(examples=[24], description="Units received (above 0)")
    reference: str | None = Field(default=None, max_length=100, examples=["PO-2026-0042"],
                                  description="The purchase order or delivery note")  # fmt: skip
    bin_location: str | None = Field(default=None, max_length=64, examples=["A-03-2"])


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    warehouse: str
    sku: str
    quantity: int = Field(description="Units to add (positive) or remove (negative)", examples=[-2])
    reason: str = Field(max_length=200, examples=["damaged"], description="count_correction, damaged...")


class TransferLineFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str
    quantity: int


class TransferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_warehouse: str = Field(examples=["BER-1"])
    to_warehouse: str = Field(examples=["LYS-1"])
    lines: list[TransferLineFields]
    note: str = Field(default="", max_length=500)


class TransferPublic(BaseModel):
    id: str
    from_warehouse: str
    to_warehouse: str
    levels: list[StockLevelPublic]


class MovementPublic(BaseModel):
    id: int
    warehouse: str
    sku: str
    type: str
    quantity: int
    on_hand_delta: int
    reserved_delta: int
    reference_type: str
    reference_id: str
    reason: str
    at: datetime


class MovementsPublic(BaseModel):
    data: list[MovementPublic]
    count: int
    next_cursor: int | None = Field(description="Pass as `after` for the next page; null at the end")


class ViolationPublic(BaseModel):
    kind: str
    warehouse: str
    sku: str
    message: str


class LedgerCheckPublic(BaseModel):
    consistent: bool
    violations: list[ViolationPublic]


@router.get("/levels", response_model=StockLevelsPublic, summary="Stock per warehouse and SKU")
def list_levels(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    warehouse: str | None = Query(default=None),
    sku: str | None = Query(default=None),
) -> StockLevelsPublic:
    levels = inventory.stock_levels(runtime.unit_of_work(), warehouse=warehouse, sku=sku)
    return StockLevelsPublic(data=[StockLevelPublic.of(level) for level in levels], count=len(levels))


def _wake_backorders(workflow: Any) -> inventory.Arrival:
    """Units arrived: the orders waiting for the SKU are re-allocated, oldest first, in the same commit."""
    return lambda uow, sku: backorders.stock_arrived(uow, workflow, sku)


@router.post("/receipts", response_model=StockLevelPublic, status_code=status.HTTP_201_CREATED,
             summary="Record goods received into a warehouse")  # fmt: skip
def receive(
    body: ReceiptCreate, _: StockWriter, runtime: RuntimeDep, workflow: WorkflowDep
) -> StockLevelPublic:
    level = inventory.receive_stock(
        runtime.unit_of_work(), warehouse=body.warehouse, sku=body.sku, quantity=body.quantity,
        reference=body.reference, bin_location=body.bin_location, on_arrival=_wake_backorders(workflow),
    )  # fmt: skip
    return StockLevelPublic.of(level)


@router.post("/adjustments", response_model=StockLevelPublic, status_code=status.HTTP_201_CREATED,
             summary="Correct on-hand stock with a reason")  # fmt: skip
def adjust(
    body: AdjustmentCreate, _: StockWriter, runtime: RuntimeDep, workflow: WorkflowDep
) -> StockLevelPublic:
    level = inventory.adjust_stock(
        runtime.unit_of_work(), warehouse=body.warehouse, sku=body.sku, quantity=body.quantity,
        reason=body.reason, on_arrival=_wake_backorders(workflow),
    )  # fmt: skip
    return StockLevelPublic.of(level)


@router.post("/transfers", response_model=TransferPublic, status_code=status.HTTP_201_CREATED,
             summary="Move unreserved stock between warehouses (all lines or none)")  # fmt: skip
def transfer(
    body: TransferCreate, _: StockWriter, runtime: RuntimeDep, workflow: WorkflowDep
) -> TransferPublic:
    transfer_id = inventory.transfer_stock(
        runtime.unit_of_work(), from_warehouse=body.from_warehouse, to_warehouse=body.to_warehouse,
        lines=[TransferLine(line.sku, line.quantity) for line in body.lines], note=body.note,
        on_arrival=_wake_backorders(workflow),
    )  # fmt: skip
    skus = {line.sku for line in body.lines}
    levels = [
        level
        for code in (body.from_warehouse, body.to_warehouse)
        for level in inventory.stock_levels(runtime.unit_of_work(), warehouse=code)
        if level.sku in skus
    ]
    return TransferPublic(id=transfer_id, from_warehouse=body.from_warehouse, to_warehouse=body.to_warehouse,
                          levels=[StockLevelPublic.of(level) for level in levels])  # fmt: skip


@router.get("/movements", response_model=MovementsPublic, summary="The movement ledger, oldest first")
def list_movements(
    _: CurrentPrincipal,
    runtime: RuntimeDep,
    warehouse: str | None = Query(default=None),
    sku: str | None = Query(default=None),
    reference_id: str | None = Query(default=None, description="An order, pick list or transfer id"),
    after: int | None = Query(default=None, ge=0, description="The cursor from the previous page"),
    limit: int = Query(default=100, ge=1, le=inventory.MAX_PAGE),
) -> MovementsPublic:
    page = inventory.stock_movements(
        runtime.unit_of_work(), warehouse=warehouse, sku=sku, reference_id=reference_id, after_id=after,
        limit=limit,
    )  # fmt: skip
    data = [
        MovementPublic(
            id=stored.id,
            warehouse=m.warehouse,
            sku=m.sku,
            type=m.type.value,
            quantity=m.quantity,
            on_hand_delta=m.on_hand_delta,
            reserved_delta=m.reserved_delta,
            reference_type=m.reference_type.value,
            reference_id=m.reference_id,
            reason=m.reason,
            at=m.at,
        )
        for stored in page
        for m in (stored.movement,)
    ]
    next_cursor = data[-1].id if len(data) == limit else None
    return MovementsPublic(data=data, count=len(data), next_cursor=next_cursor)


@router.get("/ledger-check", response_model=LedgerCheckPublic,
            summary="Check that levels equal the ledger and reservations (for operators)")  # fmt: skip
def ledger_check(_: CurrentPrincipal, runtime: RuntimeDep) -> LedgerCheckPublic:
    found = inventory.ledger_violations(runtime.unit_of_work())
    return LedgerCheckPublic(
        consistent=not found,
        violations=[
            ViolationPublic(kind=v.kind.value, warehouse=v.warehouse, sku=v.sku, message=v.message)
            for v in found
        ],
    )
