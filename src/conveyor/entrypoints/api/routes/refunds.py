"""Refunds: request one (support, finance, managers), list and read them, the order's payment ledger.

``POST /refunds`` names the order and what to give back (lines with
quantities, optionally a smaller amount per line; a shipping amount; or a
plain amount) and a reason. The refund is claimed on the order's refund
account at once (never more than captured minus refunded, even under races:
the loser gets 409), then the ``refund`` process runs: refunds above the
configured threshold wait for a finance approval task, the others are paid
out before the response (status ``issued``). ``GET /orders/{id}/payments``
shows the ledger: authorized, captured, refunded, pending refunds,
refundable, balance, entries and refunds.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import finance

router = APIRouter(tags=["refunds"])

RefundRequester = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.FINANCE, Role.MANAGER))]
Reader = CurrentPrincipal


class RefundLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_no: int = Field(description="The order line's number")
    quantity: int = Field(description="Units of the line to refund")
    amount: str | None = Field(default=None, description="Less than quantity x unit price (a partial refund)")


class RefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    lines: list[dict[str, Any]] = Field(default_factory=list, description="[{line_no, quantity, amount?}]")
    shipping: str | None = Field(default=None, examples=["4.99"], description="Shipping to give back")
    amount: str | None = Field(default=None, examples=["10.00"], description="A plain amount (goodwill)")
    reason: str = Field(examples=["Damaged in transit"])


@router.post(
    "/refunds", status_code=status.HTTP_201_CREATED, summary="Request a refund (runs the refund process)"
)
def create_refund(body: RefundCreate, principal: RefundRequester, runtime: RuntimeDep) -> dict[str, Any]:
    return finance.request_refund(
        runtime.unit_of_work(),
        order_id=body.order_id,
        lines=body.lines,
        shipping=body.shipping,
        amount=body.amount,
        reason=body.reason,
        requested_by=principal.name,
    )


@router.get("/refunds", summary="Refunds, oldest first")
def list_refunds(
    _: Reader,
    session: ReadSession,
    order_id: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = finance.list_refunds(session, order_id=order_id, status=status, limit=limit)
    return {"data": rows, "count": len(rows)}


@router.get("/refunds/{refund_id}", summary="One refund")
def read_refund(refund_id: str, _: Reader, session: ReadSession) -> dict[str, Any]:
    return finance.get_refund(session, refund_id)


@router.get("/orders/{order_id}/payments", summary="The order's payment ledger and refunds")
def order_payments(order_id: str, _: Reader, session: ReadSession) -> dict[str, Any]:
    return finance.payment_summary(session, order_id)


StoreCreditReader = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.FINANCE, Role.MANAGER))]


@router.get("/store-credit", summary="A customer's store credit: balance per currency and entries")
def store_credit(customer_email: str, _: StoreCreditReader, session: ReadSession) -> dict[str, Any]:
    return finance.store_credit_statement(session, customer_email)


@router.get("/payments", summary="The payment ledger of one order (?order_id=)")
def payments(order_id: str, _: Reader, session: ReadSession) -> dict[str, Any]:
    return finance.payment_summary(session, order_id)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool | None = None
    reason: str | None = None


FinanceApprover = Annotated[Principal, Depends(require_roles(Role.FINANCE, Role.MANAGER))]


@router.post("/refunds/{refund_id}/decision", summary="Approve or reject a refund waiting for finance")
def decide_refund(
    refund_id: str, body: DecisionIn, principal: FinanceApprover, workflow: WorkflowDep, session: ReadSession
) -> dict[str, Any]:
    form = finance.decision_form(body.approved, body.reason)
    refund = finance.get_refund(session, refund_id)
    task = finance.open_task(session, refund["process_instance_id"], "approve_refund", f"Refund {refund_id}")
    workflow.complete_task(task["id"], form, completed_by=principal.name)
    session.rollback()  # end the read snapshot taken before the step committed
    return finance.get_refund(session, refund_id)
