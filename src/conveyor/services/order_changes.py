"""Changes to a placed order: cancellation by BPMN compensation, and a new payment method.

**Cancellation** (``request_cancellation``, ``POST /orders/{id}/cancel``) is
allowed until hand-over. It locks the order, checks the rule
(``conveyor.domain.order_changes``), writes the request to the order's change
history and sends the message ``order.cancel_requested`` (key: the order id)
to its ``order-fulfillment`` instance, all in one transaction. The model's
cancellation event sub-process throws compensation: the compensation
handlers below undo the completed activities newest first (void the label,
cancel the shipments, cancel the pick lists, release the reservations, void
or refund the payment), then ``order.cancel`` records the cancellation. Every
event they record (``shipment.label_voided``, ``pick_list.cancelled``,
``inventory.released``, ``payment.voided``, ``order.cancelled``...) goes to the
outbox of that same transaction. When any step of it fails (an incident opens,
or the order is not cancelled at the end) the whole transaction is rolled
back: nothing changed, no event exists, and the caller gets a 409 naming the
step.

**A new payment method** (``submit_payment_method``, ``POST
/orders/{id}/payment-method``) is only possible while the order waits at
``wait_for_payment_method`` after a decline: the token is stored and the
message ``order.payment_method_updated`` makes the model verify the payment
again.

The compensation handlers are idempotent (each undoes what is still there to
undo), so a compensation that runs twice, or after the ``order.cancel`` safety
net, changes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.order_change_tables import order_change_settings, order_changes, voided_labels
from conveyor.adapters.db.order_tables import orders, pick_lists, shipments
from conveyor.adapters.db.workflow_tables import incidents
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.order_changes import (
    CancellationFailed,
    OrderChangeSettings,
    OrderState,
    PaymentMethodNotAwaited,
    check_cancellable,
    clean_reason,
    read_order_change_settings,
)
from conveyor.domain.problems import Problems
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import InvalidInput, NotFound
from conveyor.services import order_status
from conveyor.services.exceptions import record_exception
from conveyor.services.stock_keeping import StockKeeper, begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

Clock = Callable[[], datetime]
Result = Mapping[str, Any] | None

CANCEL_MESSAGE = "order.cancel_requested"
PAYMENT_METHOD_MESSAGE = "order.payment_method_updated"
PAYMENT_METHOD_NODE = "wait_for_payment_method"
SETTINGS_SECTION = "order_changes"


# --- settings -------------------------------------------------------------------------------------


def settings_of(session: Session) -> OrderChangeSettings:
    """The applied ``order_changes`` configuration section, or its defaults."""
    row = session.execute(
        select(order_change_settings.c.document).where(order_change_settings.c.section == SETTINGS_SECTION)
    ).first()
    if row is None:
        return OrderChangeSettings()
    problems = Problems()
    found = read_order_change_settings(row[0], (SETTINGS_SECTION,), problems)
    return found or OrderChangeSettings()


def stored_settings_document(session: Session) -> Mapping[str, Any] | None:
    """The section as applied (None before any ``conveyor config apply`` carried it)."""
    row = session.execute(
        select(order_change_settings.c.document).where(order_change_settings.c.section == SETTINGS_SECTION)
    ).first()
    return dict(row[0]) if row is not None else None


def save_settings(session: Session, document: Mapping[str, Any], at: datetime) -> None:
    """Store the (validated) section as given (``conveyor config apply``); replaces what was there."""
    table = order_change_settings
    session.execute(delete(table).where(table.c.section == SETTINGS_SECTION))
    session.execute(insert(table).values(section=SETTINGS_SECTION, document=dict(document), updated_at=at))


# --- reading and locking ---------------------------------------------------------------------------


def lock_order(uow: SqlUnitOfWork, order_id: str) -> StoredOrder:
    """The order, its row locked for the transaction (PostgreSQL ``FOR UPDATE``; SQLite: the write lock).

    Every change to a running order (cancellation, pick confirmation, address,
    edit) takes this lock first, so two of them on one order run one after the
    other and the second sees what the first did.
    """
    begin_writing(uow.session)
    found = uow.session.execute(select(orders.c.id).where(orders.c.id == order_id).with_for_update()).first()
    order = SqlOrders(uow.session).get(order_id, with_lines=True) if found else None
    if order is None:
        raise NotFound(f"There is no order {order_id!r}; GET /api/v1/orders lists them", order_id=order_id)
    return order


def lock_free_order(uow: SqlUnitOfWork, order_id: str) -> StoredOrder:
    """The order without locking it (reads); ``NotFound`` naming it when there is none."""
    order = SqlOrders(uow.session).get(order_id, with_lines=False)
    if order is None:
        raise NotFound(f"There is no order {order_id!r}; GET /api/v1/orders lists them", order_id=order_id)
    return order


def order_state(uow: SqlUnitOfWork, order: StoredOrder) -> OrderState:
    rows = uow.session.execute(
        select(shipments.c.status, shipments.c.label_pdf.isnot(None)).where(shipments.c.order_id == order.id)
    ).all()
    picked = uow.session.execute(
        select(func.count())
        .select_from(pick_lists)
        .where(pick_lists.c.order_id == order.id, pick_lists.c.status.in_(("picked", "short_picked")))
    ).scalar_one()
    return OrderState(
        order.id,
        order.status,
        tuple(row[0] for row in rows),
        has_label=any(bool(row[1]) for row in rows),
        picking_started=bool(picked),
    )


def record_change(
    uow: SqlUnitOfWork,
    order_id: str,
    kind: str,
    *,
    outcome: str,
    reason: str,
    by: str | None,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append a row to the order's change history (same transaction as the change)."""
    query = insert(order_changes).values(
        order_id=order_id,
        kind=kind,
        outcome=outcome,
        reason=reason[:500],
        requested_by=by,
        details=dict(details or {}),
        created_at=at,
    )
    return int(uow.session.execute(query.returning(order_changes.c.id)).scalar_one())


def changes_of(session: Any, order_id: str) -> list[dict[str, Any]]:
    c = order_changes.c
    query = select(c.id, c.kind, c.outcome, c.reason, c.requested_by, c.details, c.created_at)
    return [dict(row._mapping) for row in session.execute(query.where(c.order_id == order_id).order_by(c.id))]


def _open_incidents(uow: SqlUnitOfWork, instance_id: str) -> int:
    query = select(func.count()).select_from(incidents)
    return int(
        uow.session.execute(
            query.where(incidents.c.instance_id == instance_id, incidents.c.state == "open")
        ).scalar_one()
    )


def _newest_incident(uow: SqlUnitOfWork, instance_id: str) -> str:
    row = uow.session.execute(
        select(incidents.c.node_id, incidents.c.error)
        .where(incidents.c.instance_id == instance_id, incidents.c.state == "open")
        .order_by(incidents.c.id.desc())
        .limit(1)
    ).first()
    return f"{row[0]}: {row[1]}" if row else "unknown step"


# --- the use cases -----------------------------------------------------------------------------------


def request_cancellation(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Any,
    order_id: str,
    *,
    reason: Any,
    requested_by: str | None,
    now: datetime | None = None,
) -> StoredOrder:
    """Cancel the order by compensation in its workflow, all or nothing (see the module docstring)."""
    text = clean_reason(reason)
    at = now or datetime.now(UTC)
    with uow_factory() as uow:
        order = lock_order(uow, order_id)
        check_cancellable(order_state(uow, order))
        if order.process_instance_id is None:
            raise CancellationFailed(f"Order {order_id} has no workflow to cancel", order_id=order_id)
        incidents_before = _open_incidents(uow, order.process_instance_id)
        record_change(uow, order.id, "cancellation", outcome="cancelled", reason=text, by=requested_by, at=at)
        try:
            workflow.correlate(
                CANCEL_MESSAGE,
                order.id,
                {"cancel_reason": text, "cancelled_by": requested_by or ""},
                buffer=False,
                uow=uow,
            )
        except NotFound as err:  # its workflow ended another way, or its model has no cancellation
            raise CancellationFailed(
                f"Order {order_id}'s workflow does not accept a cancellation now (status {order.status}); "
                "nothing was changed",
                order_id=order_id,
            ) from err
        repo = SqlOrders(uow.session)
        if _open_incidents(uow, order.process_instance_id) > incidents_before:
            failed = _newest_incident(uow, order.process_instance_id)
            raise CancellationFailed(
                f"Cancelling order {order_id} failed at {failed}; nothing was changed, try again",
                order_id=order_id,
            )
        if repo.status(order.id) != "cancelled":
            waiting = order_status.waiting_nodes(uow.session, order.process_instance_id)
            stuck = ", ".join(sorted({w["node"] for w in waiting}))
            raise CancellationFailed(
                f"Cancelling order {order_id} did not finish (its workflow stopped at {stuck or 'no step'}, "
                "to be retried); nothing was changed, try again later",
                order_id=order_id,
            )
        stored = repo.get(order.id)
        uow.commit()
    assert stored is not None
    return stored


def submit_payment_method(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Any,
    order_id: str,
    *,
    payment_token: Any,
    requested_by: str | None,
    now: datetime | None = None,
) -> StoredOrder:
    """Store a new payment token for an order waiting after a decline, and verify the payment again."""
    if not isinstance(payment_token, str) or not payment_token.strip() or len(payment_token) > 200:
        raise InvalidInput(
            "payment_token must be the new card's token (text, at most 200 characters)",
            errors=[{"loc": ["payment_token"], "path": "payment_token", "msg": "is required text"}],
        )
    at = now or datetime.now(UTC)
    with uow_factory() as uow:
        order = lock_order(uow, order_id)
        waiting = order_status.waiting_nodes(uow.session, order.process_instance_id)
        if not any(w["node"] == PAYMENT_METHOD_NODE for w in waiting):
            raise PaymentMethodNotAwaited(
                f"Order {order_id} is {order.status}; it does not wait for a new payment method",
                order_id=order_id,
                order_status=order.status,
            )
        token = payment_token.strip()
        uow.session.execute(update(orders).where(orders.c.id == order.id).values(payment_token=token))
        uow.session.info.pop("conveyor.orders_read", None)  # handlers must read the new token
        record_change(
            uow,
            order.id,
            "payment_method",
            outcome="submitted",
            reason="new payment method after a decline",
            by=requested_by,
            at=at,
        )
        order_status.milestone(uow, order.id, "order.payment_method_updated", at)
        workflow.correlate(PAYMENT_METHOD_MESSAGE, order.id, {}, buffer=False, uow=uow)
        stored = SqlOrders(uow.session).get(order.id)
        uow.commit()
    assert stored is not None
    return stored


# --- what the order-fulfillment handlers call ---------------------------------------------------------


def payment_declined(uow: SqlUnitOfWork, order: StoredOrder, reason: str, now: datetime) -> dict[str, Any]:
    """The card was declined: tell the customer (event), file the exception, wait for a new method."""
    wait = settings_of(uow.session).payment_method_wait
    order_status.milestone(
        uow,
        order.id,
        "payment.declined",
        now,
        reason=reason,
        email=order.customer.get("email", ""),
        new_payment_method_within=wait,
    )
    record_exception(
        uow,
        type="payment.declined",
        summary=f"Payment for order {order.id} was declined ({reason or 'no reason given'})",
        order_id=order.id,
        process_instance_id=order.process_instance_id,
        reason_code=reason or None,
        details={"amount": order.total.as_string(), "wait_for_new_method": wait},
        now=now,
    )
    return {"payment_ok": False, "payment_method_wait": wait, "cancel_reason": f"payment declined: {reason}"}


def cancelled(
    uow: SqlUnitOfWork, order: StoredOrder, reason: str, by: str, ctx: HandlerContext, now: datetime
) -> None:
    """File the cancellation in the exception register (category from the type: customer_change)."""
    record_exception(
        uow,
        type="order.cancelled",
        summary=f"Order {order.id} was cancelled: {reason}",
        order_id=order.id,
        process_instance_id=ctx.instance_id,
        reason_text=reason,
        details={"cancelled_by": by or "the process", "node": ctx.node_id},
        now=now,
    )


# --- compensation handlers ---------------------------------------------------------------------------


class CompensationHandlers:
    """What undoes each completed activity of ``order-fulfillment`` (bound by ``register``)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    @staticmethod
    def _order_id(ctx: HandlerContext) -> str:
        order_id = ctx.variables.get("order_id")
        if not order_id:
            raise NotFound("The process variable order_id is missing")
        return str(order_id)

    def void_payment(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Void what is authorized and not captured; refund what was captured (and not refunded)."""
        from conveyor.services.fulfilment_handlers import PROVIDER, ledger_of, store_new_entries

        order_id, now = self._order_id(ctx), self.clock()
        order = SqlOrders(uow.session).get(order_id, with_lines=False)
        if order is None:
            raise NotFound(f"There is no order {order_id!r}")
        ledger = ledger_of(uow, order)
        if not ledger.capturable.is_zero:
            amount = ledger.capturable
            after = PROVIDER.void(ledger, at=now)
            store_new_entries(uow, ledger, after, "compensate-void")
            order_status.milestone(uow, order_id, "payment.voided", now, amount=amount.as_string())
            ledger = after
        if not ledger.refundable.is_zero:
            amount = ledger.refundable
            after = PROVIDER.refund(ledger, amount=amount, at=now, reason="order cancelled")
            store_new_entries(uow, ledger, after, "compensate-refund")
            order_status.milestone(uow, order_id, "payment.refunded", now, amount=amount.as_string())
        return None

    def release_stock(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Release every open reservation of the order, one ``inventory.released`` event each."""
        order_id, now = self._order_id(ctx), self.clock()
        keeper = StockKeeper(uow.session, now=now)
        for reservation in keeper.stock.reservations_of(order_id):
            if keeper.release(reservation, reason="order cancelled"):
                order_status.milestone(
                    uow,
                    order_id,
                    "inventory.released",
                    now,
                    moves_status=False,
                    warehouse=reservation.warehouse,
                    sku=reservation.sku,
                    quantity=reservation.quantity,
                    line_no=reservation.line_no,
                )
        return None

    def cancel_pick_lists(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Cancel the order's pick lists nobody has confirmed yet."""
        order_id, now = self._order_id(ctx), self.clock()
        for pick_list in SqlOrders(uow.session).pick_lists(order_id=order_id, status="open"):
            done = uow.session.execute(
                update(pick_lists)
                .where(pick_lists.c.id == pick_list.id, pick_lists.c.status == "open")
                .values(status="cancelled")
            )
            if done.rowcount:  # type: ignore[attr-defined]
                order_status.milestone(
                    uow,
                    order_id,
                    "pick_list.cancelled",
                    now,
                    moves_status=False,
                    pick_list_id=pick_list.id,
                    warehouse=pick_list.warehouse,
                )
        return None

    def cancel_shipments(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Unpack: the parcels the carrier does not have yet are taken apart (their rows removed)."""
        order_id, now = self._order_id(ctx), self.clock()
        c = shipments.c
        rows = uow.session.execute(
            select(c.id, c.warehouse_code).where(
                c.order_id == order_id, c.status.in_(("packed", "label_created"))
            )
        ).all()
        for shipment_id, warehouse in rows:
            uow.session.execute(delete(shipments).where(c.id == shipment_id))
            order_status.milestone(
                uow,
                order_id,
                "shipment.cancelled",
                now,
                moves_status=False,
                shipment_id=shipment_id,
                warehouse=warehouse,
            )
        return None

    def void_label(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Void the labels of parcels not handed over (tracking number and PDF kept in ``voided_labels``)."""
        order_id, now = self._order_id(ctx), self.clock()
        c = shipments.c
        rows = uow.session.execute(
            select(c.id, c.carrier_code, c.tracking_number, c.label_pdf).where(
                c.order_id == order_id, c.status == "label_created"
            )
        ).all()
        for shipment_id, carrier, tracking, pdf in rows:
            uow.session.execute(
                insert(voided_labels).values(
                    shipment_id=shipment_id,
                    order_id=order_id,
                    carrier_code=carrier,
                    tracking_number=tracking,
                    label_pdf=pdf,
                    voided_at=now,
                )
            )
            uow.session.execute(
                update(shipments)
                .where(c.id == shipment_id, c.status == "label_created")
                .values(status="packed", tracking_number=None, label_pdf=None)
            )
            order_status.milestone(
                uow,
                order_id,
                "shipment.label_voided",
                now,
                moves_status=False,
                shipment_id=shipment_id,
                carrier=carrier,
                tracking_number=tracking,
            )
        return None


#: task type -> the ``CompensationHandlers`` method that does it
COMPENSATION_HANDLERS: dict[str, str] = {
    "payment.void": "void_payment",
    "inventory.release": "release_stock",
    "fulfillment.cancel_pick_lists": "cancel_pick_lists",
    "fulfillment.cancel_shipments": "cancel_shipments",
    "shipping.void_label": "void_label",
}


def register(registry: Any, *, clock: Clock | None = None) -> CompensationHandlers:
    handlers = CompensationHandlers(clock)
    for task_type, method in COMPENSATION_HANDLERS.items():
        registry.register(task_type, getattr(handlers, method))
    return handlers
