"""Placing many orders in one transaction: the path of bulk import and of the API's group commit.

``place_orders(requests)`` does for a batch what ``orders.place_order`` does
for one order, with the same result per order, in one transaction:

1. the write lock first (SQLite ``BEGIN IMMEDIATE``), the configuration from
   the per-process cache (``config_cache``), and the orders already placed
   under the batch's channel + external ids or idempotency keys (one query);
2. every order validated in memory (``order_from_draft``, the channel, its
   currency): an invalid order is rejected alone, with the same error the
   single path gives, and writes nothing; a repeat (already stored, or twice
   in the batch) is answered with the stored order, ``created=False``;
3. the stock levels of every SKU in the batch read once, under the lock
   (PostgreSQL: ``SELECT ... FOR UPDATE`` of those rows in (warehouse, SKU)
   order; SQLite: the transaction is the only writer);
4. each order's ``order-fulfillment`` (its channel's process) instance runs
   through the engine (``services.workflow.batch``) with the batch's handlers
   for payment, allocation and pick lists: the same domain rules
   (``SandboxPaymentProvider``, ``domain.allocation.allocate``,
   ``PickList.create``) and the same milestones as the handlers in
   ``fulfilment_handlers``, but against the in-memory stock and
   configuration, their rows collected instead of written one by one;
5. everything inserted with one executemany per table (orders, lines,
   payment entries, reservations, ledger rows, pick lists and lines, process
   instances, waits, user tasks, history, outbox), and the stock reserved by
   one guarded ``UPDATE`` per (warehouse, SKU) with the batch's total: the
   guard (``on_hand - reserved >= total``) is checked by the database, so
   nothing can be oversold even if the snapshot were wrong (the batch would
   roll back whole and its orders be placed one by one);
6. one commit: the batch is there whole or not at all.

An order whose start is not plain (the card is declined or the provider
fails, something is backordered, the address needs geocoding that fails, a
warehouse confirms picks automatically, the process does something the
batch does not model) is left out of the batch before anything of it is
kept, and placed on the single path after the batch committed, in its own
transaction. The outcome per request is the same either way; the single
path is just slower.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from conveyor.adapters.db.inventory_tables import reservations, stock_levels, stock_movements
from conveyor.adapters.db.order_tables import (
    order_lines,
    orders,
    payment_entries,
    pick_list_lines,
    pick_lists,
)
from conveyor.adapters.geocoding import shared_geocoder
from conveyor.adapters.repositories.orders import StoredLine, StoredOrder, StoredPickLine, StoredPickList
from conveyor.domain.allocation import AllocationStrategy, CandidateWarehouse, RequestedLine, allocate
from conveyor.domain.errors import PaymentDeclined
from conveyor.domain.fulfilment import PickList
from conveyor.domain.inventory import MovementType, ReferenceType, StockMovement
from conveyor.domain.money import Money
from conveyor.domain.order_drafts import order_from_draft
from conveyor.domain.orders import Order
from conveyor.domain.payments import PaymentLedger, SandboxPaymentProvider
from conveyor.engine.runtime import HandlerContext, Handlers
from conveyor.errors import ConveyorError, InvalidInput, NotFound
from conveyor.services import order_status, order_views
from conveyor.services.config_cache import ConfigCache, shared_config_cache
from conveyor.services.fulfilment_handlers import OrderHandlers
from conveyor.services.orders import (
    _PLACING_FIELDS,
    BUSY_ATTEMPTS,
    _idempotency_conflict,
    _is_busy,
    checked_against_channel,
    place_order,
)
from conveyor.services.pick_lists import new_pick_list_id
from conveyor.services.stock_keeping import begin_writing
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.batch import InstanceBatch, StagedStart
from conveyor.services.workflow.operations import Workflow

Clock = Callable[[], datetime]
_PROVIDER = SandboxPaymentProvider()
#: batches of this many orders or more are prepared outside the write lock (``place_orders``)
OPTIMISTIC_FROM = 32
#: the task types the batch runs itself, and the ``OrderHandlers`` method each stands for
BATCHED_TASKS = {
    "payment.verify": "verify_payment",
    "inventory.allocate": "allocate",
    "fulfillment.create_pick_lists": "create_pick_lists",
}


# Statements built once (bound parameters): building and hashing a statement per batch costs more
# than running it when batches are small (the API's group commit).
_sl = stock_levels.c
_STOCK_OF_SKUS = (
    select(_sl.warehouse_code, _sl.sku, _sl.on_hand, _sl.reserved, _sl.bin_location)
    .where(_sl.sku.in_(bindparam("p_skus", expanding=True)))
    .order_by(_sl.warehouse_code, _sl.sku)
)
_STOCK_OF_SKUS_LOCKED = _STOCK_OF_SKUS.with_for_update()
_RESERVE_TOTAL = (
    update(stock_levels)
    .where(
        _sl.warehouse_code == bindparam("p_w"),
        _sl.sku == bindparam("p_s"),
        _sl.on_hand - _sl.reserved >= bindparam("p_q"),
    )
    .values(reserved=_sl.reserved + bindparam("p_q"), updated_at=bindparam("p_at"))
)
_o = orders.c
_STORED_BY_EXTERNAL = select(_o.id, _o.channel_code, _o.external_id, _o.idempotency_key).where(
    _o.channel_code.in_(bindparam("p_channels", expanding=True)),
    _o.external_id.in_(bindparam("p_externals", expanding=True)),
)
_STORED_BY_KEY = select(_o.id, _o.channel_code, _o.external_id, _o.idempotency_key).where(
    _o.idempotency_key.in_(bindparam("p_keys", expanding=True))
)
_INSERT = {
    table.name: insert(table)
    for table in (
        orders, order_lines, payment_entries, reservations, stock_movements, pick_lists, pick_list_lines
    )
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One order to place: what ``POST /orders`` or one import row carries."""

    channel: str
    draft: Mapping[str, Any]
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of one request: placed now, found placed before, or rejected with an error."""

    order_id: str | None
    created: bool
    error: ConveyorError | None = None
    #: the order's detail as ``order_views.order_detail`` shows it, when asked for (``with_detail``)
    #: and the order was placed by the batch (else None: read it)
    detail: dict[str, Any] | None = None

    @property
    def rejected(self) -> bool:
        return self.error is not None


@dataclass
class BatchStats:
    """How a batch went (for benchmarks and the import summary)."""

    batched: int = 0
    single: int = 0
    existing: int = 0
    rejected: int = 0
    #: batches prepared again under the lock because something moved while they were prepared
    redone: int = 0


class _NotBatchable(Exception):
    """The order's start is not plain; it is placed on the single path instead."""


def place_orders(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Workflow,
    requests: Sequence[OrderRequest],
    *,
    now: datetime | None = None,
    cache: ConfigCache | None = None,
    stats: BatchStats | None = None,
    write_lock: AbstractContextManager[Any] | None = None,
    with_detail: bool = False,
    optimistic: bool | None = None,
) -> list[BatchOutcome]:
    """Place ``requests`` as one batch (see the module docstring); one outcome per request, in order.

    ``write_lock`` (e.g. a ``multiprocessing.Lock`` shared by import workers) is held around each
    write: writers of one import then hand the database over at once instead of polling SQLite's
    busy timeout. ``optimistic``: prepare outside the write lock (see ``_Batch.run``); by default
    for batches of ``OPTIMISTIC_FROM`` orders or more: a small batch is prepared quickly, and its
    second transaction and checks would cost more than the lock time they save.
    ``with_detail``: each order the batch placed comes with its detail, built from
    what was written (the API answers with it without reading the order back).
    """
    stats = stats if stats is not None else BatchStats()
    if not requests:
        return []
    outcomes: list[BatchOutcome | None]
    duplicates: dict[int, int] = {}
    cache = cache or shared_config_cache()
    if optimistic is None:
        optimistic = len(requests) >= OPTIMISTIC_FROM
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                batch = _Batch(workflow, requests, now, cache, write_lock or nullcontext(), with_detail)
                outcomes, single = batch.run(uow_factory, stats, optimistic=optimistic)
                duplicates = batch.duplicates
                break
            except _StaleSnapshot:  # something changed while the batch was prepared: again, under the lock
                optimistic = False
                stats.redone += 1
            except OperationalError as err:
                if attempt >= BUSY_ATTEMPTS or not _is_busy(err):
                    raise
    except (IntegrityError, _GuardRefused):
        # a concurrent placement of one of these orders committed first, or the stock moved:
        # nothing of the batch was written; the single path settles each order on its own
        outcomes, single = [None] * len(requests), list(range(len(requests)))
    for index in single:
        outcomes[index] = _place_single(uow_factory, workflow, requests[index], now, stats)
    for index, first in duplicates.items():  # the same order twice in one batch: answered like a repeat
        earlier = outcomes[first]
        if earlier is not None and earlier.order_id is not None:
            outcomes[index] = BatchOutcome(earlier.order_id, False)
            stats.existing += 1
        else:
            outcomes[index] = _place_single(uow_factory, workflow, requests[index], now, stats)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def time_ordered_order_id() -> str:
    """An order id in ``orders.new_order_id``'s format (``ORD-`` and 16 hex digits), time first.

    13 digits of microseconds, then 3 random: a batch's orders (and their lines, reservations,
    pick lists and ledger rows, all indexed by order id) append to the indexes instead of
    landing on random pages, so a large import does not slow down as the tables grow. Two ids
    can only clash within the same microsecond (1 in 4,096); a clash is a unique-key error and the
    batch's orders are then placed one by one, so it costs time, never an order.
    """
    return f"ORD-{time.time_ns() // 1000:013X}{os.urandom(2).hex()[:3].upper()}"


def _place_single(
    uow_factory: Callable[[], SqlUnitOfWork],
    workflow: Workflow,
    request: OrderRequest,
    now: datetime | None,
    stats: BatchStats,
) -> BatchOutcome:
    try:
        placed = place_order(
            uow_factory,
            workflow,
            channel=request.channel,
            draft=request.draft,
            idempotency_key=request.idempotency_key,
            now=now,
        )
    except ConveyorError as err:
        stats.rejected += 1
        return BatchOutcome(None, False, err)
    if placed.created:
        stats.single += 1
    else:
        stats.existing += 1
    return BatchOutcome(placed.order.id, placed.created)


class _GuardRefused(Exception):
    """A batch's guarded stock update matched no row: the batch is rolled back whole."""


class _StaleSnapshot(Exception):
    """What a batch prepared outside the write lock no longer holds; it is prepared again under the lock."""


@dataclass
class _Staging:
    """One order's rows and events while its instance runs; kept only if the start is plain."""

    order: Order
    token: str | None
    channel_code: str
    events: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    reservations: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    pick_lists: list[dict[str, Any]] = field(default_factory=list)
    pick_lines: list[dict[str, Any]] = field(default_factory=list)
    taken: dict[tuple[str, str], int] = field(default_factory=dict)
    not_batchable: str | None = None

    def milestone(self, event_type: str, at: datetime, **data: Any) -> None:
        self.events.append({"type": event_type, "order_id": self.order.id, "at": at.isoformat(), **data})


class _Batch:
    def __init__(
        self,
        workflow: Workflow,
        requests: Sequence[OrderRequest],
        now: datetime | None,
        cache: ConfigCache,
        write_lock: AbstractContextManager[Any],
        with_detail: bool = False,
    ) -> None:
        self.workflow = workflow
        self.write_lock = write_lock
        self.with_detail = with_detail
        #: order id -> what its detail is built from (``with_detail``)
        self.parts: dict[str, tuple[_Staging, StagedStart]] = {}
        self.requests = requests
        self.fixed_now = now
        self.cache = cache
        self.clock = _handler_clock(workflow)
        self.instances = InstanceBatch(workflow)
        self.available: dict[tuple[str, str], int] = {}
        self.bins: dict[tuple[str, str], str | None] = {}
        self.reserved: dict[tuple[str, str], int] = {}
        self.order_rows: list[dict[str, Any]] = []
        self.order_row_of: dict[str, dict[str, Any]] = {}
        self.task_ids: dict[tuple[str, int], int] = {}
        #: events of the kept orders, in the order the single path records them
        self.events: list[dict[str, Any]] = []
        #: request indexes of the orders kept in the batch
        self.kept_indexes: list[int] = []
        self.line_rows: list[dict[str, Any]] = []
        self.payment_rows: list[dict[str, Any]] = []
        self.reservation_rows: list[dict[str, Any]] = []
        self.movement_rows: list[dict[str, Any]] = []
        self.pick_list_rows: list[dict[str, Any]] = []
        self.pick_line_rows: list[dict[str, Any]] = []
        #: request index -> the index of the same order earlier in the batch
        self.duplicates: dict[int, int] = {}
        self._engine_handlers: Handlers | None = None

    def now(self) -> datetime:
        """The handlers' time (their clock, as ``OrderHandlers`` reads it)."""
        return self.clock()

    # --- the batch --------------------------------------------------------------------------------

    def run(
        self, uow_factory: Callable[[], SqlUnitOfWork], stats: BatchStats, *, optimistic: bool
    ) -> tuple[list[BatchOutcome | None], list[int]]:
        """Prepare and write the batch; ``optimistic``: prepare in a read transaction, outside the lock.

        The CPU work (validation, the engine runs) is most of a batch; prepared outside the write
        lock, several processes (``orders import --jobs``, API workers) prepare at the same time and
        only queue for the lock to write. Under the lock the write checks that nothing it relied on
        moved (configuration, repeats, buffered messages; the stock by the guarded updates), else
        it raises ``_StaleSnapshot`` and ``place_orders`` prepares the batch again under the lock.
        """
        outcomes: list[BatchOutcome | None] = [None] * len(self.requests)
        single: list[int] = []
        counts = BatchStats()
        if optimistic:
            with uow_factory() as read:
                self._prepare(read.session, outcomes, single, counts, lock_stock=False)
            with self.write_lock, uow_factory() as uow:
                begin_writing(uow.session)
                self._check_still_valid(uow.session)
                self._write(uow, stale_on_guard=True)
        else:
            with self.write_lock, uow_factory() as uow:
                begin_writing(uow.session)
                self._prepare(uow.session, outcomes, single, counts, lock_stock=True)
                self._write(uow, stale_on_guard=False)
        if self.with_detail:
            self.details(outcomes)
        stats.batched += counts.batched
        stats.existing += counts.existing
        stats.rejected += counts.rejected
        return outcomes, single

    def _prepare(
        self,
        session: Session,
        outcomes: list[BatchOutcome | None],
        single: list[int],
        counts: BatchStats,
        *,
        lock_stock: bool,
    ) -> None:
        self.config = self.cache.snapshot(session)
        accepted = self._validate(session, outcomes, counts)
        self._read_stock(
            session, [line.sku for _, order, _ in accepted for line in order.lines], lock=lock_stock
        )
        batchable = self._batchable_registry()
        for index, order, token in accepted:
            channel = self.config.channels[order.channel]
            if not batchable:
                single.append(index)
                continue
            staging = _Staging(order, token, order.channel)
            staged = None
            try:
                staged = self.instances.stage(
                    session,
                    channel.process_id,
                    {"order_id": order.id, "channel": order.channel, "total": str(order.totals.total.amount)},
                    business_key=order.id,
                    now=self.workflow.clock(),
                    handlers=self._handlers(staging),
                )
            except Exception:  # the single path reports the problem as it always does
                staged = None
            if staged is None or staging.not_batchable is not None:
                single.append(index)
                continue
            self._keep(staging, staged.instance_id, staged.events)
            self.instances.add(staged)
            if self.with_detail:
                self.parts[order.id] = (staging, staged)
            outcomes[index] = BatchOutcome(order.id, True)
            self.kept_indexes.append(index)
            counts.batched += 1

    def _check_still_valid(self, session: Session) -> None:
        """Under the write lock: the configuration, the repeats and the buffered messages are as prepared."""
        if self.cache.snapshot(session).fingerprint != self.config.fingerprint:
            raise _StaleSnapshot("the configuration changed")
        kept = [self.requests[index] for index in self.kept_indexes]
        found = _existing(session, kept)
        if found.by_external or found.by_key:
            raise _StaleSnapshot("an order of the batch was placed meanwhile")
        if self.instances.buffered_since(session):
            raise _StaleSnapshot("a message for a new instance was buffered meanwhile")

    def _write(self, uow: SqlUnitOfWork, *, stale_on_guard: bool) -> None:
        for event in self.events:
            uow.record(event)
        try:
            task_ids = self._flush(uow.session)
        except _GuardRefused as refused:
            if stale_on_guard:
                raise _StaleSnapshot(str(refused)) from refused
            raise
        uow.commit()
        self.task_ids = task_ids

    def details(self, outcomes: list[BatchOutcome | None]) -> None:
        """Give each order the batch placed its detail (``with_detail``), built from its rows."""
        for index, outcome in enumerate(outcomes):
            if outcome is not None and outcome.created and outcome.order_id in self.parts:
                staging, staged = self.parts[outcome.order_id]
                detail = _detail(self.order_row_of[outcome.order_id], staging, staged, self.task_ids)
                outcomes[index] = BatchOutcome(outcome.order_id, True, None, detail)

    def _validate(
        self, session: Session, outcomes: list[BatchOutcome | None], counts: BatchStats
    ) -> list[tuple[int, Order, str | None]]:
        stored = _existing(session, self.requests)
        by_external: dict[tuple[str, str], str] = dict(stored.by_external)
        by_key: dict[str, tuple[str, str, str]] = dict(stored.by_key)
        #: orders accepted earlier in this batch: (channel, external id) / key -> request index
        first_external: dict[tuple[str, str], int] = {}
        first_key: dict[str, tuple[int, str, str]] = {}
        accepted: list[tuple[int, Order, str | None]] = []
        placed_at = self.fixed_now or datetime.now(UTC)
        for index, request in enumerate(self.requests):
            try:
                channel_code, draft, key = request.channel, request.draft, request.idempotency_key
                if not isinstance(draft, Mapping):
                    raise InvalidInput("An order must be a JSON object")
                external_id = str(draft.get("external_id", "")).strip()
                found = by_key.get(key) if key else None
                earlier_key = first_key.get(key) if key else None
                if found is not None or earlier_key is not None:
                    owner = (found[1], found[2]) if found is not None else earlier_key[1:]  # type: ignore[index]
                    if owner != (channel_code, external_id):
                        raise _idempotency_conflict(key or "")
                if found is not None:
                    outcomes[index] = BatchOutcome(found[0], False)
                    counts.existing += 1
                    continue
                if earlier_key is not None:
                    self.duplicates[index] = earlier_key[0]
                    continue
                repeat = by_external.get((channel_code, external_id)) if external_id else None
                if repeat is not None:
                    outcomes[index] = BatchOutcome(repeat, False)
                    counts.existing += 1
                    continue
                earlier = first_external.get((channel_code, external_id)) if external_id else None
                if earlier is not None:
                    self.duplicates[index] = earlier
                    continue
                order, token = self._order(channel_code, draft, placed_at)
            except ConveyorError as err:
                outcomes[index] = BatchOutcome(None, False, err)
                counts.rejected += 1
                continue
            first_external[(channel_code, order.external_id)] = index
            if key:
                first_key[key] = (index, channel_code, order.external_id)
            accepted.append((index, order, token))
            row = _order_row(order, key, token)
            self.order_rows.append(row)
            self.order_row_of[order.id] = row
        return accepted

    def _order(
        self, channel_code: str, draft: Mapping[str, Any], placed_at: datetime
    ) -> tuple[Order, str | None]:
        """The same checks and errors as ``orders._place``, against the cached configuration."""
        channel = self.config.channels.get(channel_code)
        if channel is None or not channel.active:
            known = ", ".join(self.config.active_channel_codes()) or "none"
            raise NotFound(
                f"There is no active sales channel {channel_code!r} (known: {known})",
                errors=[{"loc": ["channel"], "path": "channel", "msg": f"unknown channel {channel_code!r}"}],
            )
        fields = {k: v for k, v in draft.items() if k not in _PLACING_FIELDS}
        products = self.config.products
        skus = [str(line.get("sku")) for line in draft.get("lines") or [] if isinstance(line, Mapping)]
        known_skus = {sku for sku in skus if sku in products}
        order = order_from_draft(
            fields,
            order_id=time_ordered_order_id(),
            channel=channel_code,
            placed_at=placed_at,
            known_skus=known_skus,
            catalog_prices={sku: products[sku].price for sku in known_skus},
        )
        token = checked_against_channel(order, channel, channel_code, draft)
        return order, token

    def _read_stock(self, session: Session, skus: Sequence[str], *, lock: bool) -> None:
        wanted = sorted(set(skus))
        if not wanted:
            return
        locked = lock and session.get_bind().dialect.name == "postgresql"
        query = _STOCK_OF_SKUS_LOCKED if locked else _STOCK_OF_SKUS
        for row in session.connection().execute(query, {"p_skus": wanted}):
            self.available[(row.warehouse_code, row.sku)] = row.on_hand - row.reserved
            self.bins[(row.warehouse_code, row.sku)] = row.bin_location

    def _batchable_registry(self) -> bool:
        """The order task types are bound to the standard handlers (a test or plug-in may bind others)."""
        for task_type, method in BATCHED_TASKS.items():
            binding = self.workflow.registry.get(task_type)
            bound = getattr(binding.handler, "__self__", None) if binding else None
            if binding is None or binding.is_async or not isinstance(bound, OrderHandlers):
                return False
            if getattr(binding.handler, "__name__", "") != method:
                return False
        return True

    def _handlers(self, staging: _Staging) -> Handlers:
        """The engine handlers for ``staging``'s order (built once per batch, acting on the current order)."""
        self.current = staging
        if self._engine_handlers is None:
            handlers = Handlers(missing="job")

            def unsupported(context: HandlerContext) -> None:
                self.current.not_batchable = f"task type {context.task_type} is not run in a batch"
                raise _NotBatchable(self.current.not_batchable)

            for binding in self.workflow.registry.bindings():
                handlers.register(binding.task_type, unsupported, async_=binding.is_async)
            handlers.register("payment.verify", lambda c: self._verify_payment(self.current))
            handlers.register("inventory.allocate", lambda c: self._allocate(self.current))
            handlers.register(
                "fulfillment.create_pick_lists", lambda c: self._create_pick_lists(self.current)
            )
            self._engine_handlers = handlers
        return self._engine_handlers

    # --- the handlers, as ``OrderHandlers`` does them ---------------------------------------------

    def _skip(self, staging: _Staging, why: str) -> None:
        staging.not_batchable = why
        raise _NotBatchable(why)

    def _verify_payment(self, s: _Staging) -> Mapping[str, Any]:
        order, now = s.order, self.now()
        if s.token is None:
            s.milestone("payment.verified", now, by="channel")
            return {"payment_ok": True}
        total = order.totals.total
        ledger = PaymentLedger(order.id, order.currency, ())
        try:
            after = _PROVIDER.authorize(ledger, token=s.token, amount=total, at=now)
        except (PaymentDeclined, ConveyorError):
            self._skip(s, "the payment was not authorized")
        for index, entry in enumerate(after.entries):
            s.payments.append(
                {
                    "order_id": order.id,
                    "kind": entry.kind.value,
                    "amount_minor": entry.amount.minor_units,
                    "currency": entry.amount.currency,
                    "provider": "sandbox",
                    "transaction_id": entry.transaction_id,
                    "idempotency_key": f"{order.id}:authorize:{index}",
                    "reason": entry.reason,
                    "at": entry.at,
                }
            )
        s.milestone(
            "payment.authorized", now, amount=str(Money.from_minor(total.minor_units, order.currency))
        )
        return {"payment_ok": True}

    def _allocate(self, s: _Staging) -> Mapping[str, Any]:
        order, now = s.order, self.now()
        channel = self.config.channels[order.channel]
        destination = order.shipping_address
        try:
            point = destination.coordinates or shared_geocoder().locate(destination)
        except Exception:
            self._skip(s, "the address could not be located")
        skus = list(dict.fromkeys(line.sku for line in order.lines))
        candidates = [
            CandidateWarehouse(
                code,
                site,
                {sku: self.available[(code, sku)] for sku in skus if (code, sku) in self.available},
                priority,
            )
            for code, site, priority in self.config.sites
        ]
        plan = allocate(
            [RequestedLine(line.sku, line.quantity) for line in order.lines],
            candidates,
            destination=point,
            strategy=channel.allocation_strategy,
            priority_list=channel.warehouse_priority
            if channel.allocation_strategy is AllocationStrategy.PRIORITY_LIST
            else (),
        )
        still_open = {line.line_no: line.quantity for line in order.lines}
        held: list[tuple[int, str, str, int]] = []
        for shipment in plan.shipments:
            for planned in shipment.lines:
                units = planned.quantity
                for line in order.lines:
                    if units == 0:
                        break
                    take = min(units, still_open[line.line_no]) if line.sku == planned.sku else 0
                    if take == 0:
                        continue
                    key = (shipment.warehouse, line.sku)
                    if self.available.get(key, 0) - s.taken.get(key, 0) < take:
                        self._skip(s, "the plan asked for more than the snapshot holds")
                    s.taken[key] = s.taken.get(key, 0) + take
                    held.append((line.line_no, shipment.warehouse, line.sku, take))
                    still_open[line.line_no] -= take
                    units -= take
        if any(still_open.values()):
            self._skip(s, "something is backordered")
        for line_no, warehouse, sku, quantity in held:
            movement = StockMovement.record(
                MovementType.RESERVATION,
                warehouse=warehouse,
                sku=sku,
                quantity=quantity,
                reference_type=ReferenceType.ORDER,
                reference_id=order.id,
                at=now,
            )
            s.reservations.append(
                {
                    "order_id": order.id,
                    "line_no": line_no,
                    "warehouse_code": warehouse,
                    "sku": sku,
                    "quantity": quantity,
                    "state": "open",
                    "created_at": now,
                }
            )
            s.movements.append(_movement_row(movement))
        for _, warehouse, sku, quantity in held:
            s.milestone("inventory.reserved", now, warehouse=warehouse, sku=sku, quantity=quantity)
        total = Money.from_minor(order.totals.total.minor_units, order.currency)
        qc_required = bool(channel.requires_quality_check(total))
        if qc_required:
            s.milestone("quality_check.required", now, total=str(total))
        return {
            "allocated": True,
            "backordered": False,
            "qc_required": qc_required,
            "warehouses": list(dict.fromkeys(warehouse for _, warehouse, _, _ in held)),
        }

    def _create_pick_lists(self, s: _Staging) -> Mapping[str, Any]:
        order, now = s.order, self.now()
        by_warehouse: dict[str, dict[str, int]] = {}
        for row in s.reservations:
            skus = by_warehouse.setdefault(row["warehouse_code"], {})
            skus[row["sku"]] = skus.get(row["sku"], 0) + row["quantity"]
        created: list[str] = []
        for warehouse_code in sorted(by_warehouse):
            warehouse = self.config.warehouses.get(warehouse_code)
            if warehouse is not None and warehouse.auto_confirm_picks:
                self._skip(s, f"warehouse {warehouse_code} confirms picks itself")
            items = [
                (sku, quantity, self.bins.get((warehouse_code, sku)))
                for sku, quantity in by_warehouse[warehouse_code].items()
            ]
            pick_list = PickList.create(
                new_pick_list_id(), order_id=order.id, warehouse=warehouse_code, items=items
            )
            s.pick_lists.append(
                {
                    "id": pick_list.id,
                    "order_id": order.id,
                    "warehouse_code": warehouse_code,
                    "status": "open",
                    "created_at": now,
                }
            )
            s.pick_lines.extend(
                {
                    "pick_list_id": pick_list.id,
                    "position": position,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "bin_location": line.bin_location,
                    "picked": None,
                }
                for position, line in enumerate(pick_list.lines, start=1)
            )
            s.milestone("pick_list.created", now, pick_list_id=pick_list.id, warehouse=warehouse_code)
            created.append(pick_list.id)
        return {"pick_lists": created, "manual_pick_lists": list(created)}

    # --- keeping and writing ----------------------------------------------------------------------

    def _keep(self, s: _Staging, instance_id: str, workflow_events: list[dict[str, Any]]) -> None:
        order = s.order
        row = self.order_row_of[order.id]
        created = {
            "type": "order.created",
            "order_id": order.id,
            "at": row["created_at"].isoformat(),
            "channel": s.channel_code,
            "external_id": order.external_id,
        }
        status, updated_at = row["status"], row["updated_at"]
        for event in [created, *s.events]:
            moved = order_status.PROJECTION.by_event.get(event["type"])
            if moved is not None and status not in order_status.FINAL_STATUSES:
                status, updated_at = moved.value, datetime.fromisoformat(event["at"])
            self.events.append(event)
        self.events.extend(workflow_events)
        row.update(status=status, updated_at=updated_at, process_instance_id=instance_id)
        for key, units in s.taken.items():
            self.available[key] -= units
            self.reserved[key] = self.reserved.get(key, 0) + units
        self.line_rows.extend(
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
        )
        self.payment_rows.extend(s.payments)
        self.reservation_rows.extend(s.reservations)
        self.movement_rows.extend(s.movements)
        self.pick_list_rows.extend(s.pick_lists)
        self.pick_line_rows.extend(s.pick_lines)

    def _flush(self, session: Session) -> dict[tuple[str, int], int]:
        kept = {row["id"] for row in self.order_rows if row["process_instance_id"] is not None}
        order_rows = [row for row in self.order_rows if row["id"] in kept]
        connection = session.connection()
        if self.reserved:
            at = self.now()
            for (warehouse, sku), units in sorted(self.reserved.items()):
                values = {"p_w": warehouse, "p_s": sku, "p_q": units, "p_at": at}
                result = connection.execute(_RESERVE_TOTAL, values)
                if result.rowcount != 1:
                    raise _GuardRefused(f"{sku} in {warehouse}")
        task_ids = self.instances.flush(session, task_ids=self.with_detail)  # orders refer to their instance
        for table, rows in (
            (orders, order_rows),
            (order_lines, self.line_rows),
            (payment_entries, self.payment_rows),
            (reservations, self.reservation_rows),
            (stock_movements, self.movement_rows),
            (pick_lists, self.pick_list_rows),
            (pick_list_lines, self.pick_line_rows),
        ):
            if rows:
                connection.execute(_INSERT[table.name], rows)
        return task_ids


@dataclass(frozen=True, slots=True)
class _Stored:
    by_external: dict[tuple[str, str], str]
    by_key: dict[str, tuple[str, str, str]]


def _existing(session: Session, requests: Sequence[OrderRequest]) -> _Stored:
    """Orders already stored under the batch's channel + external ids or idempotency keys (one query)."""
    pairs = {
        (r.channel, str(r.draft.get("external_id", "")).strip())
        for r in requests
        if isinstance(r.draft, Mapping)
    }
    externals = sorted({external for _, external in pairs if external})
    keys = sorted({r.idempotency_key for r in requests if r.idempotency_key})
    by_external: dict[tuple[str, str], str] = {}
    by_key: dict[str, tuple[str, str, str]] = {}
    if not externals and not keys:
        return _Stored(by_external, by_key)
    channels = sorted({channel for channel, _ in pairs})
    found: list[Any] = []
    connection = session.connection()
    for start in range(0, len(externals), 500):  # (channel, external id) is the unique index: use it
        chunk = {"p_channels": channels, "p_externals": externals[start : start + 500]}
        found += connection.execute(_STORED_BY_EXTERNAL, chunk).all()
    if keys:
        found += connection.execute(_STORED_BY_KEY, {"p_keys": keys}).all()
    for row in found:
        if (row.channel_code, row.external_id) in pairs:
            by_external[(row.channel_code, row.external_id)] = row.id
        if row.idempotency_key:
            by_key[row.idempotency_key] = (row.id, row.channel_code, row.external_id)
    return _Stored(by_external, by_key)


def _order_row(order: Order, idempotency_key: str | None, token: str | None) -> dict[str, Any]:
    t = order.totals
    at = order.placed_at
    return {
        "id": order.id,
        "channel_code": order.channel,
        "external_id": order.external_id,
        "idempotency_key": idempotency_key,
        "status": order.status.value,
        "currency": order.currency,
        "customer": {
            "name": order.customer.name,
            "email": order.customer.email,
            "phone": order.customer.phone,
            "external_id": order.customer.external_id,
        },
        "shipping_address": order.shipping_address.as_mapping(),
        "billing_address": order.billing_address.as_mapping(),
        "subtotal_minor": t.subtotal.minor_units,
        "shipping_minor": t.shipping.minor_units,
        "tax_minor": t.tax.minor_units,
        "discount_minor": t.discount.minor_units,
        "total_minor": t.total.minor_units,
        "payment_token": token,
        "process_instance_id": None,
        "placed_at": order.placed_at,
        "created_at": at,
        "updated_at": at,
    }


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _at(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _detail(
    row: dict[str, Any], s: _Staging, staged: StagedStart, task_ids: dict[tuple[str, int], int]
) -> dict[str, Any]:
    """The order's detail exactly as ``order_views.order_detail`` would read it back after the commit."""
    order = s.order
    stored = StoredOrder(
        id=row["id"], channel=row["channel_code"], external_id=row["external_id"],
        idempotency_key=row["idempotency_key"], status=row["status"], currency=row["currency"],
        customer=dict(row["customer"]), shipping_address=dict(row["shipping_address"]),
        billing_address=dict(row["billing_address"]), subtotal_minor=row["subtotal_minor"],
        shipping_minor=row["shipping_minor"], tax_minor=row["tax_minor"],
        discount_minor=row["discount_minor"], total_minor=row["total_minor"],
        payment_token=row["payment_token"], process_instance_id=row["process_instance_id"],
        placed_at=_at(row["placed_at"]), created_at=_at(row["created_at"]), updated_at=_at(row["updated_at"]),
        lines=tuple(
            StoredLine(line.line_no, line.sku, line.name, line.quantity, line.unit_price.minor_units, 0)
            for line in order.lines
        ),
    )  # fmt: skip
    lines_of: dict[str, list[StoredPickLine]] = {}
    for line in s.pick_lines:
        lines_of.setdefault(line["pick_list_id"], []).append(
            StoredPickLine(line["position"], line["sku"], line["quantity"], line["bin_location"], None)
        )
    pick_lists = sorted(
        (
            StoredPickList(p["id"], order.id, p["warehouse_code"], p["status"], _at(p["created_at"]),
                           None, None, tuple(lines_of.get(p["id"], ())))
            for p in s.pick_lists
        ),
        key=lambda p: (p.created_at, p.id),
    )  # fmt: skip
    instance_id = staged.instance_id
    tasks = sorted(
        (
            {
                "id": task_ids[(instance_id, t["wait_id"])],
                "node": t["node_id"],
                "name": t["name"],
                "candidate_groups": list(t["candidate_groups"] or []),
                "assignee": t["assignee"],
                "state": t["state"],
                "created_at": _at(t["created_at"]),
            }
            for t in staged.tasks
        ),
        key=lambda task: task["id"],
    )
    return order_views.detail_of(
        stored,
        allocations=[
            {
                "line_no": r["line_no"],
                "warehouse": r["warehouse_code"],
                "sku": r["sku"],
                "quantity": r["quantity"],
                "state": r["state"],
            }
            for r in s.reservations
        ],
        pick_lists=pick_lists,
        shipments=[],
        waiting_at=order_status.waiting_of(
            (w["node_id"], w["kind"], _utc(w["due_at"]), w["message_name"])
            for w in sorted(staged.waits, key=lambda w: w["wait_id"])
        ),
        open_tasks=tasks,
        timeline=order_status.timeline_of(
            stored, [(_at(at), kind, node) for at, kind, node, _ in staged.history], pick_lists, [], []
        ),
    )


def _movement_row(movement: StockMovement) -> dict[str, Any]:
    return {
        "warehouse_code": movement.warehouse,
        "sku": movement.sku,
        "type": movement.type.value,
        "quantity": movement.quantity,
        "on_hand_delta": movement.on_hand_delta,
        "reserved_delta": movement.reserved_delta,
        "reference_type": movement.reference_type.value,
        "reference_id": movement.reference_id,
        "reason": movement.reason,
        "at": movement.at,
    }


def _handler_clock(workflow: Workflow) -> Clock:
    """The clock of the registered order handlers (tests and the demo move it), else the wall clock."""
    binding = workflow.registry.get("payment.verify")
    bound = getattr(binding.handler, "__self__", None) if binding else None
    if isinstance(bound, OrderHandlers):
        return bound.clock
    return lambda: datetime.now(UTC)


__all__ = ["BATCHED_TASKS", "BatchOutcome", "BatchStats", "OrderRequest", "place_orders"]
