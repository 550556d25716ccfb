"""Returns (RMA): request, list, read, the return label, receiving the parcel.

``POST /returns`` is for support (on the customer's behalf) and integrations
(the shop's customer self-service calls it with the customer's order):
``{order_id, lines: [{line_no (or sku), quantity}], reason_code, reason_text}``.
A bad line, an unknown reason code or a request outside the return window is
refused with a problem naming it, and nothing is written. ``POST
/returns/{id}/receive`` (warehouse, integration, support) records the parcel's
arrival once: a second receipt is a 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.services import finance, returns

router = APIRouter(prefix="/returns", tags=["returns"])

ReturnRequester = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.INTEGRATION, Role.MANAGER))]
ParcelReceiver = Annotated[
    Principal, Depends(require_roles(Role.WAREHOUSE, Role.INTEGRATION, Role.SUPPORT, Role.MANAGER))
]
Reader = CurrentPrincipal


class ReturnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    lines: list[Any] = Field(
        description="[{line_no (or sku), quantity}]", examples=[[{"line_no": 1, "quantity": 1}]]
    )
    reason_code: str | None = Field(default=None, examples=["damaged"])
    reason_text: str | None = Field(default=None, examples=["The seam came apart after one wash"])


@router.post("", status_code=status.HTTP_201_CREATED, summary="Request a return (starts the RMA process)")
def create_return(body: ReturnCreate, principal: ReturnRequester, runtime: RuntimeDep) -> dict[str, Any]:
    return returns.request_return(
        runtime.unit_of_work(),
        order_id=body.order_id,
        lines=body.lines,
        reason_code=body.reason_code,
        reason_text=body.reason_text,
        requested_by=principal.name,
    )


@router.get("", summary="Returns, oldest first")
def list_returns(
    _: Reader,
    session: ReadSession,
    order_id: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = returns.list_returns(session, order_id=order_id, status=status, limit=limit)
    return {"data": rows, "count": len(rows)}


@router.get("/{return_id}", summary="One return with its lines")
def read_return(return_id: str, _: Reader, session: ReadSession) -> dict[str, Any]:
    return returns.get_return(session, return_id)


@router.get(
    "/{return_id}/label.pdf",
    summary="The return label (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def return_label(return_id: str, _: Reader, session: ReadSession) -> Response:
    pdf = returns.label_pdf(session, return_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{return_id}-label.pdf"'},
    )


@router.post("/{return_id}/receive", summary="The return parcel arrived (once; a repeat is a 409)")
def receive_return(return_id: str, principal: ParcelReceiver, runtime: RuntimeDep) -> dict[str, Any]:
    return returns.receive_return(runtime.unit_of_work(), return_id, received_by=principal.name)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool | None = None
    reason: str | None = None


Reviewer = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.MANAGER))]


@router.post("/{return_id}/review", summary="Approve or reject a return waiting for the support review")
def review_return(
    return_id: str, body: ReviewIn, principal: Reviewer, workflow: WorkflowDep, session: ReadSession
) -> dict[str, Any]:
    form = finance.decision_form(body.approved, body.reason)
    found = returns.get_return(session, return_id)
    task = finance.open_task(session, found["process_instance_id"], "review_return", f"Return {return_id}")
    workflow.complete_task(task["id"], form, completed_by=principal.name)
    session.rollback()  # end the read snapshot taken before the step committed
    return returns.get_return(session, return_id)
