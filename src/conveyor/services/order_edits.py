"""Address corrections and line edits of a placed order, each one transaction, all or nothing.

**Address correction** (``correct_address``, ``POST /orders/{id}/shipping-address``):
the new address is validated and placed on the map (the offline gazetteer)
first. Before a label exists, the order's stock is re-planned for the new
destination: reservations not yet picked are released and reserved again
(the nearest warehouse may change), their pick lists are cancelled and the
workflow is told (message ``order.pick_lists_replaced``) so it picks the new
lists instead. Once a label exists, support gets a carrier-intercept task (the
``carrier-intercept`` process); after hand-over the change is refused.

**Edit** (``edit_lines``, ``POST /orders/{id}/edits`` or ``PATCH /orders/{id}``):
until picking starts, lines are added, removed or change quantity. The
difference is reserved in the same transaction; when the new units cannot
all be reserved the edit is refused (nothing oversold, nothing half done).
The payment follows: an additional authorization for an increase, a partial
void (or refund) for a decrease. A declined additional authorization refuses
the edit too.

Both record the change (``order_changes``), an exception record (category
from configuration: ``address`` / ``customer_change``) and their events in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from conveyor.adapters.db.order_change_tables import order_line_cancellations
from conveyor.adapters.db.order_tables import order_lines, orders, pick_lists
from conveyor.adapters.geocoding import shared_geocoder
from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.addresses import Address
from conveyor.domain.errors import InsufficientStock, InvalidAddress, PaymentDeclined
from conveyor.domain.money import Money
from conveyor.domain.order_changes import (
    InvalidOrderChange,
    OrderNotEditable,
    check_address_change,
    check_editable,
    clean_reason,
    read_line_changes,
)
from conveyor.domain.problems import problems_of
from conveyor.engine.runtime import HandlerContext
from conveyor.errors import NotFound
from conveyor.services import backorders, order_status
from conveyor.services.exceptions import record_exception
from conveyor.services.order_changes import lock_order, order_state, record_change
from conveyor.services.stock_keeping import StockKeeper
from conveyor.services.unit_of_work import SqlUnitOfWork

Clock = Callable[[], datetime]
REPLACED_MESSAGE = "order.pick_lists_replaced"
PICKING_NODE = "confirm_pick"
INTERCEPT_PROCESS = "carrier-intercept"


# --- re-planning the stock of an order that is not picked yet -------------------------------------------


def _release_unpicked(uow: SqlUnitOfWork, order: StoredOrder, now: datetime, reason: str) -> int:
    """Cancel the open pick lists and release every reservation no confirmed list holds; units released."""
    repo = SqlOrders(uow.session)
    lists = repo.pick_lists(order_id=order.id)
    picked_in = {p.warehouse for p in lists if p.status in ("picked", "short_picked")}
    for pick_list in (p for p in lists if p.status == "open"):
        uow.session.execute(
            update(pick_lists)
            .where(pick_lists.c.id == pick_list.id, pick_lists.c.status == "open")
            .values(status="cancelled")
        )
        order_status.milestone(
            uow,
            order.id,
            "pick_list.cancelled",
            now,
            moves_status=False,
            pick_list_id=pick_list.id,
            warehouse=pick_list.warehouse,
            reason=reason,
        )
    keeper = StockKeeper(uow.session, now=now)
    released = 0
    for reservation in keeper.stock.reservations_of(order.id):
        if reservation.warehouse in picked_in:
            continue
        if keeper.release(reservation, reason=reason):
            released += reservation.quantity
            order_status.milestone(
                uow,
                order.id,
                "inventory.released",
                now,
                moves_status=False,
                warehouse=reservation.warehouse,
                sku=reservation.sku,
                quantity=reservation.quantity,
                line_no=reservation.line_no,
                reason=reason,
            )
    return released


def _replan(uow: SqlUnitOfWork, workflow: Any, order_id: str, now: datetime, reason: str) -> dict[str, Any]:
    """Release what is not picked and reserve again for the order as it is now; tell a picking workflow."""
    before = SqlOrders(uow.session).get(order_id, with_lines=True)
    assert before is not None
    held_before = sum(r.quantity for r in StockKeeper(uow.session).stock.reservations_of(order_id))
    if not held_before and not any(line.backordered for line in before.lines):
        return {
            "reserved": [],
            "backordered": {},
        }  # nothing allocated yet (payment, waiting): nothing to move
    _release_unpicked(uow, before, now, reason)
    order = SqlOrders(uow.session).get(order_id, with_lines=True)
    assert order is not None
    new, backordered = backorders.allocate_outstanding(uow, order, now, moves_status=False)
    waiting = {w["node"] for w in order_status.waiting_nodes(uow.session, order.process_instance_id)}
    if PICKING_NODE in waiting:
        workflow.correlate(REPLACED_MESSAGE, order.id, {}, buffer=False, uow=uow)
    elif backorders.STOCK_NODE in waiting:  # it may have all it needs now: let it allocate and go on
        workflow.correlate(backorders.STOCK_MESSAGE, order.id, {}, buffer=False, uow=uow)
    return {
        "reserved": [{"warehouse": r.warehouse, "sku": r.sku, "quantity": r.quantity} for r in new],
        "backordered": backordered,
    }


# --- address correction ------------------------------------------------------------------------------------


def _valid_address(data: Any) -> tuple[Address, Address]:
    """(the address as given, the same placed on the map); ``InvalidAddress`` naming each field."""
    if not isinstance(data, Mapping):
        raise InvalidAddress(
            "The new shipping address must be an object",
            errors=[{"loc": ["shipping_address"], "path": "shipping_address", "msg": "must be an object"}],
        )
    try:
        address = Address.from_mapping(data)
        return address, address.with_coordinates(shared_geocoder().locate(address))
    except InvalidAddress as err:
        err.errors = [p.under("shipping_address").as_dict() for p in problems_of(err)] or [
            {"loc": ["shipping_address"], "path": "shipping_address", "msg": err.detail}
        ]
        raise


def correct_address(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Any,
    order_id: str,
    *,
    address: Any,
    reason: Any = None,
    requested_by: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Correct the shipping address (see the module docstring); returns what happened."""
    given, located = _valid_address(address)
    text = clean_reason(reason, required=False) or "shipping address corrected"
    at = now or datetime.now(UTC)
    with uow_factory() as uow:
        order = lock_order(uow, order_id)
        mode = check_address_change(order_state(uow, order))
        new = given.as_mapping()
        if mode == "intercept":
            started = workflow.start(
                INTERCEPT_PROCESS,
                {"order_id": order.id, "new_address": new, "reason": text},
                business_key=order.id,
                uow=uow,
            )
            outcome: dict[str, Any] = {"outcome": "intercept_requested", "intercept_instance_id": started.id}
            order_status.milestone(
                uow,
                order.id,
                "order.address_intercept_requested",
                at,
                moves_status=False,
                new_address=new,
                instance_id=started.id,
            )
        else:
            uow.session.execute(
                update(orders).where(orders.c.id == order.id).values(shipping_address=new, updated_at=at)
            )
            uow.session.info.pop("conveyor.orders_read", None)
            replanned = _replan(uow, workflow, order.id, at, "shipping address corrected")
            outcome = {"outcome": "corrected", **replanned}
            order_status.milestone(
                uow,
                order.id,
                "order.address_corrected",
                at,
                moves_status=False,
                old_address=order.shipping_address,
                new_address=new,
                reserved=replanned["reserved"],
            )
        record_change(
            uow,
            order.id,
            "address_correction",
            outcome=outcome["outcome"],
            reason=text,
            by=requested_by,
            at=at,
            details={
                "old": order.shipping_address,
                "new": new,
                "coordinates": located.as_mapping().get("coordinates"),
                **{k: v for k, v in outcome.items() if k != "backordered"},
            },
        )
        record_exception(
            uow,
            type="address.corrected",
            summary=f"Shipping address of order {order.id}: {outcome['outcome'].replace('_', ' ')}",
            order_id=order.id,
            process_instance_id=order.process_instance_id,
            reason_text=text,
            details={"old": order.shipping_address, "new": new, "outcome": outcome["outcome"]},
            now=at,
        )
        uow.commit()
    return outcome


def record_intercept(ctx: HandlerContext, uow: SqlUnitOfWork, now: datetime) -> Mapping[str, Any] | None:
    """The ``carrier-intercept`` process's last step: the carrier accepted (new address) or refused."""
    order_id = str(ctx.variables.get("order_id") or "")
    order = SqlOrders(uow.session).get(order_id, with_lines=False)
    if order is None:
        raise NotFound(f"The process variable order_id ({order_id!r}) names no stored order")
    accepted = ctx.variables.get("intercepted") is True
    note = str(ctx.variables.get("note") or "").strip()
    new = ctx.variables.get("new_address")
    if accepted and isinstance(new, Mapping):
        uow.session.execute(
            update(orders).where(orders.c.id == order.id).values(shipping_address=dict(new), updated_at=now)
        )
    event = "order.address_intercepted" if accepted else "order.address_intercept_failed"
    order_status.milestone(uow, order.id, event, now, moves_status=False, note=note, new_address=new)
    record_change(
        uow,
        order.id,
        "address_correction",
        outcome="intercepted" if accepted else "intercept_failed",
        reason=note or ("redirected by the carrier" if accepted else "the carrier could not redirect"),
        by=None,
        at=now,
        details={"new": new},
    )
    return {"intercepted": accepted}


# --- line edits ------------------------------------------------------------------------------------------


def _recompute_totals(uow: SqlUnitOfWork, order_id: str, now: datetime) -> Money:
    order = SqlOrders(uow.session).get(order_id, with_lines=True)
    assert order is not None
    cancelled = backorders.cancelled_units(uow, order_id)
    subtotal = sum(
        line.unit_price_minor * (line.quantity - cancelled.get(line.line_no, 0)) for line in order.lines
    )
    total = subtotal + order.shipping_minor + order.tax_minor - order.discount_minor
    uow.session.execute(
        update(orders)
        .where(orders.c.id == order_id)
        .values(subtotal_minor=subtotal, total_minor=total, updated_at=now)
    )
    return Money.from_minor(total, order.currency)


def _apply_line_changes(
    uow: SqlUnitOfWork, order: StoredOrder, data: Any, now: datetime, reason: str
) -> list[dict[str, Any]]:
    config = SqlConfiguration(uow.session)
    skus = (
        [str(e.get("sku")) for e in (data.get("lines") or []) if isinstance(e, Mapping)]
        if isinstance(data, Mapping)
        else []
    )
    changes = read_line_changes(data, config.known_skus(skus))
    cancelled = backorders.cancelled_units(uow, order.id)
    by_sku = {line.sku: line for line in order.lines}
    applied: list[dict[str, Any]] = []
    next_no = max((line.line_no for line in order.lines), default=0) + 1
    for change in changes:
        line = by_sku.get(change.sku)
        live = line.quantity - cancelled.get(line.line_no, 0) if line else 0
        if change.quantity == live:
            continue
        if line is None:
            product = config.product(change.sku)
            assert product is not None  # known_skus said so
            if change.quantity == 0:
                continue
            uow.session.execute(
                insert(order_lines).values(
                    order_id=order.id,
                    line_no=next_no,
                    sku=change.sku,
                    name=product.name,
                    quantity=change.quantity,
                    unit_price_minor=product.price.minor_units,
                    backordered=0,
                )
            )
            applied.append({"line_no": next_no, "sku": change.sku, "from": 0, "to": change.quantity})
            next_no += 1
        elif change.quantity == 0:
            uow.session.execute(
                insert(order_line_cancellations).values(
                    order_id=order.id,
                    line_no=line.line_no,
                    quantity=live,
                    reason=reason,
                    cancelled_at=now,
                )
            )
            applied.append({"line_no": line.line_no, "sku": change.sku, "from": live, "to": 0})
        else:
            if cancelled.get(line.line_no):
                raise InvalidOrderChange(
                    f"Line {line.line_no} ({change.sku}) was partly cancelled; add the SKU in a new order",
                    errors=[
                        {"loc": ["lines"], "path": "lines", "msg": f"{change.sku} cannot change any more"}
                    ],
                )
            uow.session.execute(
                update(order_lines)
                .where(order_lines.c.order_id == order.id, order_lines.c.line_no == line.line_no)
                .values(quantity=change.quantity, backordered=0)
            )
            applied.append({"line_no": line.line_no, "sku": change.sku, "from": live, "to": change.quantity})
    if not applied:
        raise InvalidOrderChange(
            "The edit changes nothing: every line already has that quantity",
            errors=[{"loc": ["lines"], "path": "lines", "msg": "changes nothing"}],
        )
    remaining = uow.session.execute(
        select(func.count()).select_from(order_lines).where(order_lines.c.order_id == order.id)
    ).scalar_one()
    left = sum(
        line.quantity - c
        for line in SqlOrders(uow.session).lines(order.id)
        if (c := backorders.cancelled_units(uow, order.id).get(line.line_no, 0)) < line.quantity
    )
    if not remaining or left <= 0:
        raise InvalidOrderChange(
            "The edit would leave the order without any line; cancel the order instead",
            errors=[{"loc": ["lines"], "path": "lines", "msg": "would remove every line"}],
        )
    return applied


def _adjust_payment(
    uow: SqlUnitOfWork, order: StoredOrder, new_total: Money, now: datetime
) -> dict[str, str]:
    from conveyor.services.fulfilment_handlers import PROVIDER, ledger_of, store_new_entries

    delta = new_total - order.total
    # paid in the channel (no token): the channel settles the difference; nothing authorized yet (a
    # declined card): the next authorization is for the new total
    if delta.is_zero or order.payment_token is None or ledger_of(uow, order).authorized.is_zero:
        return {"difference": delta.as_string()}
    if delta.amount > 0:
        ledger = ledger_of(uow, order)
        try:
            after = PROVIDER.authorize(ledger, token=order.payment_token, amount=delta, at=now)
        except PaymentDeclined as err:
            raise OrderNotEditable(
                f"The additional {delta} for the edit was declined ({err.extra.get('reason')}); "
                "nothing changed",
                order_id=order.id,
                reason="payment_declined",
            ) from err
        store_new_entries(uow, ledger, after, f"authorize-edit-{len(ledger.entries)}")
        order_status.milestone(
            uow,
            order.id,
            "payment.authorized",
            now,
            moves_status=False,
            amount=delta.as_string(),
            additional=True,
        )
        return {"difference": delta.as_string(), "additional_authorization": delta.as_string()}
    backorders.adjust_payment_down(uow, order, -delta, now, reason="order edited")
    return {"difference": delta.as_string(), "given_back": (-delta).as_string()}


def edit_lines(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Any,
    order_id: str,
    *,
    data: Any,
    requested_by: str | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Edit the order's lines (see the module docstring); returns what changed."""
    at = now or datetime.now(UTC)
    reason = clean_reason(data.get("reason"), required=False) if isinstance(data, Mapping) else ""
    reason = reason or "order edited"
    with uow_factory() as uow:
        order = lock_order(uow, order_id)
        check_editable(order_state(uow, order))
        backordered_before = sum(line.backordered for line in order.lines)
        applied = _apply_line_changes(uow, order, data, at, reason)
        new_total = _recompute_totals(uow, order.id, at)
        replanned = _replan(uow, workflow, order.id, at, "order edited")
        short = (
            sum(replanned["backordered"].values()) if replanned["reserved"] or replanned["backordered"] else 0
        )
        if short > backordered_before:
            lines = {line.line_no: line.sku for line in SqlOrders(uow.session).lines(order.id)}
            missing = ", ".join(
                f"{q} x {lines.get(n, n)}" for n, q in sorted(replanned["backordered"].items())
            )
            raise InsufficientStock(
                f"Not enough stock for the edit of order {order.id} ({missing} cannot be reserved); "
                "nothing changed",
                errors=[{"loc": ["lines"], "path": "lines", "msg": f"cannot reserve {missing}"}],
            )
        payment = _adjust_payment(uow, order, new_total, at)
        details = {
            "lines": applied,
            "total": new_total.as_string(),
            **payment,
            "reserved": replanned["reserved"],
        }
        record_change(
            uow, order.id, "edit", outcome="applied", reason=reason, by=requested_by, at=at, details=details
        )
        order_status.milestone(
            uow,
            order.id,
            "order.edited",
            at,
            moves_status=False,
            lines=applied,
            total=new_total.as_string(),
            **payment,
        )
        record_exception(
            uow,
            type="order.edited",
            summary=f"Order {order.id} edited: "
            + ", ".join(f"{a['sku']} {a['from']} -> {a['to']}" for a in applied),
            order_id=order.id,
            process_instance_id=order.process_instance_id,
            reason_text=reason,
            details=details,
            now=at,
        )
        uow.commit()
    return {"lines": applied, "total": new_total.as_string(), **payment}


class InterceptHandlers:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))

    def record_intercept(self, ctx: HandlerContext, uow: SqlUnitOfWork) -> Mapping[str, Any] | None:
        return record_intercept(ctx, uow, self.clock())


def register(registry: Any, *, clock: Clock | None = None) -> InterceptHandlers:
    handlers = InterceptHandlers(clock)
    registry.register("order.record_intercept", handlers.record_intercept)
    return handlers
