"""The exception register: list (filters, cursor pages), read with history, change, summarise, file, classify.

Reading is open to every token; changing a record (assign, status, severity,
resolution, root cause) to staff roles; filing one by hand to staff and
integrations. See docs/exceptions.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from conveyor.domain.auth import Principal, Role
from conveyor.entrypoints.api.routes.workflow_common import ReadSession
from conveyor.entrypoints.api.security import RuntimeDep, require_roles
from conveyor.services import exceptions as register
from conveyor.services.exceptions import UNSET, ExceptionFilter

router = APIRouter(prefix="/exceptions", tags=["exceptions"])

STAFF = (Role.MANAGER, Role.SUPPORT, Role.WAREHOUSE, Role.FINANCE)
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]
Filer = Annotated[Principal, Depends(require_roles(*STAFF, Role.INTEGRATION))]


class Classification(BaseModel):
    category: str
    confidence: float
    method: str


class ExceptionPublic(BaseModel):
    id: int
    type: str
    category: str
    category_source: str = Field(description="explicit, reason_code, classifier, type or default")
    severity: str
    status: str
    summary: str
    order_id: str | None
    order_line_id: str | None
    sku: str | None
    warehouse_code: str | None
    carrier_code: str | None
    process_instance_id: str | None
    task_id: int | None
    incident_id: int | None
    reason_code: str | None
    reason_text: str | None
    classification: Classification | None
    owner_group: str | None
    assignee: str | None
    due_at: datetime
    overdue: bool
    resolution: str | None
    root_cause: str | None
    details: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    revision: int


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    actor: str | None
    changes: dict[str, Any]


class ExceptionDetail(ExceptionPublic):
    history: list[HistoryEntry]


class ExceptionsPublic(BaseModel):
    data: list[ExceptionPublic]
    count: int
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last")


class SummaryGroup(BaseModel):
    key: str | None
    count: int
    open: int = Field(description="open or in progress")
    overdue: int
    resolved: int
    mean_hours_to_resolve: float | None


class SummaryPublic(BaseModel):
    by: str
    data: list[SummaryGroup]


class ExceptionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, description="open, in_progress, resolved or closed")
    assignee: str | None = Field(default=None, description="Who works on it (empty string: nobody)")
    owner_group: str | None = None
    severity: str | None = None
    resolution: str | None = None
    root_cause: str | None = None
    revision: int | None = Field(default=None, description="The revision you read; 409 if it moved since")


class ExceptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=100, examples=["carrier.exception"])
    summary: str = Field(min_length=1, max_length=2000)
    category: str | None = None
    severity: str | None = None
    order_id: str | None = None
    order_line_id: str | None = None
    sku: str | None = None
    warehouse_code: str | None = None
    carrier_code: str | None = None
    reason_code: str | None = None
    reason_text: str | None = Field(default=None, max_length=4000)
    details: dict[str, Any] | None = None


class ClassifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class ClassifyResult(BaseModel):
    category: str | None
    confidence: float | None
    method: str | None
    confident: bool
    scores: dict[str, float]


def _public(row: dict[str, Any]) -> ExceptionPublic:
    return ExceptionPublic(**{k: v for k, v in row.items() if k in ExceptionPublic.model_fields})


def _filter(
    category: str | None = None,
    type: str | None = None,
    status: Annotated[
        list[str] | None, Query(description="Repeat for several: open, in_progress, ...")
    ] = None,
    severity: str | None = None,
    order_id: str | None = None,
    order: Annotated[str | None, Query(description="The same as order_id")] = None,
    sku: Annotated[str | None, Query(description="The product")] = None,
    product: Annotated[str | None, Query(description="The same as sku")] = None,
    warehouse: str | None = None,
    warehouse_code: Annotated[str | None, Query(description="The same as warehouse")] = None,
    carrier: str | None = None,
    carrier_code: Annotated[str | None, Query(description="The same as carrier")] = None,
    owner: Annotated[str | None, Query(description="The owner group or the assignee")] = None,
    owner_group: str | None = None,
    assignee: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    overdue: bool | None = None,
    process_instance_id: str | None = None,
) -> ExceptionFilter:
    return ExceptionFilter(
        category=category, type=type, status=tuple(status or ()), severity=severity,
        order_id=order_id or order, sku=sku or product, warehouse_code=warehouse or warehouse_code,
        carrier_code=carrier or carrier_code, owner=owner, owner_group=owner_group, assignee=assignee,
        created_from=created_from, created_to=created_to, overdue=overdue,
        process_instance_id=process_instance_id,
    )  # fmt: skip


FilterDep = Annotated[ExceptionFilter, Depends(_filter)]


@router.get("", response_model=ExceptionsPublic, summary="Exception records, newest first, with filters")
def list_exceptions(
    session: ReadSession,
    flt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> ExceptionsPublic:
    rows, next_cursor = register.list_exceptions(session, flt, limit=limit, cursor=cursor)
    return ExceptionsPublic(data=[_public(r) for r in rows], count=len(rows), next_cursor=next_cursor)


@router.get("/summary", response_model=SummaryPublic, summary="Counts per category, product, carrier or week")
def summary(
    session: ReadSession,
    flt: FilterDep,
    by: Annotated[str, Query(description="category, product, carrier, warehouse, type or week")] = "category",
) -> SummaryPublic:
    return SummaryPublic(by=by, data=[SummaryGroup(**g) for g in register.summarize(session, by, flt)])


@router.post(
    "/classify", response_model=ClassifyResult, summary="The category the register would give a text"
)
def classify(body: ClassifyRequest, session: ReadSession) -> ClassifyResult:
    settings, classifier = register.settings_and_classifier(session)
    result = classifier.classify(body.text)
    if result is None:
        return ClassifyResult(category=None, confidence=None, method=None, confident=False, scores={})
    return ClassifyResult(
        category=result.category,
        confidence=result.confidence,
        method=result.method,
        confident=result.confidence >= settings.min_confidence,
        scores=dict(result.scores),
    )


@router.get("/{exception_id}", response_model=ExceptionDetail, summary="One record with its history")
def read_exception(exception_id: int, session: ReadSession) -> ExceptionDetail:
    row = register.get_exception(session, exception_id)
    return ExceptionDetail(**_public(row).model_dump(), history=[HistoryEntry(**h) for h in row["history"]])


@router.patch("/{exception_id}", response_model=ExceptionDetail, summary="Assign, move status, resolve")
def change_exception(
    exception_id: int, body: ExceptionChange, principal: Staff, runtime: RuntimeDep, session: ReadSession
) -> ExceptionDetail:
    given = body.model_fields_set
    with runtime.unit_of_work() as uow:
        register.update_exception(
            uow, exception_id, actor=principal.name, status=body.status, severity=body.severity,
            assignee=body.assignee if "assignee" in given else UNSET,
            owner_group=body.owner_group if "owner_group" in given else UNSET,
            resolution=body.resolution, root_cause=body.root_cause, expected_revision=body.revision,
        )  # fmt: skip
        uow.commit()
    return read_exception(exception_id, session)


@router.post(
    "",
    response_model=ExceptionDetail,
    status_code=status.HTTP_201_CREATED,
    summary="File an exception by hand (a complaint, a damaged delivery seen at the dock)",
)
def create_exception(
    body: ExceptionCreate, principal: Filer, runtime: RuntimeDep, session: ReadSession
) -> ExceptionDetail:
    with runtime.unit_of_work() as uow:
        values = body.model_dump()
        values["details"] = {**(values["details"] or {}), "filed_by": principal.name}
        exception_id = register.record_exception(uow, **values)
        uow.commit()
    return read_exception(exception_id, session)
