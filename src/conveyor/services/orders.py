"""Placing and reading orders.

``place_order`` validates a channel's order with the domain (every broken
field named at once, nothing written), stores it and starts the channel's
process in the **same** unit of work: the order and its workflow exist
together or not at all. The process runs its inline steps in that
transaction too (payment, allocation, pick lists), so when ``place_order``
returns the order already has its reservations and pick lists, or waits at
the quality check.

Placing is idempotent: an order is found again by channel + external id, or
by the caller's ``Idempotency-Key``; a repeat returns the stored order with
``created=False``. Two racing first placements are settled by the unique
constraints: the loser's transaction rolls back and it returns the winner's.
On SQLite, where writers queue for one lock, a placement that waited past
the busy timeout is simply tried again (it wrote nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError, OperationalError

from conveyor.adapters.repositories.configuration import SqlConfiguration
from conveyor.adapters.repositories.orders import SqlOrders, StoredOrder
from conveyor.domain.order_drafts import order_from_draft
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.services import order_status
from conveyor.services.stock_keeping import begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork

_PLACING_FIELDS = ("payment_token",)
#: how often placing is tried when SQLite's write lock stays taken past its busy timeout
BUSY_ATTEMPTS = 6


class ProcessStarter(Protocol):
    """What placing needs of the workflow runtime (``conveyor.services.workflow.Workflow``)."""

    def start(
        self,
        process: str,
        variables: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        business_key: str | None = None,
        uow: SqlUnitOfWork | None = None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order: StoredOrder
    created: bool


def new_order_id() -> str:
    return f"ORD-{uuid.uuid4().hex[:16].upper()}"


def _idempotency_conflict(key: str) -> Conflict:
    return Conflict(
        f"The Idempotency-Key {key!r} was already used for another order; send a new key",
        errors=[{"loc": ["header", "Idempotency-Key"], "msg": "already used for another order"}],
    )


def checked_against_channel(
    order: Any, channel: Any, channel_code: str, draft: Mapping[str, Any]
) -> str | None:
    """The draft's payment token, once the order's currency is the channel's (else InvalidInput naming it)."""
    if order.currency != channel.currency:
        raise InvalidInput(
            f"Channel {channel_code} sells in {channel.currency}, the order is in {order.currency}",
            errors=[{"loc": ["currency"], "path": "currency", "msg": f"must be {channel.currency}"}],
        )
    token = draft.get("payment_token")
    if token is not None and not isinstance(token, str):
        raise InvalidInput(
            "payment_token must be text",
            errors=[{"loc": ["payment_token"], "path": "payment_token", "msg": "must be text"}],
        )
    return token


def place_order(
    uow_factory: Any,
    workflow: ProcessStarter,
    *,
    channel: str,
    draft: Mapping[str, Any],
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> PlacedOrder:
    """Validate, store and start the order's process; see the module docstring.

    ``uow_factory()`` gives a fresh ``SqlUnitOfWork`` (a lost race needs a second one).
    """
    try:
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                return _place(
                    uow_factory(), workflow, channel, draft, idempotency_key, now or datetime.now(UTC)
                )
            except OperationalError as err:
                if attempt == BUSY_ATTEMPTS or not _is_busy(err):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover
    except IntegrityError:  # a racing placement of the same order won
        with uow_factory() as uow:
            existing = SqlOrders(uow.session).find_existing(
                channel, str(draft.get("external_id", "")), idempotency_key
            )
            if existing is None:
                raise
            order = SqlOrders(uow.session).get(existing)
        assert order is not None
        _check_same_order(order, channel, draft, idempotency_key)
        return PlacedOrder(order, created=False)


def _is_busy(err: OperationalError) -> bool:
    """SQLite gave up waiting for the write lock (its busy timeout) while many orders queued for it."""
    return "database is locked" in str(err.orig)


def _check_same_order(order: StoredOrder, channel: str, draft: Mapping[str, Any], key: str | None) -> None:
    if (
        key
        and order.idempotency_key == key
        and (order.channel, order.external_id) != (channel, str(draft.get("external_id", "")).strip())
    ):
        raise _idempotency_conflict(key)


def _place(
    uow: SqlUnitOfWork,
    workflow: ProcessStarter,
    channel_code: str,
    draft: Mapping[str, Any],
    idempotency_key: str | None,
    now: datetime,
) -> PlacedOrder:
    if not isinstance(draft, Mapping):
        raise InvalidInput("An order must be a JSON object")
    with uow:
        begin_writing(uow.session)
        repo = SqlOrders(uow.session)
        external_id = str(draft.get("external_id", "")).strip()
        existing = (
            repo.find_existing(channel_code, external_id, idempotency_key)
            if external_id or idempotency_key
            else None
        )
        if existing is not None:
            found = repo.get(existing)
            assert found is not None
            _check_same_order(found, channel_code, draft, idempotency_key)
            return PlacedOrder(found, created=False)
        config = SqlConfiguration(uow.session)
        channel = config.channel(channel_code)
        if channel is None or not channel.active:
            known = ", ".join(sorted(c.code for c in config.channels() if c.active)) or "none"
            raise NotFound(
                f"There is no active sales channel {channel_code!r} (known: {known})",
                errors=[{"loc": ["channel"], "path": "channel", "msg": f"unknown channel {channel_code!r}"}],
            )
        fields = {k: v for k, v in draft.items() if k not in _PLACING_FIELDS}
        skus = [str(line.get("sku")) for line in draft.get("lines") or [] if isinstance(line, Mapping)]
        known_skus = config.known_skus(skus)
        prices = {sku: p.price for sku in known_skus if (p := config.product(sku)) is not None}
        order = order_from_draft(
            fields,
            order_id=new_order_id(),
            channel=channel_code,
            placed_at=now,
            known_skus=known_skus,
            catalog_prices=prices,
        )
        token = checked_against_channel(order, channel, channel_code, draft)
        repo.add(order, idempotency_key=idempotency_key, payment_token=token, at=now)
        uow.session.flush()
        order_status.milestone(
            uow, order.id, "order.created", now, channel=channel_code, external_id=order.external_id
        )
        started = workflow.start(
            channel.process_id,
            {"order_id": order.id, "channel": channel_code, "total": str(order.totals.total.amount)},
            business_key=order.id,
            uow=uow,
        )
        repo.set_process_instance(order.id, started.id)
        stored = repo.get(order.id)
        uow.commit()
    assert stored is not None
    return PlacedOrder(stored, created=True)


def get_order(uow: SqlUnitOfWork, order_id: str) -> StoredOrder:
    with uow:
        order = SqlOrders(uow.session).get(order_id)
    if order is None:
        raise NotFound(f"There is no order {order_id!r}; GET /api/v1/orders lists them")
    return order
