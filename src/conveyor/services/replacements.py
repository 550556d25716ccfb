"""Replacement orders: a free re-send of goods through the normal fulfilment process.

A return resolved by ``replacement`` and a carrier exception decided as
``reship`` both place a new order for the same customer and address, in the
same channel, with the replaced lines at a price of zero and no payment to
take (the customer paid for the original). The new order runs the channel's
process (``order-fulfillment`` by default: allocation, picking, shipping) like
any other, started in the caller's transaction, and records
``order.replacement_created`` on the original order linking both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.order_drafts import order_from_draft
from conveyor.services import order_status
from conveyor.services.finance_settings import workflow_of
from conveyor.services.orders import new_order_id
from conveyor.services.unit_of_work import SqlUnitOfWork


def place_replacement(
    uow: SqlUnitOfWork,
    original: StoredOrder,
    lines: Sequence[tuple[str, int]],
    *,
    reference: str,
    now: datetime,
) -> str:
    """Place and start a zero-priced order for ``lines`` (sku, quantity); returns its id."""
    config = SqlConfiguration(uow.session)
    channel = config.channel(original.channel)
    process = channel.process_id if channel is not None else "order-fulfillment"
    names = {line.sku: line.name for line in original.lines}
    draft = {
        "external_id": f"{original.external_id}-{reference}",
        "currency": original.currency,
        "customer": original.customer,
        "shipping_address": original.shipping_address,
        "billing_address": original.billing_address,
        "lines": [
            {"sku": sku, "quantity": quantity, "unit_price": "0", "name": names.get(sku, sku)}
            for sku, quantity in lines
        ],
        "shipping": "0",
    }
    order = order_from_draft(
        draft,
        order_id=new_order_id(),
        channel=original.channel,
        placed_at=now,
        known_skus=config.known_skus([sku for sku, _ in lines]),
    )
    repo = SqlOrders(uow.session)
    repo.add(order, idempotency_key=None, payment_token=None, at=now)
    uow.session.flush()
    order_status.milestone(
        uow,
        order.id,
        "order.created",
        now,
        channel=original.channel,
        external_id=order.external_id,
        replacement_for=original.id,
    )
    order_status.milestone(
        uow,
        original.id,
        "order.replacement_created",
        now,
        moves_status=False,
        replacement_order_id=order.id,
        reference=reference,
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
    )
    started = workflow_of(uow).start(
        process,
        {"order_id": order.id, "channel": original.channel, "total": "0", "replacement_for": original.id},
        business_key=order.id,
        uow=uow,
    )
    repo.set_process_instance(order.id, started.id)
    return order.id
