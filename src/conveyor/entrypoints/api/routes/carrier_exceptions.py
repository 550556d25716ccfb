"""Carrier exceptions (support cases) and each carrier's performance record.

``POST /carrier-exceptions`` (support, integration, manager) reports a problem
the tracking feed did not: ``{order_id, shipment_id?, kind: exception | lost |
damaged | late, note?}``; tracking ``exception`` events open cases by
themselves. ``POST /carrier-exceptions/{id}/decision`` (support, manager)
decides an open case: ``reship``, ``refund`` or ``wait`` (``wait_days``).
``GET /carriers/{code}/performance``: shipments, delivered, exceptions, late,
lost, damaged, and their rates.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import ReadSession, WorkflowDep
from conveyor.entrypoints.api.security import CurrentPrincipal, RuntimeDep, require_roles
from conveyor.errors import InvalidInput
from conveyor.services import carrier_exceptions, finance

router = APIRouter(tags=["carrier exceptions"])

Reporter = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.INTEGRATION, Role.MANAGER))]
Decider = Annotated[Principal, Depends(require_roles(Role.SUPPORT, Role.MANAGER))]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    shipment_id: str | None = None
    kind: str = Field(examples=["lost"], description="exception, lost, damaged or late")
    note: str | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: str = Field(examples=["reship"], description="reship, refund or wait")
    wait_days: int | None = Field(default=None, ge=1, le=60)
    note: str | None = None


@router.post("/carrier-exceptions", status_code=status.HTTP_201_CREATED, summary="Report a carrier problem")
def create_case(body: CaseCreate, principal: Reporter, runtime: RuntimeDep) -> dict[str, Any]:
    return carrier_exceptions.report(
        runtime.unit_of_work(),
        order_id=body.order_id,
        shipment_id=body.shipment_id,
        kind=body.kind,
        note=body.note,
        reported_by=principal.name,
    )


@router.get("/carrier-exceptions", summary="Carrier exception cases, oldest first")
def list_cases(
    _: CurrentPrincipal,
    session: ReadSession,
    order_id: str | None = None,
    carrier: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = carrier_exceptions.list_cases(
        session, order_id=order_id, carrier=carrier, status=status, limit=limit
    )
    return {"data": rows, "count": len(rows)}


@router.get("/carrier-exceptions/{case_id}", summary="One carrier exception case")
def read_case(case_id: str, _: CurrentPrincipal, session: ReadSession) -> dict[str, Any]:
    return carrier_exceptions.get_case(session, case_id)


@router.post("/carrier-exceptions/{case_id}/decision", summary="Decide a case: reship, refund or wait")
def decide_case(
    case_id: str, body: DecisionIn, principal: Decider, workflow: WorkflowDep, session: ReadSession
) -> dict[str, Any]:
    if body.decision not in carrier_exceptions.DECISIONS:
        raise InvalidInput(
            f"decision must be one of {', '.join(carrier_exceptions.DECISIONS)}",
            errors=[
                {
                    "loc": ["body", "decision"],
                    "path": "decision",
                    "msg": f"unknown decision {body.decision!r}",
                }
            ],
        )
    case = carrier_exceptions.get_case(session, case_id)
    task = finance.open_task(
        session, case["process_instance_id"], "decide_carrier_exception", f"Case {case_id}"
    )
    form: dict[str, Any] = {"decision": body.decision, "note": body.note or ""}
    if body.wait_days is not None:
        form["wait_days"] = body.wait_days
    workflow.complete_task(task["id"], form, completed_by=principal.name)
    session.rollback()  # end the read snapshot taken before the step committed
    return carrier_exceptions.get_case(session, case_id)


@router.get("/carriers/{code}/performance", summary="A carrier's performance record")
def carrier_performance(code: str, _: CurrentPrincipal, session: ReadSession) -> dict[str, Any]:
    return carrier_exceptions.performance(session, code)
