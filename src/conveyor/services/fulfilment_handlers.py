"""The order use cases bound to the ``order-fulfillment`` model's service tasks.

Each handler reads ``order_id`` from the process variables, does its work in
the step's unit of work (so its writes commit with the workflow step, and are
undone with it), and returns the variables the model's gateways read. The
table of task types is ``ORDER_HANDLERS``; ``register_order_handlers`` puts
them in a registry (the composition root calls it; tests and the demo pass
their own clock so simulated days move the order's times too).

A handler raises ``ConveyorError``s it cannot recover from (the runtime
retries and then opens an incident for a person); outcomes the model routes
on (a declined card, a rejected quality check, nothing in stock) are
returned as variables instead, so the handler's writes are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.errors import PaymentDeclined
from conveyor.domain.payments import PaymentLedger, SandboxPaymentProvider
from conveyor.domain.quality_check import QualityCheckDecision
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import NotFound
from conveyor.services import backorders, order_changes, order_edits, order_status, pick_lists, shipping
from conveyor.services.allocation import allocate_order
from conveyor.services.stock_keeping import StockKeeper
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.handlers import HandlerRegistry

Clock = Callable[[], datetime]
Result = Mapping[str, Any] | None
_PROVIDER = SandboxPaymentProvider()
_ORDERS_READ = "conveyor.orders_read"


def _order(ctx: HandlerContext, uow: SqlUnitOfWork, *, with_lines: bool = False) -> StoredOrder:
    """The step's order, read once per transaction (handlers use only what does not change in a step)."""
    order_id = ctx.variables.get("order_id")
    seen: dict[str, StoredOrder] = uow.session.info.setdefault(_ORDERS_READ, {})
    order = seen.get(str(order_id))
    if order is None or (with_lines and not order.lines):
        order = SqlOrders(uow.session).get(str(order_id), with_lines=True) if order_id else None
        if order is None:
            raise NotFound(f"The process variable order_id ({order_id!r}) names no stored order")
        seen[order.id] = order
    return order


def _ledger(uow: SqlUnitOfWork, order: StoredOrder) -> PaymentLedger:
    return SqlOrders(uow.session).payment_ledger(order.id, order.currency)


def _store_new_entries(uow: SqlUnitOfWork, before: PaymentLedger, after: PaymentLedger, step: str) -> None:
    repo = SqlOrders(uow.session)
    for index, entry in enumerate(after.entries[len(before.entries) :]):
        repo.add_payment_entry(
            after.order_id,
            kind=entry.kind.value,
            amount_minor=entry.amount.minor_units,
            currency=entry.amount.currency,
            transaction_id=entry.transaction_id,
            idempotency_key=f"{after.order_id}:{step}:{index}",
            at=entry.at,
            reason=entry.reason,
        )


class OrderHandlers:
    """The handlers, sharing one clock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def verify_payment(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order, now = _order(ctx, uow), self.clock()
        if order.payment_token is None:  # paid in the channel (marketplaces collect the money themselves)
            order_status.milestone(uow, order.id, "payment.verified", now, by="channel")
            return {"payment_ok": True}
        ledger = _ledger(uow, order)
        if ledger.authorized.is_zero:
            try:
                after = _PROVIDER.authorize(ledger, token=order.payment_token, amount=order.total, at=now)
            except PaymentDeclined as err:
                return order_changes.payment_declined(uow, order, str(err.extra.get("reason") or ""), now)
            _store_new_entries(uow, ledger, after, "authorize")
        order_status.milestone(uow, order.id, "payment.authorized", now, amount=str(order.total))
        return {"payment_ok": True}

    def allocate(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order, now = _order(ctx, uow, with_lines=True), self.clock()
        held_before = len(StockKeeper(uow.session, now=now).stock.reservations_of(order.id))
        channel = SqlConfiguration(uow.session).channel(order.channel)
        outcome = allocate_order(  # reserves only what the lines do not hold yet (a retry, another try)
            uow.session,
            order_id=order.id,
            lines=backorders.outstanding_lines(uow, order),  # less what shipped or was cancelled
            destination=order.destination,
            channel=channel or order.channel,
        )
        for reserved in outcome.reservations[held_before:]:  # the held ones come first
            order_status.milestone(
                uow,
                order.id,
                "inventory.reserved",
                now,
                warehouse=reserved.warehouse,
                sku=reserved.sku,
                quantity=reserved.quantity,
            )
        allocated = bool(outcome.reservations)
        backordered = backorders.sync_backordered(uow, order)  # what no reservation holds, on its line
        if outcome.backorders:
            order_status.milestone(
                uow,
                order.id,
                "order.backordered",
                now,
                lines=[
                    {"line_no": b.line_no, "sku": b.sku, "quantity": b.quantity} for b in outcome.backorders
                ],
            )
        qc_required = bool(channel and channel.requires_quality_check(order.total))
        qc_required = qc_required and not ctx.variables.get("qc_approved")  # a second round: checked before
        waiting = backorders.allocation_variables(uow, order, backordered, allocated)
        if allocated and qc_required and waiting["ship_now"]:
            order_status.milestone(uow, order.id, "quality_check.required", now, total=str(order.total))
        first_wait = bool(backordered) and not ctx.variables.get("backorder_recorded")
        if first_wait:
            backorders.record_backorder_waiting(uow, order, backordered, now)
        result = {
            "allocated": allocated,
            "backordered": bool(backordered),
            "qc_required": qc_required,
            "warehouses": list(outcome.warehouses),
        }
        if backordered or not allocated or "ship_now" in ctx.variables:  # (a first full reservation: no need)
            result |= {
                "backorder_recorded": bool(ctx.variables.get("backorder_recorded")) or first_wait,
                **waiting,
            }
        return result

    def record_quality_check(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order, now = _order(ctx, uow), self.clock()
        decision = QualityCheckDecision.from_form(ctx.variables)
        event = "quality_check.approved" if decision.approved else "quality_check.rejected"
        order_status.milestone(uow, order.id, event, now, reason=decision.reason)
        if decision.approved:
            return {"qc_approved": True}
        return {"qc_approved": False, "cancel_reason": f"rejected in the quality check: {decision.reason}"}

    def create_pick_lists(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order = _order(ctx, uow)
        created, manual = pick_lists.create_pick_lists(uow, order.id, self.clock())
        return {"pick_lists": created, "manual_pick_lists": manual}

    def pack(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order, now = _order(ctx, uow), self.clock()
        pick_lists.confirm_open_lists(uow, order.id, now)  # tasks completed from the inbox without quantities
        return {"shipments": shipping.pack_order(uow, order.id, now)}

    def select_carrier(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        chosen = shipping.select_carriers(uow, _order(ctx, uow).id, self.clock())
        return {"transit_days": max((c["transit_days"] for c in chosen), default=0)}

    def create_label(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        shipping.create_labels(uow, _order(ctx, uow).id, self.clock())
        return None

    def hand_over(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order, now = _order(ctx, uow), self.clock()
        longest = shipping.hand_over(uow, order.id, now)
        ledger = _ledger(uow, order)
        if not ledger.capturable.is_zero:
            _store_new_entries(
                uow, ledger, _PROVIDER.capture(ledger, at=now), f"capture-{len(ledger.entries)}"
            )
        left = backorders.sync_backordered(uow, order)  # a partial shipment: the rest waits for stock
        order_status.milestone(uow, order.id, "order.partially_shipped" if left else "order.shipped", now)
        return {"delivery_window": shipping.delivery_window(longest), "backorder_left": bool(left)}

    def follow_up(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order = _order(ctx, uow)
        order_status.milestone(
            uow, order.id, "customer.follow_up_sent", self.clock(), email=order.customer.get("email", "")
        )
        return None

    def complete(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        order_status.milestone(uow, _order(ctx, uow).id, "order.completed", self.clock())
        return None

    def cancel(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Result:
        """Record the cancellation (compensation undid the work before; the rest is a safety net)."""
        order, now = _order(ctx, uow), self.clock()
        reason = str(ctx.variables.get("cancel_reason") or "cancelled by the process")
        released = StockKeeper(uow.session, now=now).release_order(order.id, reason)
        SqlOrders(uow.session).cancel_open_pick_lists(order.id)
        ledger = _ledger(uow, order)
        if not ledger.capturable.is_zero:
            _store_new_entries(uow, ledger, _PROVIDER.void(ledger, at=now), "void")
        order_status.milestone(uow, order.id, "order.cancelled", now, reason=reason, released_units=released)
        order_changes.cancelled(uow, order, reason, str(ctx.variables.get("cancelled_by") or ""), ctx, now)
        return None


#: task type -> the ``OrderHandlers`` method that does it
ORDER_HANDLERS: dict[str, str] = {
    "payment.verify": "verify_payment",
    "inventory.allocate": "allocate",
    "quality_check.record": "record_quality_check",
    "fulfillment.create_pick_lists": "create_pick_lists",
    "fulfillment.pack": "pack",
    "shipping.select_carrier": "select_carrier",
    "shipping.create_label": "create_label",
    "shipping.hand_over": "hand_over",
    "support.follow_up": "follow_up",
    "order.complete": "complete",
    "order.cancel": "cancel",
}


def register_order_handlers(registry: HandlerRegistry, *, clock: Clock | None = None) -> OrderHandlers:
    """Bind every order task type in ``registry``; returns the handlers (their clock can be read)."""
    handlers = OrderHandlers(clock)
    for task_type, method in ORDER_HANDLERS.items():
        registry.register(task_type, getattr(handlers, method))
    order_changes.register(registry, clock=clock)
    backorders.register(registry, clock=clock)
    order_edits.register(registry, clock=clock)
    return handlers


# what the compensation handlers (``conveyor.services.order_changes``) share with the ones above
PROVIDER = _PROVIDER
ledger_of = _ledger
store_new_entries = _store_new_entries
