"""Backorders, short picks and re-allocation: what an order still owes, and getting it stock.

An order line's **outstanding** units are its quantity minus what was shipped
(consumed reservations) and what was given up (``order_line_cancellations``);
its **backordered** units are the outstanding ones no open reservation holds.
``sync_backordered`` stores that number on every line after each change, so
it never drifts however often allocation runs.

- **Waiting for stock.** An order that cannot ship now (nothing reserved, or
  something missing and its channel does not allow partial shipments) waits
  in ``wait_for_stock`` for the message ``inventory.stock_available``. A
  receipt or transfer into a warehouse calls ``stock_arrived``, which wakes the
  orders waiting for that SKU, **oldest first**, each one allocating in the
  same transaction, so older orders take the new units first. After the
  configured ``backorder_wait`` a support task offers to cancel the
  backordered lines or keep waiting (``apply_backorder_decision``).
- **Partial shipments.** When the channel allows them, what is reserved ships
  and the rest waits for stock after hand-over (``backorder_left``).
- **Short picks.** ``record_short_pick`` (called by the pick confirmation)
  writes the missing units off as an inventory discrepancy (an adjustment
  with its reason, an exception record in ``stock_accuracy``) so the warehouse
  no longer promises them; ``reallocate_short_picks`` (the model's step after
  picking) reserves them in another warehouse (a new pick list there) or
  leaves them backordered.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from conveyor.adapters.db.order_change_tables import order_line_cancellations
from conveyor.adapters.db.order_tables import order_lines, orders
from conveyor.adapters.db.workflow_tables import waits
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.adapters.repositories.stock import StoredReservation
from conveyor.domain.errors import InsufficientStock
from conveyor.domain.inventory import MovementType, ReferenceType
from conveyor.domain.money import Money
from conveyor.engine.errors import NotWaiting
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.services import order_status
from conveyor.services.allocation import LineToAllocate, allocate_order
from conveyor.services.exceptions import record_exception
from conveyor.services.order_changes import record_change, settings_of
from conveyor.services.stock_keeping import StockKeeper
from conveyor.services.unit_of_work import SqlUnitOfWork

Clock = Callable[[], datetime]
Result = Mapping[str, Any] | None

STOCK_MESSAGE = "inventory.stock_available"
STOCK_NODE = "wait_for_stock"
DECISIONS = ("keep_waiting", "cancel_lines")


# --- what an order still owes ------------------------------------------------------------------------


def _consumed(uow: SqlUnitOfWork, order_id: str) -> dict[int, int]:
    shipped: dict[int, int] = {}
    for r in StockKeeper(uow.session).stock.reservations_of(order_id, state="consumed"):
        shipped[r.line_no or 0] = shipped.get(r.line_no or 0, 0) + r.quantity
    return shipped


def cancelled_units(uow: SqlUnitOfWork, order_id: str) -> dict[int, int]:
    c = order_line_cancellations.c
    rows = uow.session.execute(
        select(c.line_no, func.sum(c.quantity)).where(c.order_id == order_id).group_by(c.line_no)
    )
    return {int(line): int(units) for line, units in rows}


def outstanding_lines(uow: SqlUnitOfWork, order: StoredOrder) -> list[LineToAllocate]:
    """Per line: what must still ship (quantity - shipped - cancelled); lines with nothing left omitted."""
    shipped, cancelled = _consumed(uow, order.id), cancelled_units(uow, order.id)
    lines = []
    for line in SqlOrders(uow.session).lines(order.id):
        left = line.quantity - shipped.get(line.line_no, 0) - cancelled.get(line.line_no, 0)
        if left > 0:
            lines.append(LineToAllocate(line.line_no, line.sku, left))
    return lines


def _held(reservations: list[StoredReservation]) -> dict[int, int]:
    held: dict[int, int] = {}
    for r in reservations:
        held[r.line_no or 0] = held.get(r.line_no or 0, 0) + r.quantity
    return held


def sync_backordered(uow: SqlUnitOfWork, order: StoredOrder) -> dict[int, int]:
    """Store each line's backordered units (outstanding minus held); returns {line_no: units} above zero."""
    held = _held(StockKeeper(uow.session).stock.reservations_of(order.id))
    owed = {line.line_no: line.quantity for line in outstanding_lines(uow, order)}
    result: dict[int, int] = {}
    for line in SqlOrders(uow.session).lines(order.id):
        units = max(owed.get(line.line_no, 0) - held.get(line.line_no, 0), 0)
        if units != line.backordered:
            uow.session.execute(
                update(order_lines)
                .where(order_lines.c.order_id == order.id, order_lines.c.line_no == line.line_no)
                .values(backordered=min(units, line.quantity))
            )
        if units:
            result[line.line_no] = units
    return result


def anything_shipped(uow: SqlUnitOfWork, order_id: str) -> bool:
    return bool(_consumed(uow, order_id))


def allocate_outstanding(
    uow: SqlUnitOfWork,
    order: StoredOrder,
    now: datetime,
    *,
    moves_status: bool = True,
    exclude: Collection[tuple[str, str]] = (),
) -> tuple[list[Any], dict[int, int]]:
    """Reserve what the order still owes and no reservation holds: (new reservations, backordered by line)."""
    keeper = StockKeeper(uow.session, now=now)
    before = {r.id for r in keeper.stock.reservations_of(order.id)}
    lines = outstanding_lines(uow, order)
    if lines:
        channel = SqlConfiguration(uow.session).channel(order.channel)
        allocate_order(
            uow.session,
            order_id=order.id,
            lines=lines,
            destination=order.destination,
            channel=channel or order.channel,
            exclude=exclude,
        )
    new = [r for r in keeper.stock.reservations_of(order.id) if r.id not in before]
    for reserved in new:
        order_status.milestone(
            uow,
            order.id,
            "inventory.reserved",
            now,
            moves_status=moves_status,
            warehouse=reserved.warehouse,
            sku=reserved.sku,
            quantity=reserved.quantity,
            line_no=reserved.line_no,
        )
    return new, sync_backordered(uow, order)


# --- receipts wake the waiting orders, oldest first ----------------------------------------------------


def waiting_orders_for(uow: SqlUnitOfWork, sku: str) -> list[str]:
    """Orders waiting in ``wait_for_stock`` with ``sku`` backordered, oldest (placed first) first."""
    w, o, line = waits.c, orders.c, order_lines.c
    query = (
        select(o.id)
        .select_from(waits.join(orders, orders.c.process_instance_id == w.instance_id))
        .where(w.message_name == STOCK_MESSAGE, w.correlation_key == o.id)
        .where(
            select(line.line_no).where(line.order_id == o.id, line.sku == sku, line.backordered > 0).exists()
        )
        .order_by(o.placed_at, o.created_at, o.id)
    )
    return [str(row[0]) for row in uow.session.execute(query)]


def stock_arrived(uow: SqlUnitOfWork, workflow: Any, sku: str, now: datetime | None = None) -> list[str]:
    """Units of ``sku`` arrived (receipt, transfer in, restock): wake its waiting orders, oldest first.

    Each woken order allocates inside this transaction before the next one is
    woken, so the oldest takes the units first; an order that finds nothing
    left simply waits again. Returns the orders woken.
    """
    woken = []
    for order_id in waiting_orders_for(uow, sku):
        level_left = sum(
            level.available for level in StockKeeper(uow.session).stock.levels(sku=sku) if level.available > 0
        )
        if level_left <= 0:
            break
        # the order's row lock first, as every change to a running order takes it (a cancellation, a pick)
        uow.session.execute(select(orders.c.id).where(orders.c.id == order_id).with_for_update())
        try:
            with uow.session.begin_nested():  # an order that stopped waiting meanwhile is skipped
                workflow.correlate(STOCK_MESSAGE, order_id, {"restocked_sku": sku}, buffer=False, uow=uow)
        except (NotFound, Conflict, NotWaiting):
            continue
        woken.append(order_id)
    return woken


# --- the order-fulfillment steps -------------------------------------------------------------------------


def allocation_variables(
    uow: SqlUnitOfWork, order: StoredOrder, backordered: Mapping[int, int], allocated: bool
) -> dict[str, Any]:
    """What the model's "Ship now?" gateway and the backorder timer read after an allocation."""
    channel = SqlConfiguration(uow.session).channel(order.channel)
    partial_ok = channel.partial_shipments_allowed if channel else True
    ship_now = allocated and (not backordered or partial_ok)
    return {
        "ship_now": ship_now,
        "backorder_wait": settings_of(uow.session).backorder_wait,
    }


def record_backorder_waiting(
    uow: SqlUnitOfWork, order: StoredOrder, backordered: Mapping[int, int], now: datetime
) -> None:
    lines = {line.line_no: line for line in SqlOrders(uow.session).lines(order.id)}
    detail: list[dict[str, Any]] = [
        {"line_no": n, "sku": lines[n].sku, "quantity": q}
        for n, q in sorted(backordered.items())
        if n in lines
    ]
    record_exception(
        uow,
        type="backorder.waiting",
        summary=f"Order {order.id} waits for stock: "
        + ", ".join(f"{d['quantity']} x {d['sku']}" for d in detail),
        order_id=order.id,
        sku=detail[0]["sku"] if len(detail) == 1 else None,
        process_instance_id=order.process_instance_id,
        details={"lines": detail},
        now=now,
    )


class BackorderHandlers:
    """The model's steps for short picks and backorder decisions."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    @staticmethod
    def _order(ctx: HandlerContext, uow: SqlUnitOfWork) -> StoredOrder:
        order_id = ctx.variables.get("order_id")
        order = SqlOrders(uow.session).get(str(order_id), with_lines=True) if order_id else None
        if order is None:
            raise NotFound(f"The process variable order_id ({order_id!r}) names no stored order")
        return order

    def reallocate_short_picks(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """After picking: reserve what short picks left missing in another warehouse, if any has it."""
        order, now = self._order(ctx, uow), self.clock()
        if not any(line.backordered for line in order.lines):
            return {"reallocated": False}
        short_shelves = {  # not where the picker just found too few
            (pick_list.warehouse, line.sku)
            for pick_list in SqlOrders(uow.session).pick_lists(order_id=order.id, status="short_picked")
            for line in pick_list.lines
            if (line.picked or 0) < line.quantity
        }
        new, backordered = allocate_outstanding(uow, order, now, exclude=short_shelves)
        if new:
            record_change(
                uow,
                order.id,
                "reallocation",
                outcome="reserved",
                reason="units missing after a short pick",
                by=None,
                at=now,
                details={
                    "reservations": [
                        {"warehouse": r.warehouse, "sku": r.sku, "quantity": r.quantity} for r in new
                    ]
                },
            )
        if backordered:
            order_status.milestone(
                uow,
                order.id,
                "order.backordered",
                now,
                moves_status=False,
                lines=[{"line_no": n, "quantity": q} for n, q in sorted(backordered.items())],
            )
        return {"reallocated": bool(new), "backorder_wait": settings_of(uow.session).backorder_wait}

    def apply_backorder_decision(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Support decided after the wait: keep waiting, or cancel the backordered units (and refund them)."""
        order, now = self._order(ctx, uow), self.clock()
        decision = ctx.variables.get("decision")
        if decision not in DECISIONS:
            raise InvalidInput(
                f"decision must be one of {', '.join(DECISIONS)}, got {decision!r}",
                errors=[{"loc": ["decision"], "path": "decision", "msg": f"one of {', '.join(DECISIONS)}"}],
            )
        note = str(ctx.variables.get("note") or "").strip()
        if decision == "keep_waiting":
            record_change(
                uow,
                order.id,
                "backorder_decision",
                outcome="keep_waiting",
                reason=note or "keep waiting",
                by=None,
                at=now,
            )
            order_status.milestone(
                uow, order.id, "order.backorder_extended", now, moves_status=False, note=note
            )
            return {"backorder_next": "wait"}
        backordered = sync_backordered(uow, order)
        lines = {line.line_no: line for line in order.lines}
        refund = Money.from_minor(0, order.currency)
        for line_no, units in sorted(backordered.items()):
            uow.session.execute(
                insert(order_line_cancellations).values(
                    order_id=order.id,
                    line_no=line_no,
                    quantity=units,
                    reason=note or "backorder cancelled after waiting",
                    cancelled_at=now,
                )
            )
            refund = refund + Money.from_minor(lines[line_no].unit_price_minor * units, order.currency)
        sync_backordered(uow, order)
        cancelled = [
            {"line_no": n, "sku": lines[n].sku, "quantity": q} for n, q in sorted(backordered.items())
        ]
        record_change(
            uow,
            order.id,
            "backorder_decision",
            outcome="lines_cancelled",
            reason=note or "backordered lines cancelled",
            by=None,
            at=now,
            details={"lines": cancelled, "amount": refund.as_string()},
        )
        order_status.milestone(
            uow,
            order.id,
            "order.lines_cancelled",
            now,
            moves_status=False,
            lines=cancelled,
            amount=refund.as_string(),
        )
        keeper = StockKeeper(uow.session, now=now)
        if keeper.stock.reservations_of(order.id):
            adjust_payment_down(uow, order, refund, now, reason="backordered lines cancelled")
            return {"backorder_next": "ship", "qc_required": False}
        if anything_shipped(uow, order.id):
            adjust_payment_down(uow, order, refund, now, reason="backordered lines cancelled")
            order_status.milestone(uow, order.id, "order.shipped", now)
            return {"backorder_next": "deliver"}
        return {
            "backorder_next": "cancel",
            "cancel_reason": note or "backordered lines cancelled after waiting",
        }


def adjust_payment_down(
    uow: SqlUnitOfWork, order: StoredOrder, amount: Money, now: datetime, *, reason: str
) -> None:
    """Give back ``amount``: void it from what is authorized and uncaptured, refund the rest of it."""
    from conveyor.services.fulfilment_handlers import PROVIDER, ledger_of, store_new_entries

    if amount.is_zero:
        return
    ledger = ledger_of(uow, order)
    void = min(amount, ledger.capturable)
    if not void.is_zero:
        repo = SqlOrders(uow.session)
        repo.add_payment_entry(
            order.id,
            kind="void",
            amount_minor=void.minor_units,
            currency=void.currency,
            transaction_id=f"sbx_void_{order.id}_{len(ledger.entries) + 1}",
            idempotency_key=f"{order.id}:partial-void:{len(ledger.entries)}",
            at=now,
            reason=reason,
        )
        order_status.milestone(
            uow, order.id, "payment.voided", now, moves_status=False, amount=void.as_string(), partial=True
        )
        ledger = ledger_of(uow, order)
    rest = amount - void
    refundable = min(rest, ledger.refundable)
    if not refundable.is_zero:
        after = PROVIDER.refund(ledger, amount=refundable, at=now, reason=reason)
        store_new_entries(uow, ledger, after, f"partial-refund-{len(ledger.entries)}")
        order_status.milestone(
            uow, order.id, "payment.refunded", now, moves_status=False, amount=refundable.as_string()
        )


# --- short picks -------------------------------------------------------------------------------------------


def record_short_pick(
    uow: SqlUnitOfWork,
    order_id: str,
    pick_list_id: str,
    warehouse: str,
    sku: str,
    missing: int,
    now: datetime,
    by: str | None,
) -> None:
    """The shelf had ``missing`` fewer units than the books: write them off and file the discrepancy.

    Called after the short units' reservations were released. The adjustment
    takes at most what is not reserved by other orders (the books may have
    promised the missing units to someone else too; the exception says so).
    """
    keeper = StockKeeper(uow.session, now=now)
    level = keeper.stock.level(warehouse, sku)
    available = level.available if level else 0
    written_off = min(missing, max(available, 0))
    if written_off:
        try:
            keeper.take_unreserved(
                warehouse,
                sku,
                written_off,
                (ReferenceType.PICK_LIST, pick_list_id),
                type=MovementType.ADJUSTMENT,
                reason=f"inventory discrepancy: short pick on {pick_list_id}",
            )
        except InsufficientStock:  # pragma: no cover - the level was read in this transaction
            written_off = 0
    order_status.milestone(
        uow,
        order_id,
        "inventory.adjusted",
        now,
        moves_status=False,
        warehouse=warehouse,
        sku=sku,
        quantity=-written_off,
        reason="short_pick",
        pick_list_id=pick_list_id,
    )
    record_exception(
        uow,
        type="pick.short",
        summary=f"{missing} x {sku} missing in {warehouse} when picking {pick_list_id}",
        category="stock_accuracy",
        order_id=order_id,
        sku=sku,
        warehouse_code=warehouse,
        reason_code="short_pick",
        details={
            "pick_list_id": pick_list_id,
            "missing": missing,
            "written_off": written_off,
            "still_promised_to_others": missing - written_off,
            "confirmed_by": by,
        },
        now=now,
    )
    record_change(
        uow,
        order_id,
        "short_pick",
        outcome="released",
        reason=f"{missing} x {sku} not found in {warehouse}",
        by=by,
        at=now,
        details={"pick_list_id": pick_list_id, "sku": sku, "missing": missing},
    )


BACKORDER_HANDLERS: dict[str, str] = {
    "fulfillment.reallocate_short_picks": "reallocate_short_picks",
    "order.backorder_decision": "apply_backorder_decision",
}


def register(registry: Any, *, clock: Clock | None = None) -> BackorderHandlers:
    handlers = BackorderHandlers(clock)
    for task_type, method in BACKORDER_HANDLERS.items():
        registry.register(task_type, getattr(handlers, method))
    return handlers
