"""Carrier exceptions: a support case per carrier problem, and each carrier's performance record.

A tracking event ``exception`` (``POST /shipments/{id}/tracking``; its
``details.code`` says lost or damaged per the ``carrier_exceptions``
settings), a report through ``POST /carrier-exceptions`` (a late delivery
chased by support, a parcel the carrier declared lost) or any process
throwing the message ``carrier.exception_reported`` starts the
``carrier-exception`` process. Its handlers:

- ``carrier_exception.record``: the case row, the carrier's performance
  counters (exceptions, late, lost, damaged: guarded increments of one row per
  carrier) and an exception-register record (category carrier), in the step's
  transaction;
- ``carrier_exception.apply_decision`` after the support task: ``reship`` places
  a replacement order for the shipment's goods through the normal fulfilment
  process, ``refund`` refunds their value through the refund process, ``wait``
  waits ``wait_days`` and asks again unless the parcel was delivered meanwhile
  (``carrier_exception.check_delivery``).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conveyor.adapters.db.finance_tables import (
    CARRIER_EXCEPTION_KINDS,
    carrier_exceptions,
    carrier_performance,
)
from conveyor.adapters.db.inventory_tables import stock_movements
from conveyor.adapters.db.order_tables import shipments
from conveyor.adapters.repositories.orders import SqlOrders, StoredShipment
from conveyor.domain.inventory import MovementType, ReferenceType
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.services import exceptions as register
from conveyor.services import finance, order_status
from conveyor.services.finance_settings import carrier_exceptions_of, record_in_register, workflow_of
from conveyor.services.replacements import place_replacement
from conveyor.services.stock_keeping import begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

REPORTED_MESSAGE = "carrier.exception_reported"
DECISIONS = ("reship", "refund", "wait")
#: exception-register type per kind
REGISTER_TYPES = {
    "exception": "carrier.exception",
    "lost": "shipment.lost",
    "damaged": "shipment.damaged",
    "late": "delivery.late",
}


def new_case_id() -> str:
    return f"CX-{uuid.uuid4().hex[:10].upper()}"


# --- reporting ----------------------------------------------------------------------------------


def report_from_tracking(
    uow: SqlUnitOfWork,
    workflow: Any,
    shipment: StoredShipment,
    *,
    at: datetime,
    location: str,
    details: Mapping[str, Any] | None,
) -> str:
    """A tracking ``exception`` event (inside ``shipping.record_tracking``'s transaction): start the case."""
    code = str((details or {}).get("code") or (details or {}).get("reason") or "")
    kind = carrier_exceptions_of(uow.session).kind_of(code)
    case_id = new_case_id()
    workflow.correlate(
        REPORTED_MESSAGE,
        case_id,
        {
            "carrier_exception_id": case_id,
            "order_id": shipment.order_id,
            "shipment_id": shipment.id,
            "carrier": shipment.carrier,
            "kind": kind,
            "occurred_at": at.isoformat(),
            "location": location,
            "code": code,
            "details": dict(details or {}),
        },
        uow=uow,
    )
    return case_id


def report(
    uow: SqlUnitOfWork,
    *,
    order_id: Any,
    shipment_id: Any = None,
    kind: Any,
    note: Any = None,
    reported_by: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A case reported by a person or another system (``POST /carrier-exceptions``)."""
    now = now or datetime.now(UTC)
    errors = []
    if kind not in CARRIER_EXCEPTION_KINDS:
        errors.append(
            {
                "loc": ["body", "kind"],
                "path": "kind",
                "msg": f"must be one of {', '.join(CARRIER_EXCEPTION_KINDS)}",
            }
        )
    if not isinstance(order_id, str) or not order_id:
        errors.append({"loc": ["body", "order_id"], "path": "order_id", "msg": "is required"})
    if errors:
        raise InvalidInput("The carrier exception report is not valid", errors=errors)
    with uow:
        begin_writing(uow.session)
        order = finance.order_of(uow.session, order_id)
        repo = SqlOrders(uow.session)
        if shipment_id is not None:
            shipment = repo.shipment(str(shipment_id))
            if shipment is None or shipment.order_id != order.id:
                raise NotFound(
                    f"Order {order.id} has no shipment {shipment_id!r}",
                    errors=[
                        {
                            "loc": ["body", "shipment_id"],
                            "path": "shipment_id",
                            "msg": "not a shipment of the order",
                        }
                    ],
                )
        else:
            handed = [s for s in repo.shipments(order_id=order.id) if s.handed_over_at is not None]
            if not handed:
                raise Conflict(
                    f"Order {order.id} has no shipment handed to a carrier yet",
                    errors=[
                        {
                            "loc": ["body", "order_id"],
                            "path": "order_id",
                            "msg": "nothing was handed to a carrier",
                        }
                    ],
                )
            shipment = handed[-1]
        case_id = new_case_id()
        workflow_of(uow).correlate(
            REPORTED_MESSAGE,
            case_id,
            {
                "carrier_exception_id": case_id,
                "order_id": order.id,
                "shipment_id": shipment.id,
                "carrier": shipment.carrier,
                "kind": kind,
                "occurred_at": now.isoformat(),
                "location": "",
                "code": "",
                "details": {"note": note or "", "reported_by": reported_by or ""},
            },
            uow=uow,
        )
        uow.commit()
        uow.session.rollback()
        return get_case(uow.session, case_id)


# --- reading ----------------------------------------------------------------------------------


def case_public(row: Any) -> dict[str, Any]:
    m = dict(row._mapping)
    m["carrier"] = m.pop("carrier_code")
    return m


def get_case(session: Session, case_id: str) -> dict[str, Any]:
    row = session.execute(select(carrier_exceptions).where(carrier_exceptions.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"There is no carrier exception {case_id!r}")
    return case_public(row)


def list_cases(
    session: Session,
    *,
    order_id: str | None = None,
    carrier: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    query = select(carrier_exceptions).order_by(carrier_exceptions.c.created_at, carrier_exceptions.c.id)
    for column, value in (
        (carrier_exceptions.c.order_id, order_id),
        (carrier_exceptions.c.carrier_code, carrier),
        (carrier_exceptions.c.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    return [case_public(row) for row in session.execute(query.limit(limit))]


def performance(session: Session, carrier_code: str) -> dict[str, Any]:
    """Shipments handed to the carrier, its exceptions, late, lost and damaged parcels, and their rates."""
    from conveyor.adapters.repositories.configuration import SqlConfiguration

    if SqlConfiguration(session).carrier(carrier_code) is None:
        raise NotFound(f"There is no carrier {carrier_code!r}; GET /api/v1/carriers lists them")
    shipped = int(
        session.execute(
            select(func.count())
            .select_from(shipments)
            .where(and_(shipments.c.carrier_code == carrier_code, shipments.c.handed_over_at.is_not(None)))
        ).scalar_one()
    )
    delivered = int(
        session.execute(
            select(func.count())
            .select_from(shipments)
            .where(and_(shipments.c.carrier_code == carrier_code, shipments.c.delivered_at.is_not(None)))
        ).scalar_one()
    )
    row = session.execute(
        select(carrier_performance).where(carrier_performance.c.carrier_code == carrier_code)
    ).first()
    counts = {k: int(getattr(row, k)) if row else 0 for k in ("exceptions", "late", "lost", "damaged")}

    def rate(n: int) -> float | None:
        return round(n / shipped, 4) if shipped else None

    return {
        "carrier": carrier_code,
        "shipments": shipped,
        "delivered": delivered,
        **counts,
        "exception_rate": rate(counts["exceptions"]),
        "late_rate": rate(counts["late"]),
        "lost_rate": rate(counts["lost"]),
        "damaged_rate": rate(counts["damaged"]),
        "updated_at": row.updated_at if row else None,
    }


# --- the process's handlers -------------------------------------------------------------------


def _count(session: Session, carrier: str, kind: str, now: datetime) -> None:
    """One more exception (and one more of its kind) on the carrier's record: guarded increments."""
    exists = session.execute(
        select(carrier_performance.c.carrier_code).where(carrier_performance.c.carrier_code == carrier)
    ).first()
    if exists is None:
        try:
            with session.begin_nested():
                session.execute(
                    insert(carrier_performance).values(
                        carrier_code=carrier, exceptions=0, late=0, lost=0, damaged=0, updated_at=now
                    )
                )
        except IntegrityError:
            pass
    values: dict[str, Any] = {"exceptions": carrier_performance.c.exceptions + 1, "updated_at": now}
    if kind in ("late", "lost", "damaged"):
        values[kind] = carrier_performance.c[kind] + 1
    session.execute(
        update(carrier_performance).where(carrier_performance.c.carrier_code == carrier).values(**values)
    )


def _case(session: Session, ctx: HandlerContext) -> Any:
    case_id = str(ctx.variables.get("carrier_exception_id") or "")
    row = session.execute(select(carrier_exceptions).where(carrier_exceptions.c.id == case_id)).first()
    if row is None:
        raise NotFound(f"The process variable carrier_exception_id ({case_id!r}) names no carrier exception")
    return row


def _shipment_goods(session: Session, shipment_id: str | None) -> list[tuple[str, int]]:
    if shipment_id is None:
        return []
    rows = session.execute(
        select(stock_movements.c.sku, func.sum(stock_movements.c.quantity))
        .where(
            and_(
                stock_movements.c.type == MovementType.SHIPMENT.value,
                stock_movements.c.reference_type == ReferenceType.SHIPMENT.value,
                stock_movements.c.reference_id == shipment_id,
            )
        )
        .group_by(stock_movements.c.sku)
        .order_by(stock_movements.c.sku)
    )
    return [(sku, int(units)) for sku, units in rows]


class CarrierExceptionHandlers:
    def __init__(self, clock: Any = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def report_late(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        """For an order process's late-delivery path: open a ``late`` case for the order's last shipment.

        Bind a service task to ``carrier_exception.report_late`` after the delivery timer; a shipment
        with an open late case is not reported twice.
        """
        session, now = uow.session, self.clock()
        order = finance.order_of(session, str(ctx.variables.get("order_id") or ""))
        handed = [s for s in SqlOrders(session).shipments(order_id=order.id) if s.handed_over_at is not None]
        late = [s for s in handed if s.delivered_at is None] or handed
        if not late:
            return {"carrier_exception_id": None}
        shipment = late[-1]
        open_case = session.execute(
            select(carrier_exceptions.c.id).where(
                and_(
                    carrier_exceptions.c.shipment_id == shipment.id,
                    carrier_exceptions.c.kind == "late",
                    carrier_exceptions.c.status.in_(("open", "waiting")),
                )
            )
        ).first()
        if open_case is not None:
            return {"carrier_exception_id": open_case.id}
        case_id = new_case_id()
        workflow_of(uow).correlate(
            REPORTED_MESSAGE,
            case_id,
            {
                "carrier_exception_id": case_id, "order_id": order.id, "shipment_id": shipment.id,
                "carrier": shipment.carrier, "kind": "late", "occurred_at": now.isoformat(), "location": "",
                "code": "", "details": {"note": "the delivery timer of the order's process fired"},
            },
            uow=uow,
        )  # fmt: skip
        return {"carrier_exception_id": case_id}

    def record(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now, v = uow.session, self.clock(), ctx.variables
        case_id = str(v.get("carrier_exception_id") or "") or new_case_id()
        kind = str(v.get("kind") or "exception")
        if kind not in CARRIER_EXCEPTION_KINDS:
            kind = "exception"
        order = finance.order_of(session, str(v.get("order_id") or ""))
        shipment = SqlOrders(session).shipment(str(v["shipment_id"])) if v.get("shipment_id") else None
        carrier = shipment.carrier if shipment is not None else (str(v.get("carrier") or "") or None)
        raw_at = v.get("occurred_at")
        occurred = datetime.fromisoformat(raw_at) if isinstance(raw_at, str) and raw_at else now
        details = {
            "code": v.get("code") or "",
            "location": v.get("location") or "",
            **dict(v.get("details") or {}),
        }
        session.execute(
            insert(carrier_exceptions).values(
                id=case_id,
                order_id=order.id,
                shipment_id=shipment.id if shipment else None,
                carrier_code=carrier,
                kind=kind,
                status="open",
                occurred_at=occurred,
                details=details,
                process_instance_id=ctx.instance_id,
                created_at=now,
            )
        )
        if carrier:
            _count(session, carrier, kind, now)
        exception_id = record_in_register(
            uow,
            type=REGISTER_TYPES[kind],
            category="carrier",
            summary=f"Carrier {carrier or 'unknown'}: {kind} on shipment {shipment.id if shipment else '-'} "
            f"of order {order.id}",
            order_id=order.id,
            carrier_code=carrier,
            process_instance_id=ctx.instance_id,
            reason_code=str(v.get("code") or "") or None,
            reason_text=str(details.get("note") or "") or None,
            details={"carrier_exception_id": case_id, **details},
            now=now,
        )
        session.execute(
            update(carrier_exceptions)
            .where(carrier_exceptions.c.id == case_id)
            .values(exception_id=exception_id)
        )
        order_status.milestone(
            uow,
            order.id,
            "carrier_exception.opened",
            now,
            moves_status=False,
            carrier_exception_id=case_id,
            shipment_id=shipment.id if shipment else None,
            carrier=carrier,
            kind=kind,
        )
        return {"carrier_exception_id": case_id}

    def apply_decision(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        case = _case(session, ctx)
        decision = str(ctx.variables.get("decision") or "")
        if decision not in DECISIONS:
            raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}")
        order = finance.order_of(session, case.order_id)
        goods = _shipment_goods(session, case.shipment_id)
        changes: dict[str, Any] = {
            "decision": decision,
            "decided_at": now,
            "decided_by": finance._completed_by(session, ctx.instance_id, "decide_carrier_exception"),
        }
        result: dict[str, Any] = {"decision": decision}
        if decision == "reship":
            if not goods:
                raise Conflict(f"Shipment {case.shipment_id} shipped nothing to reship")
            changes["replacement_order_id"] = place_replacement(uow, order, goods, reference=case.id, now=now)
            changes["status"] = "reshipped"
        elif decision == "refund":
            units = dict(goods)
            lines = []
            for line in order.lines:
                take = min(units.get(line.sku, 0), line.quantity)
                if take:
                    lines.append({"line_no": line.line_no, "quantity": take})
                    units[line.sku] -= take
            if not lines:
                raise Conflict(f"Shipment {case.shipment_id} shipped nothing to refund")
            changes["refund_id"] = finance.request_refund_in(
                uow,
                order_id=order.id,
                lines=lines,
                reason=f"Carrier exception {case.id}: {case.kind}",
                requested_by="carrier-exception",
                now=now,
                carrier_exception_id=case.id,
            )
            changes["status"] = "refunded"
        else:
            days = ctx.variables.get("wait_days") or 3
            result["wait_duration"] = f"P{int(days)}D"
            changes["status"] = "waiting"
        session.execute(
            update(carrier_exceptions).where(carrier_exceptions.c.id == case.id).values(**changes)
        )
        order_status.milestone(
            uow,
            order.id,
            "carrier_exception.decided",
            now,
            moves_status=False,
            carrier_exception_id=case.id,
            decision=decision,
            **{k: changes[k] for k in ("replacement_order_id", "refund_id") if k in changes},
        )
        if decision != "wait" and case.exception_id is not None:
            self._resolve(
                uow,
                case,
                f"{decision}: " + str(changes.get("replacement_order_id") or changes.get("refund_id")),
                now,
            )
        return result

    def check_delivery(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        session, now = uow.session, self.clock()
        case = _case(session, ctx)
        shipment = SqlOrders(session).shipment(case.shipment_id) if case.shipment_id else None
        delivered = shipment is not None and shipment.delivered_at is not None
        if delivered:
            session.execute(
                update(carrier_exceptions)
                .where(carrier_exceptions.c.id == case.id)
                .values(status="waiting", decision="wait", decided_at=now)
            )
            order_status.milestone(
                uow,
                case.order_id,
                "carrier_exception.closed",
                now,
                moves_status=False,
                carrier_exception_id=case.id,
                outcome="delivered",
            )
            self._resolve(uow, case, "the parcel was delivered after all", now)
        return {"delivered": delivered}

    @staticmethod
    def _resolve(uow: SqlUnitOfWork, case: Any, resolution: str, now: datetime) -> None:
        if case.exception_id is None:
            return
        with contextlib.suppress(Conflict):  # resolved by a person in the register meanwhile
            register.resolve_exception(uow, int(case.exception_id), resolution=resolution, now=now)


CARRIER_EXCEPTION_HANDLERS = {
    "carrier_exception.report_late": "report_late",
    "carrier_exception.record": "record",
    "carrier_exception.apply_decision": "apply_decision",
    "carrier_exception.check_delivery": "check_delivery",
}
