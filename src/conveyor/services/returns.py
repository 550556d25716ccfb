"""Returns (RMA): request, review, label, receipt, inspection per line, resolution.

``request_return`` checks the request (``domain.returns.plan_return``: the
reason code, shipped and not already returned units per line, the return
window from delivery), files it in the exception register (reason code ->
category; the free text classified), stores it and starts ``return-request``,
all in one transaction: a refused request writes nothing. The process's
handlers are ``ReturnHandlers``: the support review, the label (a PDF with the
label renderer the shipments use), the arrival (``receive_return``, or the
message ``return.parcel_received`` correlated by the RMA id; a guarded UPDATE
lets exactly one of two receipts win), the inspection of each line (stock
movements: a ``return`` movement into on hand, then for quarantine and scrap a
negative ``adjustment`` with the reason, so the units are in the ledger but
never sellable, and on hand stays the sum of the movements), the resolution
of each line (refund through the refund process, a replacement order through
the normal process, store credit, or nothing), and closing the RMA.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.exception_tables import exception_records
from conveyor.adapters.db.finance_tables import return_lines, returns
from conveyor.adapters.db.inventory_tables import stock_movements
from conveyor.adapters.db.order_tables import shipments
from conveyor.adapters.labels import ShippingLabel, render_label
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import StoredOrder
from conveyor.domain.addresses import Address
from conveyor.domain.inventory import MovementType, ReferenceType
from conveyor.domain.money import Money
from conveyor.domain.returns import (
    ACTIVE_STATUSES,
    Disposition,
    InvalidReturn,
    Resolution,
    ReturnStateConflict,
    ReturnStatus,
    ShippedLine,
    plan_return,
)
from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import NotFound
from conveyor.services import exceptions as register
from conveyor.services import finance, order_status
from conveyor.services.finance_settings import record_in_register, returns_of, workflow_of
from conveyor.services.replacements import place_replacement
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

RETURN_PROCESS = "return-request"
PARCEL_MESSAGE = "return.parcel_received"


def new_return_id() -> str:
    return f"RMA-{uuid.uuid4().hex[:10].upper()}"


# --- reading ----------------------------------------------------------------------------------


def _lines_public(session: Session, return_id: str, currency: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(return_lines).where(return_lines.c.return_id == return_id).order_by(return_lines.c.line_no)
    )
    out = []
    for row in rows:
        m = row._mapping
        out.append(
            {
                "line_no": m["line_no"],
                "sku": m["sku"],
                "quantity": m["quantity"],
                "unit_price": Money.from_minor(m["unit_price_minor"], currency).as_string(),
                "disposition": m["disposition"],
                "resolution": m["resolution"],
                "refund_id": m["refund_id"],
                "replacement_order_id": m["replacement_order_id"],
                "store_credit": None
                if m["store_credit_minor"] is None
                else Money.from_minor(m["store_credit_minor"], currency).as_string(),
            }
        )
    return out


def return_public(session: Session, row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "id": m["id"],
        "order_id": m["order_id"],
        "status": m["status"],
        "reason_code": m["reason_code"],
        "reason_text": m["reason_text"],
        "category": m["category"],
        "value": Money.from_minor(m["value_minor"], m["currency"]).as_string(),
        "currency": m["currency"],
        "warehouse": m["warehouse_code"],
        "requested_by": m["requested_by"],
        "decided_by": m["decided_by"],
        "decision_reason": m["decision_reason"],
        "tracking_number": m["tracking_number"],
        "has_label": m["label_pdf"] is not None,
        "process_instance_id": m["process_instance_id"],
        "exception_id": m["exception_id"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
        "received_at": m["received_at"],
        "closed_at": m["closed_at"],
        "lines": _lines_public(session, m["id"], m["currency"]),
    }


def _row(session: Session, return_id: str) -> Any:
    row = session.execute(select(returns).where(returns.c.id == return_id)).first()
    if row is None:
        raise NotFound(f"There is no return {return_id!r}; GET /api/v1/returns lists them")
    return row


def get_return(session: Session, return_id: str) -> dict[str, Any]:
    row = _row(session, return_id)
    public = return_public(session, row)
    if public["decided_by"] is None:  # the task's completer is written after its step's handlers ran
        public["decided_by"] = finance._completed_by(session, row.process_instance_id, "review_return")
    return public


def list_returns(
    session: Session, *, order_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(returns).order_by(returns.c.created_at, returns.c.id).limit(limit)
    if order_id is not None:
        query = query.where(returns.c.order_id == order_id)
    if status is not None:
        query = query.where(returns.c.status == status)
    return [return_public(session, row) for row in session.execute(query)]


def label_pdf(session: Session, return_id: str) -> bytes:
    row = _row(session, return_id)
    if row.label_pdf is None:
        raise ReturnStateConflict(
            f"Return {return_id} has no label yet (it is {row.status}); "
            "the label is issued once it is approved",
            return_status=row.status,
        )
    return bytes(row.label_pdf)


# --- requesting -------------------------------------------------------------------------------


def _shipped(
    session: Session, order: StoredOrder
) -> tuple[list[ShippedLine], dict[str, str], datetime | None]:
    """Per order line: units shipped and in other active returns; the warehouse per SKU; window start."""
    ship_rows = list(session.execute(select(shipments).where(shipments.c.order_id == order.id)))
    shipped_ids = [r.id for r in ship_rows if r.handed_over_at is not None]
    per_sku: dict[str, int] = {}
    warehouse_of: dict[str, str] = {}
    if shipped_ids:
        moved = session.execute(
            select(
                stock_movements.c.sku, stock_movements.c.warehouse_code, func.sum(stock_movements.c.quantity)
            )
            .where(
                and_(
                    stock_movements.c.type == MovementType.SHIPMENT.value,
                    stock_movements.c.reference_type == ReferenceType.SHIPMENT.value,
                    stock_movements.c.reference_id.in_(shipped_ids),
                )
            )
            .group_by(stock_movements.c.sku, stock_movements.c.warehouse_code)
        )
        for sku, warehouse, units in moved:
            per_sku[sku] = per_sku.get(sku, 0) + int(units)
            warehouse_of.setdefault(sku, warehouse)
    active = [s.value for s in ACTIVE_STATUSES]
    returned: dict[int, int] = {
        int(line_no): int(units)
        for line_no, units in session.execute(
            select(return_lines.c.line_no, func.sum(return_lines.c.quantity))
            .join(returns, returns.c.id == return_lines.c.return_id)
            .where(and_(returns.c.order_id == order.id, returns.c.status.in_(active)))
            .group_by(return_lines.c.line_no)
        )
    }
    facts: list[ShippedLine] = []
    for line in order.lines:  # a SKU's shipped units fill its lines in order
        units = min(per_sku.get(line.sku, 0), line.quantity)
        per_sku[line.sku] = per_sku.get(line.sku, 0) - units
        facts.append(
            ShippedLine(
                line.line_no,
                line.sku,
                line.quantity,
                units,
                returned.get(line.line_no, 0),
                Money.from_minor(line.unit_price_minor, order.currency),
            )
        )
    delivered = [r.delivered_at for r in ship_rows if r.delivered_at is not None]
    handed = [r.handed_over_at for r in ship_rows if r.handed_over_at is not None]
    starts = max(delivered) if delivered else (max(handed) if handed else None)
    return facts, warehouse_of, starts


def request_return(
    uow: SqlUnitOfWork,
    *,
    order_id: str,
    lines: Sequence[Any],
    reason_code: Any,
    reason_text: Any = None,
    requested_by: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Validate, store, register and start a return (see the module docstring)."""
    now = now or datetime.now(UTC)
    with uow:
        begin_writing(uow.session)
        session = uow.session
        order = finance.order_of(session, order_id)
        settings = returns_of(session)
        facts, warehouse_of, window_starts = _shipped(session, order)
        plan = plan_return(
            lines=list(lines) if isinstance(lines, list | tuple) else lines,
            reason_code=reason_code,
            reason_text=reason_text,
            shipped=facts,
            window_starts=window_starts,
            now=now,
            settings=settings,
            currency=order.currency,
            reason_codes=sorted(register.current_settings(session).return_reasons),
        )
        warehouse = settings.warehouse or warehouse_of.get(plan.lines[0].sku)
        if warehouse is None:  # pragma: no cover - a shipped line always has a shipment movement
            raise InvalidReturn(
                "No warehouse to return the goods to; set returns.warehouse in the configuration"
            )
        return_id = new_return_id()
        session.execute(
            insert(returns).values(
                id=return_id,
                order_id=order.id,
                status=ReturnStatus.REQUESTED.value,
                reason_code=plan.reason_code,
                reason_text=plan.reason_text,
                value_minor=plan.value.minor_units,
                currency=order.currency,
                warehouse_code=warehouse,
                requested_by=requested_by,
                created_at=now,
                updated_at=now,
            )
        )
        session.execute(
            insert(return_lines),
            [
                {
                    "return_id": return_id,
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price_minor": line.unit_price.minor_units,
                }
                for line in plan.lines
            ],
        )
        exception_id = record_in_register(
            uow,
            type="return.requested",
            summary=f"Return {return_id} of order {order.id}: {plan.reason_code}"
            + (f" ({plan.reason_text})" if plan.reason_text else ""),
            order_id=order.id,
            sku=plan.lines[0].sku if len(plan.lines) == 1 else None,
            warehouse_code=warehouse,
            reason_code=plan.reason_code,
            reason_text=plan.reason_text or None,
            details={
                "return_id": return_id,
                "value": plan.value.as_string(),
                "lines": [
                    {"line_no": line.line_no, "sku": line.sku, "quantity": line.quantity}
                    for line in plan.lines
                ],
            },
            now=now,
        )
        category = session.execute(
            select(exception_records.c.category).where(exception_records.c.id == exception_id)
        ).scalar_one_or_none()
        auto = settings.auto_approves(plan.value)
        order_status.milestone(
            uow,
            order.id,
            "return.requested",
            now,
            moves_status=False,
            return_id=return_id,
            reason_code=plan.reason_code,
            reason_text=plan.reason_text,
            category=category,
            value=plan.value.as_string(),
            currency=order.currency,
            auto_approve=auto,
            lines=[
                {"line_no": line.line_no, "sku": line.sku, "quantity": line.quantity} for line in plan.lines
            ],
        )
        started = workflow_of(uow).start(
            RETURN_PROCESS,
            {
                "return_id": return_id,
                "order_id": order.id,
                "auto_approve": auto,
                "return_lines": [line.line_no for line in plan.lines],
                "parcel_wait": f"P{settings.parcel_wait_days}D",
            },
            business_key=return_id,
            uow=uow,
        )
        session.execute(
            update(returns)
            .where(returns.c.id == return_id)
            .values(process_instance_id=started.id, exception_id=exception_id, category=category)
        )
        uow.commit()
        session.rollback()
        return get_return(session, return_id)


def _mark_received(uow: SqlUnitOfWork, row: Any, now: datetime, by: str | None) -> bool:
    """approved -> received, once (a guarded UPDATE); records ``return.received``. False if it lost."""
    moved = uow.session.execute(
        update(returns)
        .where(and_(returns.c.id == row.id, returns.c.status == ReturnStatus.APPROVED.value))
        .values(status=ReturnStatus.RECEIVED.value, received_at=now, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    order_status.milestone(
        uow, row.order_id, "return.received", now, moves_status=False, return_id=row.id, received_by=by
    )
    return True


def receive_return(
    uow: SqlUnitOfWork, return_id: str, *, received_by: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """The parcel arrived: mark it received (exactly once) and let the process go on to the inspection."""
    now = now or datetime.now(UTC)
    with uow:
        begin_writing(uow.session)
        row = _row(uow.session, return_id)
        if not _mark_received(uow, row, now, received_by):
            current = _row(uow.session, return_id).status
            why = (
                "it was already received"
                if current in ("received", "closed")
                else f"it is {current}; only an approved return (label issued) can be received"
            )
            raise ReturnStateConflict(f"Return {return_id} cannot be received: {why}", return_status=current)
        workflow_of(uow).correlate(
            PARCEL_MESSAGE, return_id, {"received_by": received_by or ""}, buffer=False, uow=uow
        )
        uow.commit()
        uow.session.rollback()
        return get_return(uow.session, return_id)


# --- the return process's handlers ------------------------------------------------------------


def _process_row(session: Session, ctx: HandlerContext) -> Any:
    return_id = str(ctx.variables.get("return_id") or "")
    row = session.execute(select(returns).where(returns.c.id == return_id)).first()
    if row is None:
        raise NotFound(f"The process variable return_id ({return_id!r}) names no return")
    return row


def _set(session: Session, return_id: str, now: datetime, **values: Any) -> None:
    session.execute(update(returns).where(returns.c.id == return_id).values(updated_at=now, **values))


def _resolve_record(uow: SqlUnitOfWork, row: Any, resolution: str, now: datetime) -> None:
    if row.exception_id is None:
        return
    status = uow.session.execute(
        select(exception_records.c.status).where(exception_records.c.id == row.exception_id)
    ).scalar_one_or_none()
    if status in ("open", "in_progress"):
        register.resolve_exception(uow, int(row.exception_id), resolution=resolution, now=now)


class ReturnHandlers:
    def __init__(self, clock: Any = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def record_review(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        row, now = _process_row(uow.session, ctx), self.clock()
        approved = ctx.variables.get("approved") is True
        reason = str(ctx.variables.get("reason") or "").strip()
        if not approved and not reason:  # completed from the inbox without one: the task opens again
            raise BpmnError("decision_incomplete", "A rejected return needs a reason")
        by = finance._completed_by(uow.session, row.process_instance_id, "review_return")
        if approved:
            _set(uow.session, row.id, now, decided_by=by, decision_reason=reason or None)
            return {"approved": True}
        _set(
            uow.session,
            row.id,
            now,
            status=ReturnStatus.REJECTED.value,
            decided_by=by,
            decision_reason=reason,
            closed_at=now,
        )
        order_status.milestone(
            uow,
            row.order_id,
            "return.rejected",
            now,
            moves_status=False,
            return_id=row.id,
            reason=reason,
            decided_by=by,
        )
        _resolve_record(uow, row, f"rejected: {reason}", now)
        return {"approved": False}

    def issue_label(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        row = _process_row(session, ctx)
        if row.label_pdf is not None:
            return {"tracking_number": row.tracking_number}
        order = finance.order_of(session, row.order_id)
        config = SqlConfiguration(session)
        warehouse = config.warehouse(row.warehouse_code)
        carrier_code = session.execute(
            select(shipments.c.carrier_code)
            .where(and_(shipments.c.order_id == order.id, shipments.c.carrier_code.is_not(None)))
            .limit(1)
        ).scalar_one_or_none()
        carrier = config.carrier(carrier_code) if carrier_code else None
        tracking = f"RET{uuid.uuid4().int % 10**12:012d}"
        weight = session.execute(
            select(func.coalesce(func.sum(shipments.c.weight_grams), 0)).where(
                shipments.c.order_id == order.id
            )
        ).scalar_one()
        ship_to: Address = warehouse.address if warehouse is not None else order.destination
        pdf = render_label(
            ShippingLabel(
                ship_from=order.destination,
                ship_to=ship_to,
                carrier=carrier.name if carrier else (carrier_code or "Any carrier"),
                service="Return",
                tracking_number=tracking,
                weight_grams=int(weight or 0),
                reference=row.id,
            )
        )
        auto = ctx.variables.get("auto_approve") is True
        _set(
            session,
            row.id,
            now,
            status=ReturnStatus.APPROVED.value,
            tracking_number=tracking,
            label_pdf=pdf,
            decided_by=row.decided_by or ("auto" if auto else None),
        )
        order_status.milestone(
            uow,
            row.order_id,
            "return.approved",
            now,
            moves_status=False,
            return_id=row.id,
            auto_approved=auto,
            decided_by=row.decided_by or ("auto" if auto else None),
        )
        order_status.milestone(
            uow,
            row.order_id,
            "return.label_created",
            now,
            moves_status=False,
            return_id=row.id,
            tracking_number=tracking,
        )
        return {"tracking_number": tracking}

    def expire(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        row = _process_row(session, ctx)
        moved = session.execute(
            update(returns)
            .where(and_(returns.c.id == row.id, returns.c.status == ReturnStatus.APPROVED.value))
            .values(status=ReturnStatus.EXPIRED.value, closed_at=now, updated_at=now)
        )
        if moved.rowcount == 1:  # type: ignore[attr-defined]
            order_status.milestone(
                uow, row.order_id, "return.expired", now, moves_status=False, return_id=row.id
            )
            order_status.milestone(
                uow,
                row.order_id,
                "return.closed",
                now,
                moves_status=False,
                return_id=row.id,
                outcome="expired",
            )
            _resolve_record(uow, row, "closed: the parcel never arrived", now)
        return None

    def mark_received(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        """After the message: mark received unless ``receive_return`` already did (the message came alone)."""
        row, now = _process_row(uow.session, ctx), self.clock()
        if row.status == ReturnStatus.APPROVED.value:
            _mark_received(uow, row, now, str(ctx.variables.get("received_by") or "") or None)
        return None

    def inspect_line(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        row = _process_row(session, ctx)
        line_no = ctx.variables.get("line_no")
        try:
            disposition = Disposition(str(ctx.variables.get("disposition")))
            resolution = Resolution(str(ctx.variables.get("resolution") or "none"))
        except ValueError as err:
            raise InvalidReturn(f"The inspection of line {line_no} is not valid: {err}") from err
        note = str(ctx.variables.get("note") or "").strip()
        line = session.execute(
            select(return_lines).where(
                and_(return_lines.c.return_id == row.id, return_lines.c.line_no == line_no)
            )
        ).first()
        if line is None:
            raise NotFound(f"Return {row.id} has no line {line_no!r}")
        claimed = session.execute(
            update(return_lines)
            .where(
                and_(
                    return_lines.c.return_id == row.id,
                    return_lines.c.line_no == line_no,
                    return_lines.c.disposition.is_(None),
                )
            )
            .values(disposition=disposition.value, resolution=resolution.value)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise ReturnStateConflict(f"Line {line_no} of return {row.id} was already inspected")
        keeper = StockKeeper(session, now=now)
        reference = (ReferenceType.RETURN, row.id)
        keeper.receive(
            row.warehouse_code,
            line.sku,
            line.quantity,
            reference,
            type=MovementType.RETURN,
            reason=f"RMA {row.id} line {line_no}: {disposition.value}",
        )
        if disposition is not Disposition.RESTOCK:
            keeper.take_unreserved(
                row.warehouse_code,
                line.sku,
                line.quantity,
                reference,
                type=MovementType.ADJUSTMENT,
                reason=f"{disposition.value}: returned goods of RMA {row.id} line {line_no} are not sellable"
                + (f" ({note})" if note else ""),
            )
        order = finance.order_of(session, row.order_id)
        value = Money.from_minor(int(line.unit_price_minor), row.currency) * int(line.quantity)
        changes: dict[str, Any] = {}
        if resolution is Resolution.REFUND and not value.is_zero:
            changes["refund_id"] = finance.request_refund_in(
                uow,
                order_id=order.id,
                lines=[{"line_no": line_no, "quantity": int(line.quantity)}],
                reason=f"Return {row.id}: {row.reason_code}",
                requested_by="return-request",
                now=now,
                return_id=row.id,
            )
        elif resolution is Resolution.REPLACEMENT:
            changes["replacement_order_id"] = place_replacement(
                uow, order, [(line.sku, int(line.quantity))], reference=f"{row.id}-{line_no}", now=now
            )
        elif resolution is Resolution.STORE_CREDIT and not value.is_zero:
            finance.add_store_credit(
                uow,
                order=order,
                amount=value,
                reason=f"Return {row.id} line {line_no}",
                return_id=row.id,
                now=now,
            )
            changes["store_credit_minor"] = value.minor_units
        if changes:
            session.execute(
                update(return_lines)
                .where(and_(return_lines.c.return_id == row.id, return_lines.c.line_no == line_no))
                .values(**changes)
            )
        order_status.milestone(
            uow,
            row.order_id,
            "return.line_inspected",
            now,
            moves_status=False,
            return_id=row.id,
            line_no=line_no,
            sku=line.sku,
            quantity=int(line.quantity),
            disposition=disposition.value,
            resolution=resolution.value,
            note=note,
            warehouse=row.warehouse_code,
            **changes,
        )
        return None

    def close(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        row = _process_row(session, ctx)
        session.execute(
            update(returns)
            .where(and_(returns.c.id == row.id, returns.c.status == ReturnStatus.RECEIVED.value))
            .values(status=ReturnStatus.CLOSED.value, closed_at=now, updated_at=now)
        )
        lines = _lines_public(session, row.id, row.currency)
        order_status.milestone(
            uow,
            row.order_id,
            "return.closed",
            now,
            moves_status=False,
            return_id=row.id,
            outcome="resolved",
            lines=lines,
        )
        summary = ", ".join(f"line {x['line_no']}: {x['disposition']}/{x['resolution']}" for x in lines)
        _resolve_record(uow, row, f"received and inspected ({summary})", now)
        return None


RETURN_HANDLERS = {
    "return.record_review": "record_review",
    "return.issue_label": "issue_label",
    "return.expire": "expire",
    "return.mark_received": "mark_received",
    "return.inspect_line": "inspect_line",
    "return.close": "close",
}
