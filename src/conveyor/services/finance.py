"""Finance: the payment ledger per order, refunds and their process, store credit.

The ledger (``payment_summary``) is read from ``payment_entries``:
authorized, captured, voided, refunded, what is still refundable and the
balance the merchant holds, plus the order's refunds.

``request_refund`` plans a refund against the order (``domain.refunds``),
claims its amount on the order's refund account with one guarded UPDATE
(``claimed + amount <= captured - refunds made outside this module``), stores
the refund and starts the ``refund`` process, all in one transaction. The
process asks finance to approve refunds above the configured threshold
(``refund.record_decision``), then pays out through the payment provider
(``refund.issue``: a provider outage is raised, so the runtime retries it and
opens an incident when retries run out; a refusal fails the refund). A
rejected or failed refund releases its claim. Two refunds racing for the last
refundable amount: the UPDATE of the second waits for the first (PostgreSQL
row lock; SQLite's single writer) and then finds the condition false, so it
gets ``RefundRaceLost`` (409) and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conveyor.adapters.db.finance_tables import refund_accounts, refunds, store_credit_entries
from conveyor.adapters.db.workflow_tables import user_tasks
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.errors import PaymentDeclined
from conveyor.domain.money import Money
from conveyor.domain.payments import PaymentLedger, SandboxPaymentProvider
from conveyor.domain.refunds import (
    HOLDING,
    OrderLineFacts,
    RefundDecisionConflict,
    RefundRaceLost,
    RefundStatus,
    plan_refund,
)
from conveyor.engine.errors import BpmnError
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import InvalidInput, NotFound
from conveyor.services import order_status
from conveyor.services.finance_settings import finance_of, record_in_register, workflow_of
from conveyor.services.stock_keeping import begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.handlers import HandlerRegistry

REFUND_PROCESS = "refund"
_PROVIDER = SandboxPaymentProvider()


def sandbox_provider() -> SandboxPaymentProvider:
    """The provider refunds go through (tests set its failure modes: ``fail_next_refunds``)."""
    return _PROVIDER


# --- reading ----------------------------------------------------------------------------------


def order_of(session: Session, order_id: str, *, field: str = "order_id") -> StoredOrder:
    order = SqlOrders(session).get(order_id, with_lines=True)
    if order is None:
        raise NotFound(
            f"There is no order {order_id!r}; GET /api/v1/orders lists them",
            errors=[{"loc": ["body", field], "path": field, "msg": f"unknown order {order_id!r}"}],
        )
    return order


def ledger_of(session: Session, order: StoredOrder) -> PaymentLedger:
    return SqlOrders(session).payment_ledger(order.id, order.currency)


def _account(session: Session, order_id: str, *, lock: bool = False) -> tuple[int, int]:
    query = select(refund_accounts.c.claimed_minor, refund_accounts.c.issued_minor).where(
        refund_accounts.c.order_id == order_id
    )
    row = session.execute(query.with_for_update() if lock else query).first()
    return (int(row.claimed_minor), int(row.issued_minor)) if row else (0, 0)


def refund_public(row: Any) -> dict[str, Any]:
    m = row._mapping

    def money(minor: Any) -> str:
        return Money.from_minor(int(minor), m["currency"]).as_string()

    return {
        "id": m["id"],
        "order_id": m["order_id"],
        "status": m["status"],
        "amount": money(m["amount_minor"]),
        "shipping": money(m["shipping_minor"]),
        "currency": m["currency"],
        "reason": m["reason"],
        "lines": m["lines"],
        "return_id": m["return_id"],
        "carrier_exception_id": m["carrier_exception_id"],
        "requested_by": m["requested_by"],
        "decided_by": m["decided_by"],
        "decision_reason": m["decision_reason"],
        "process_instance_id": m["process_instance_id"],
        "transaction_id": m["transaction_id"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
        "issued_at": m["issued_at"],
    }


def get_refund(session: Session, refund_id: str) -> dict[str, Any]:
    row = session.execute(select(refunds).where(refunds.c.id == refund_id)).first()
    if row is None:
        raise NotFound(f"There is no refund {refund_id!r}")
    public = refund_public(row)
    if public["decided_by"] is None:  # the task's completer is written after its step's handlers ran
        public["decided_by"] = _completed_by(session, row.process_instance_id, "approve_refund")
    return public


def list_refunds(
    session: Session, *, order_id: str | None = None, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = select(refunds).order_by(refunds.c.created_at, refunds.c.id).limit(limit)
    if order_id is not None:
        query = query.where(refunds.c.order_id == order_id)
    if status is not None:
        query = query.where(refunds.c.status == status)
    return [refund_public(row) for row in session.execute(query)]


def payment_summary(session: Session, order_id: str) -> dict[str, Any]:
    """The order's payment ledger: entries, totals, refundable amount, balance, refunds."""
    order = order_of(session, order_id)
    ledger = ledger_of(session, order)
    claimed, issued = _account(session, order.id)
    pending = Money.from_minor(claimed - issued, order.currency)
    refundable = ledger.refundable - pending
    return {
        "order_id": order.id,
        "currency": order.currency,
        "order_total": order.total.as_string(),
        "authorized": ledger.authorized.as_string(),
        "captured": ledger.captured.as_string(),
        "voided": ledger.voided.as_string(),
        "refunded": ledger.refunded.as_string(),
        "pending_refunds": pending.as_string(),
        "refundable": (refundable if not refundable.is_negative else Money.zero(order.currency)).as_string(),
        "balance": ledger.balance.as_string(),
        "entries": [
            {
                "kind": e.kind.value,
                "amount": e.amount.as_string(),
                "transaction_id": e.transaction_id,
                "at": e.at,
                "reason": e.reason,
            }
            for e in ledger.entries
        ],
        "refunds": list_refunds(session, order_id=order.id),
    }


def store_credit_balance(session: Session, customer_email: str, currency: str) -> Money:
    total = session.execute(
        select(func.coalesce(func.sum(store_credit_entries.c.amount_minor), 0)).where(
            and_(
                store_credit_entries.c.customer_email == customer_email,
                store_credit_entries.c.currency == currency,
            )
        )
    ).scalar_one()
    return Money.from_minor(int(total), currency)


def store_credit_statement(session: Session, customer_email: str) -> dict[str, Any]:
    """A customer's store-credit entries and balance per currency."""
    email = customer_email.strip().lower()
    rows = list(
        session.execute(
            select(store_credit_entries)
            .where(store_credit_entries.c.customer_email == email)
            .order_by(store_credit_entries.c.id)
        )
    )
    balances: dict[str, int] = {}
    entries = []
    for row in rows:
        balances[row.currency] = balances.get(row.currency, 0) + int(row.amount_minor)
        entries.append({
            "amount": Money.from_minor(int(row.amount_minor), row.currency).as_string(),
            "currency": row.currency, "order_id": row.order_id, "return_id": row.return_id,
            "reason": row.reason, "at": row.at,
        })  # fmt: skip
    return {
        "customer_email": email,
        "balances": {c: Money.from_minor(v, c).as_string() for c, v in sorted(balances.items())},
        "entries": entries,
    }


def add_store_credit(
    uow: SqlUnitOfWork,
    *,
    order: StoredOrder,
    amount: Money,
    reason: str,
    return_id: str | None,
    now: datetime,
) -> None:
    """A store-credit ledger entry for the order's customer, and ``store_credit.issued``."""
    email = str(order.customer.get("email") or "").strip().lower()
    if not email:
        raise InvalidInput(
            f"Order {order.id} has no customer email to hold store credit; choose another resolution",
            errors=[{"loc": ["resolution"], "path": "resolution", "msg": "the customer has no email"}],
        )
    uow.session.execute(
        insert(store_credit_entries).values(
            customer_email=email,
            order_id=order.id,
            return_id=return_id,
            amount_minor=amount.minor_units,
            currency=amount.currency,
            reason=reason,
            at=now,
        )
    )
    order_status.milestone(
        uow,
        order.id,
        "store_credit.issued",
        now,
        moves_status=False,
        return_id=return_id,
        customer_email=email,
        amount=amount.as_string(),
        currency=amount.currency,
        balance=store_credit_balance(uow.session, email, amount.currency).as_string(),
    )


# --- requesting -------------------------------------------------------------------------------


def _refunded_so_far(session: Session, order_id: str) -> tuple[dict[int, int], int]:
    """Units per line and shipping (minor units) given back by the order's holding refunds."""
    per_line: dict[int, int] = {}
    shipping = 0
    holding = [status.value for status in HOLDING]
    rows = session.execute(
        select(refunds.c.lines, refunds.c.shipping_minor).where(
            and_(refunds.c.order_id == order_id, refunds.c.status.in_(holding))
        )
    )
    for row in rows:
        shipping += int(row.shipping_minor)
        for line in row.lines or []:
            per_line[int(line["line_no"])] = per_line.get(int(line["line_no"]), 0) + int(line["quantity"])
    return per_line, shipping


def _ensure_account(session: Session, order: StoredOrder, now: datetime) -> None:
    exists = session.execute(
        select(refund_accounts.c.order_id).where(refund_accounts.c.order_id == order.id)
    ).first()
    if exists is not None:
        return
    try:
        with session.begin_nested():  # a racing first refund may create it at the same moment
            session.execute(
                insert(refund_accounts).values(
                    order_id=order.id,
                    currency=order.currency,
                    claimed_minor=0,
                    issued_minor=0,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass


def _claim(session: Session, order_id: str, amount_minor: int, ceiling_minor: int, now: datetime) -> bool:
    """The guard: one UPDATE that succeeds only while the amount still fits. Returns whether it did.

    ``ceiling_minor`` is what was captured minus refunds paid outside this module. Under a race the
    UPDATE of the second refund waits for the first one's row lock (PostgreSQL) or write lock (SQLite)
    and then re-reads ``claimed_minor``, so both can never fit together.
    """
    result = session.execute(
        update(refund_accounts)
        .where(
            and_(
                refund_accounts.c.order_id == order_id,
                refund_accounts.c.claimed_minor + amount_minor <= ceiling_minor,
            )
        )
        .values(claimed_minor=refund_accounts.c.claimed_minor + amount_minor, updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _release(session: Session, order_id: str, amount_minor: int, now: datetime) -> None:
    session.execute(
        update(refund_accounts)
        .where(refund_accounts.c.order_id == order_id)
        .values(claimed_minor=refund_accounts.c.claimed_minor - amount_minor, updated_at=now)
    )


def new_refund_id() -> str:
    return f"RF-{uuid.uuid4().hex[:12].upper()}"


def request_refund_in(
    uow: SqlUnitOfWork,
    *,
    order_id: str,
    lines: Sequence[Mapping[str, Any]] = (),
    shipping: Any = None,
    amount: Any = None,
    reason: str,
    requested_by: str | None,
    now: datetime,
    return_id: str | None = None,
    carrier_exception_id: str | None = None,
) -> str:
    """Plan, claim, store and start a refund in the open unit of work; returns its id."""
    session = uow.session
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput(
            "A refund needs a reason",
            errors=[{"loc": ["body", "reason"], "path": "reason", "msg": "is required"}],
        )
    order = order_of(session, order_id)
    _ensure_account(session, order, now)
    # the account first, locked: the ledger read after it can only be newer, never older (a concurrent
    # refund's issue lands in both together), so the ceiling below is never overestimated
    claimed, issued = _account(session, order.id, lock=True)
    ledger = ledger_of(session, order)
    ceiling = ledger.captured - (ledger.refunded - Money.from_minor(issued, order.currency))
    refunded_units, shipping_refunded = _refunded_so_far(session, order.id)
    plan = plan_refund(
        currency=order.currency,
        lines=list(lines),
        shipping=shipping,
        amount=amount,
        order_lines=[
            OrderLineFacts(
                line.line_no,
                line.sku,
                line.quantity,
                Money.from_minor(line.unit_price_minor, order.currency),
                refunded_units.get(line.line_no, 0),
            )
            for line in order.lines
        ],
        shipping_charged=Money.from_minor(order.shipping_minor, order.currency),
        shipping_refunded=Money.from_minor(shipping_refunded, order.currency),
        ceiling=ceiling,
        claimed=Money.from_minor(claimed, order.currency),
    )
    if not _claim(session, order.id, plan.total.minor_units, ceiling.minor_units, now):
        raise RefundRaceLost(
            f"Another refund of order {order.id} took the refundable amount first; "
            f"{plan.total} no longer fits (GET /api/v1/orders/{order.id}/payments shows what is left)",
            order_id=order.id,
            amount=plan.total.as_string(),
        )
    settings = finance_of(session)
    needs_approval = settings.needs_approval(plan.total, order.channel)
    refund_id = new_refund_id()
    status = RefundStatus.AWAITING_APPROVAL if needs_approval else RefundStatus.APPROVED
    session.execute(
        insert(refunds).values(
            id=refund_id,
            order_id=order.id,
            status=status.value,
            amount_minor=plan.total.minor_units,
            shipping_minor=plan.shipping.minor_units,
            currency=order.currency,
            reason=reason.strip(),
            lines=[line.as_dict() for line in plan.lines],
            return_id=return_id,
            carrier_exception_id=carrier_exception_id,
            requested_by=requested_by,
            created_at=now,
            updated_at=now,
        )
    )
    order_status.milestone(
        uow,
        order.id,
        "refund.requested",
        now,
        moves_status=False,
        refund_id=refund_id,
        amount=plan.total.as_string(),
        currency=order.currency,
        needs_approval=needs_approval,
        reason=reason.strip(),
        return_id=return_id,
        carrier_exception_id=carrier_exception_id,
    )
    if return_id is None and carrier_exception_id is None:  # those are filed by their own flows
        record_in_register(
            uow,
            type="refund.requested",
            summary=f"Refund of {plan.total} requested for order {order.id}",
            order_id=order.id,
            reason_text=reason.strip(),
            now=now,
            details={"refund_id": refund_id, "amount": plan.total.as_string(), "currency": order.currency},
        )
    started = workflow_of(uow).start(
        REFUND_PROCESS,
        {
            "refund_id": refund_id,
            "order_id": order.id,
            "amount": plan.total.as_string(),
            "needs_approval": needs_approval,
        },
        business_key=refund_id,
        uow=uow,
    )
    session.execute(update(refunds).where(refunds.c.id == refund_id).values(process_instance_id=started.id))
    return refund_id


def request_refund(uow: SqlUnitOfWork, *, now: datetime | None = None, **request: Any) -> dict[str, Any]:
    """``request_refund_in`` in its own transaction; returns the refund as stored after its process ran."""
    with uow:
        begin_writing(uow.session)
        refund_id = request_refund_in(uow, now=now or datetime.now(UTC), **request)
        uow.commit()
        uow.session.rollback()
        return get_refund(uow.session, refund_id)


def open_task(session: Session, instance_id: str | None, node: str, what: str) -> dict[str, Any]:
    """The open user task at ``node`` of the instance, or a 409 naming what is not waiting."""
    row = None
    if instance_id is not None:
        row = session.execute(
            select(user_tasks.c.id, user_tasks.c.candidate_groups)
            .where(
                and_(
                    user_tasks.c.instance_id == instance_id,
                    user_tasks.c.node_id == node,
                    user_tasks.c.state.in_(("created", "claimed")),
                )
            )
            .order_by(user_tasks.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        raise RefundDecisionConflict(f"{what} is not waiting for this decision")
    return {"id": int(row.id), "candidate_groups": list(row.candidate_groups or [])}


def decision_form(approved: Any, reason: Any) -> dict[str, Any]:
    """The approve/reject form, checked before the task is completed: a rejection names its reason."""
    if not isinstance(approved, bool):
        raise InvalidInput(
            "approved must be true or false",
            errors=[{"loc": ["body", "approved"], "path": "approved", "msg": "is required"}],
        )
    text = reason.strip() if isinstance(reason, str) else ""
    if not approved and not text:
        raise InvalidInput(
            "A rejection needs a reason",
            errors=[{"loc": ["body", "reason"], "path": "reason", "msg": "is required when rejecting"}],
        )
    return {"approved": approved, "reason": text}


# --- the refund process's handlers ------------------------------------------------------------


def _refund_row(session: Session, ctx: HandlerContext) -> Any:
    refund_id = str(ctx.variables.get("refund_id") or "")
    row = session.execute(select(refunds).where(refunds.c.id == refund_id)).first()
    if row is None:
        raise NotFound(f"The process variable refund_id ({refund_id!r}) names no refund")
    return row


def _completed_by(session: Session, instance_id: str | None, node: str) -> str | None:
    if instance_id is None:
        return None
    return session.execute(
        select(user_tasks.c.completed_by)
        .where(
            and_(
                user_tasks.c.instance_id == instance_id,
                user_tasks.c.node_id == node,
                user_tasks.c.state == "completed",
            )
        )
        .order_by(user_tasks.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _set_status(session: Session, refund_id: str, now: datetime, **values: Any) -> None:
    session.execute(update(refunds).where(refunds.c.id == refund_id).values(updated_at=now, **values))


class RefundHandlers:
    def __init__(self, clock: Any = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def record_decision(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any]:
        row, now = _refund_row(uow.session, ctx), self.clock()
        approved = ctx.variables.get("approved") is True
        reason = str(ctx.variables.get("reason") or "").strip()
        if not approved and not reason:  # completed from the inbox without one: the task opens again
            raise BpmnError("decision_incomplete", "A rejected refund needs a reason")
        by = _completed_by(uow.session, row.process_instance_id, "approve_refund")
        if approved:
            _set_status(
                uow.session,
                row.id,
                now,
                status=RefundStatus.APPROVED.value,
                decided_by=by,
                decision_reason=reason or None,
            )
            event = "refund.approved"
        else:
            _set_status(
                uow.session,
                row.id,
                now,
                status=RefundStatus.REJECTED.value,
                decided_by=by,
                decision_reason=reason,
            )
            _release(uow.session, row.order_id, int(row.amount_minor), now)
            event = "refund.rejected"
        order_status.milestone(
            uow,
            row.order_id,
            event,
            now,
            moves_status=False,
            refund_id=row.id,
            amount=Money.from_minor(row.amount_minor, row.currency).as_string(),
            decided_by=by,
            reason=reason,
        )
        return {"approved": approved}

    def issue(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any]:
        session, now = uow.session, self.clock()
        row = _refund_row(session, ctx)
        if row.status == RefundStatus.ISSUED.value:
            return {"issued": True}  # paid out by an earlier attempt of this step
        order = order_of(session, row.order_id)
        ledger = ledger_of(session, order)
        amount = Money.from_minor(int(row.amount_minor), row.currency)
        try:
            after = _PROVIDER.refund(
                ledger, amount=amount, at=now, reason=row.reason, token=order.payment_token
            )
        except PaymentDeclined as err:
            _set_status(
                session,
                row.id,
                now,
                status=RefundStatus.FAILED.value,
                decision_reason=f"refused by the provider: {err.extra.get('reason')}",
            )
            _release(session, row.order_id, int(row.amount_minor), now)
            order_status.milestone(
                uow,
                row.order_id,
                "refund.failed",
                now,
                moves_status=False,
                refund_id=row.id,
                amount=amount.as_string(),
                reason=err.extra.get("reason"),
            )
            record_in_register(
                uow,
                type="refund.failed",
                summary=f"The provider refused refund {row.id} of {amount}",
                order_id=row.order_id,
                reason_text=str(err.detail),
                now=now,
                details={"refund_id": row.id},
            )
            return {"issued": False}
        entry = after.entries[-1]
        SqlOrders(session).add_payment_entry(
            order.id,
            kind=entry.kind.value,
            amount_minor=entry.amount.minor_units,
            currency=entry.amount.currency,
            transaction_id=entry.transaction_id,
            idempotency_key=f"refund:{row.id}",
            at=now,
            reason=row.reason,
        )
        moved = session.execute(
            update(refund_accounts)
            .where(
                and_(
                    refund_accounts.c.order_id == order.id,
                    refund_accounts.c.issued_minor + amount.minor_units <= refund_accounts.c.claimed_minor,
                )
            )
            .values(issued_minor=refund_accounts.c.issued_minor + amount.minor_units, updated_at=now)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise RefundRaceLost(f"Refund {row.id} is not claimed on order {order.id}'s refund account")
        _set_status(
            session,
            row.id,
            now,
            status=RefundStatus.ISSUED.value,
            transaction_id=entry.transaction_id,
            issued_at=now,
        )
        order_status.milestone(
            uow,
            order.id,
            "refund.issued",
            now,
            moves_status=False,
            refund_id=row.id,
            amount=amount.as_string(),
            currency=amount.currency,
            transaction_id=entry.transaction_id,
            return_id=row.return_id,
            balance=(after.balance).as_string(),
        )
        return {"issued": True}


FINANCE_HANDLERS = {"refund.record_decision": "record_decision", "refund.issue": "issue"}


def register_finance_handlers(registry: HandlerRegistry, *, clock: Any = None) -> RefundHandlers:
    handlers = RefundHandlers(clock)
    for task_type, method in FINANCE_HANDLERS.items():
        registry.register(task_type, getattr(handlers, method))
    return handlers
