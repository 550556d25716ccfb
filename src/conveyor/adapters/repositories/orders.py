"""The order tables of one transaction: orders and lines, payment entries, pick lists, shipments, tracking.

Rows come back as small read records (``StoredOrder``, ``StoredPickList``,
``StoredShipment``); the services turn them into domain objects where a rule
needs one. Amounts are integer minor units next to the order's currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from conveyor.adapters.db.order_tables import (
    order_lines,
    orders,
    payment_entries,
    pick_list_lines,
    pick_lists,
    shipments,
    tracking_events,
)
from conveyor.domain.addresses import Address
from conveyor.domain.money import Money
from conveyor.domain.orders import Order
from conveyor.domain.payments import PaymentEntry, PaymentEntryKind, PaymentLedger


@dataclass(frozen=True, slots=True)
class StoredLine:
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    backordered: int


@dataclass(frozen=True, slots=True)
class StoredOrder:
    id: str
    channel: str
    external_id: str
    idempotency_key: str | None
    status: str
    currency: str
    customer: dict[str, Any]
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    subtotal_minor: int
    shipping_minor: int
    tax_minor: int
    discount_minor: int
    total_minor: int
    payment_token: str | None
    process_instance_id: str | None
    placed_at: datetime
    created_at: datetime
    updated_at: datetime
    lines: tuple[StoredLine, ...] = field(default=())

    @property
    def total(self) -> Money:
        return Money.from_minor(self.total_minor, self.currency)

    @property
    def destination(self) -> Address:
        return Address.from_mapping(self.shipping_address)


@dataclass(frozen=True, slots=True)
class StoredPickLine:
    position: int
    sku: str
    quantity: int
    bin_location: str | None
    picked: int | None


@dataclass(frozen=True, slots=True)
class StoredPickList:
    id: str
    order_id: str
    warehouse: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    lines: tuple[StoredPickLine, ...]


@dataclass(frozen=True, slots=True)
class StoredShipment:
    id: str
    order_id: str
    warehouse: str
    pick_list_id: str | None
    status: str
    carrier: str | None
    service: str | None
    tracking_number: str | None
    weight_grams: int | None
    price_minor: int | None
    currency: str | None
    promised_by: datetime | None
    created_at: datetime
    handed_over_at: datetime | None
    delivered_at: datetime | None
    has_label: bool


def _order(row: Any, lines: Sequence[StoredLine] = ()) -> StoredOrder:
    m = row._mapping
    return StoredOrder(
        id=m["id"],
        channel=m["channel_code"],
        external_id=m["external_id"],
        idempotency_key=m["idempotency_key"],
        status=m["status"],
        currency=m["currency"],
        customer=dict(m["customer"]),
        shipping_address=dict(m["shipping_address"]),
        billing_address=dict(m["billing_address"]),
        subtotal_minor=m["subtotal_minor"],
        shipping_minor=m["shipping_minor"],
        tax_minor=m["tax_minor"],
        discount_minor=m["discount_minor"],
        total_minor=m["total_minor"],
        payment_token=m["payment_token"],
        process_instance_id=m["process_instance_id"],
        placed_at=m["placed_at"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        lines=tuple(lines),
    )


_SHIPMENT_COLUMNS = [c for c in shipments.c if c.name != "label_pdf"]


def _shipment(row: Any) -> StoredShipment:
    m = row._mapping
    return StoredShipment(
        id=m["id"],
        order_id=m["order_id"],
        warehouse=m["warehouse_code"],
        pick_list_id=m["pick_list_id"],
        status=m["status"],
        carrier=m["carrier_code"],
        service=m["service_code"],
        tracking_number=m["tracking_number"],
        weight_grams=m["weight_grams"],
        price_minor=m["price_minor"],
        currency=m["currency"],
        promised_by=m["promised_by"],
        created_at=m["created_at"],
        handed_over_at=m["handed_over_at"],
        delivered_at=m["delivered_at"],
        has_label=bool(m["has_label"]),
    )


class SqlOrders:
    """Reads and writes of the order tables inside the caller's transaction (never commits)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    # --- orders -------------------------------------------------------------------------------

    def add(
        self, order: Order, *, idempotency_key: str | None, payment_token: str | None, at: datetime
    ) -> None:
        t = order.totals
        self._s.execute(
            insert(orders).values(
                id=order.id,
                channel_code=order.channel,
                external_id=order.external_id,
                idempotency_key=idempotency_key,
                status=order.status.value,
                currency=order.currency,
                customer={
                    "name": order.customer.name,
                    "email": order.customer.email,
                    "phone": order.customer.phone,
                    "external_id": order.customer.external_id,
                },
                shipping_address=order.shipping_address.as_mapping(),
                billing_address=order.billing_address.as_mapping(),
                subtotal_minor=t.subtotal.minor_units,
                shipping_minor=t.shipping.minor_units,
                tax_minor=t.tax.minor_units,
                discount_minor=t.discount.minor_units,
                total_minor=t.total.minor_units,
                payment_token=payment_token,
                process_instance_id=None,
                placed_at=order.placed_at,
                created_at=at,
                updated_at=at,
            )
        )
        self._s.execute(
            insert(order_lines),
            [
                {
                    "order_id": order.id,
                    "line_no": line.line_no,
                    "sku": line.sku,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unit_price_minor": line.unit_price.minor_units,
                    "backordered": 0,
                }
                for line in order.lines
            ],
        )

    def find_existing(self, channel: str, external_id: str, idempotency_key: str | None) -> str | None:
        """The id of the order already placed under this channel + external id or idempotency key."""
        condition = and_(orders.c.channel_code == channel, orders.c.external_id == external_id)
        if idempotency_key:
            condition = or_(condition, orders.c.idempotency_key == idempotency_key)
        return self._s.execute(select(orders.c.id).where(condition).limit(1)).scalar()

    def get(self, order_id: str, *, with_lines: bool = True) -> StoredOrder | None:
        row = self._s.execute(select(orders).where(orders.c.id == order_id)).first()
        if row is None:
            return None
        return _order(row, self.lines(order_id) if with_lines else ())

    def lines(self, order_id: str) -> list[StoredLine]:
        query = select(order_lines).where(order_lines.c.order_id == order_id).order_by(order_lines.c.line_no)
        return [
            StoredLine(r.line_no, r.sku, r.name, r.quantity, r.unit_price_minor, r.backordered)
            for r in self._s.execute(query)
        ]

    def status(self, order_id: str) -> str | None:
        return self._s.execute(select(orders.c.status).where(orders.c.id == order_id)).scalar()

    def set_status(self, order_id: str, status: str, at: datetime, *, unless: Sequence[str] = ()) -> None:
        """Set the status, except when it is one of ``unless`` (final statuses stay): one statement."""
        query = update(orders).where(orders.c.id == order_id)
        if unless:
            query = query.where(orders.c.status.not_in(list(unless)))
        self._s.execute(query.values(status=status, updated_at=at))

    def set_process_instance(self, order_id: str, instance_id: str) -> None:
        self._s.execute(update(orders).where(orders.c.id == order_id).values(process_instance_id=instance_id))

    def add_backordered(self, order_id: str, line_no: int, units: int) -> None:
        c = order_lines.c
        self._s.execute(
            update(order_lines)
            .where(c.order_id == order_id, c.line_no == line_no)
            .values(
                backordered=func.min(c.quantity, c.backordered + units)
                if self._s.get_bind().dialect.name == "sqlite"
                else func.least(c.quantity, c.backordered + units)
            )
        )

    def page(
        self,
        *,
        status: str | None = None,
        channel: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> list[StoredOrder]:
        """Newest first; ``after`` is the (created_at, id) of the last order of the previous page."""
        query = select(orders)
        if status:
            query = query.where(orders.c.status == status)
        if channel:
            query = query.where(orders.c.channel_code == channel)
        if after is not None:
            at, last_id = after
            query = query.where(
                or_(orders.c.created_at < at, and_(orders.c.created_at == at, orders.c.id < last_id))
            )
        query = query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        return [_order(row) for row in self._s.execute(query)]

    def count(self) -> int:
        return int(self._s.execute(select(func.count()).select_from(orders)).scalar() or 0)

    # --- payments -----------------------------------------------------------------------------

    def add_payment_entry(
        self,
        order_id: str,
        *,
        kind: str,
        amount_minor: int,
        currency: str,
        transaction_id: str,
        idempotency_key: str,
        at: datetime,
        reason: str = "",
    ) -> None:
        self._s.execute(
            insert(payment_entries).values(
                order_id=order_id,
                kind=kind,
                amount_minor=amount_minor,
                currency=currency,
                provider="sandbox",
                transaction_id=transaction_id,
                idempotency_key=idempotency_key,
                reason=reason,
                at=at,
            )
        )

    def payment_entries(self, order_id: str) -> list[Any]:
        query = (
            select(payment_entries)
            .where(payment_entries.c.order_id == order_id)
            .order_by(payment_entries.c.id)
        )
        return list(self._s.execute(query))

    def payment_ledger(self, order_id: str, currency: str) -> PaymentLedger:
        """The order's payment ledger (authorizations, captures, voids, refunds) from its stored entries."""
        entries = tuple(
            PaymentEntry(
                PaymentEntryKind(row.kind),
                Money.from_minor(row.amount_minor, row.currency),
                row.transaction_id,
                row.at,
                row.reason,
            )
            for row in self.payment_entries(order_id)
        )
        return PaymentLedger(order_id, currency, entries)

    # --- pick lists ---------------------------------------------------------------------------

    def add_pick_list(
        self,
        pick_list_id: str,
        order_id: str,
        warehouse: str,
        status: str,
        at: datetime,
        lines: Sequence[tuple[str, int, str | None]],
    ) -> None:
        self._s.execute(
            insert(pick_lists).values(
                id=pick_list_id,
                order_id=order_id,
                warehouse_code=warehouse,
                status=status,
                created_at=at,
            )
        )
        self._s.execute(
            insert(pick_list_lines),
            [
                {
                    "pick_list_id": pick_list_id,
                    "position": index + 1,
                    "sku": sku,
                    "quantity": quantity,
                    "bin_location": bin_location,
                    "picked": None,
                }
                for index, (sku, quantity, bin_location) in enumerate(lines)
            ],
        )

    def confirm_pick_list(
        self, pick_list_id: str, status: str, picked: dict[str, int], at: datetime, by: str | None
    ) -> None:
        self._s.execute(
            update(pick_lists)
            .where(pick_lists.c.id == pick_list_id)
            .values(status=status, confirmed_at=at, confirmed_by=by)
        )
        for sku, units in picked.items():
            self._s.execute(
                update(pick_list_lines)
                .where(pick_list_lines.c.pick_list_id == pick_list_id, pick_list_lines.c.sku == sku)
                .values(picked=units)
            )

    def cancel_open_pick_lists(self, order_id: str) -> int:
        result = self._s.execute(
            update(pick_lists)
            .where(pick_lists.c.order_id == order_id, pick_lists.c.status == "open")
            .values(status="cancelled")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def pick_list(self, pick_list_id: str) -> StoredPickList | None:
        found = self.pick_lists(ids=[pick_list_id])
        return found[0] if found else None

    def pick_lists(
        self,
        *,
        ids: Sequence[str] | None = None,
        order_id: str | None = None,
        warehouse: str | None = None,
        status: str | None = None,
        limit: int = 500,
    ) -> list[StoredPickList]:
        query = select(pick_lists)
        if ids is not None:
            query = query.where(pick_lists.c.id.in_(list(ids)))
        for column, value in (
            (pick_lists.c.order_id, order_id),
            (pick_lists.c.warehouse_code, warehouse),
            (pick_lists.c.status, status),
        ):
            if value is not None:
                query = query.where(column == value)
        rows = list(self._s.execute(query.order_by(pick_lists.c.created_at, pick_lists.c.id).limit(limit)))
        if not rows:
            return []
        lines: dict[str, list[StoredPickLine]] = {}
        line_query = select(pick_list_lines).where(pick_list_lines.c.pick_list_id.in_([r.id for r in rows]))
        for line in self._s.execute(
            line_query.order_by(pick_list_lines.c.pick_list_id, pick_list_lines.c.position)
        ):
            lines.setdefault(line.pick_list_id, []).append(
                StoredPickLine(line.position, line.sku, line.quantity, line.bin_location, line.picked)
            )
        return [
            StoredPickList(
                r.id,
                r.order_id,
                r.warehouse_code,
                r.status,
                r.created_at,
                r.confirmed_at,
                r.confirmed_by,
                tuple(lines.get(r.id, ())),
            )
            for r in rows
        ]

    # --- shipments ----------------------------------------------------------------------------

    def add_shipment(
        self,
        shipment_id: str,
        order_id: str,
        warehouse: str,
        pick_list_id: str,
        weight_grams: int,
        at: datetime,
    ) -> None:
        self._s.execute(
            insert(shipments).values(
                id=shipment_id,
                order_id=order_id,
                warehouse_code=warehouse,
                pick_list_id=pick_list_id,
                status="packed",
                weight_grams=weight_grams,
                created_at=at,
            )
        )

    def update_shipment(self, shipment_id: str, **values: Any) -> None:
        self._s.execute(update(shipments).where(shipments.c.id == shipment_id).values(**values))

    def shipments(
        self,
        *,
        order_id: str | None = None,
        status: str | None = None,
        ids: Sequence[str] | None = None,
        after: str | None = None,
        limit: int = 500,
    ) -> list[StoredShipment]:
        query = select(*_SHIPMENT_COLUMNS, shipments.c.label_pdf.is_not(None).label("has_label"))
        if order_id is not None:
            query = query.where(shipments.c.order_id == order_id)
        if status is not None:
            query = query.where(shipments.c.status == status)
        if ids is not None:
            query = query.where(shipments.c.id.in_(list(ids)))
        if after is not None:
            query = query.where(shipments.c.id > after)
        return [_shipment(r) for r in self._s.execute(query.order_by(shipments.c.id).limit(limit))]

    def shipment(self, shipment_id: str) -> StoredShipment | None:
        found = self.shipments(ids=[shipment_id])
        return found[0] if found else None

    def label(self, shipment_id: str) -> bytes | None:
        return self._s.execute(select(shipments.c.label_pdf).where(shipments.c.id == shipment_id)).scalar()

    def add_tracking_event(
        self,
        shipment_id: str,
        type: str,
        at: datetime,
        location: str,
        details: dict[str, Any] | None,
        received_at: datetime,
    ) -> bool:
        """False when the same event (type and time) was already recorded."""
        c = tracking_events.c
        seen = self._s.execute(
            select(c.id).where(c.shipment_id == shipment_id, c.type == type, c.at == at)
        ).first()
        if seen is not None:
            return False
        self._s.execute(
            insert(tracking_events).values(
                shipment_id=shipment_id,
                type=type,
                at=at,
                location=location,
                details=details,
                received_at=received_at,
            )
        )
        return True

    def tracking_events(self, shipment_ids: Sequence[str]) -> list[Any]:
        if not shipment_ids:
            return []
        query = select(tracking_events).where(tracking_events.c.shipment_id.in_(list(shipment_ids)))
        return list(self._s.execute(query.order_by(tracking_events.c.at, tracking_events.c.id)))
