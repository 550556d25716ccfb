"""The dispatcher: delivers committed outbox events to processes and to webhook subscriptions.

It runs as one thread beside the workers (``conveyor worker``, ``conveyor serve``)
and reads the outbox in sequence order. Each consumer keeps its own cursor in
``dispatch_cursors``: ``processes`` for BPMN messages, ``webhook:<id>`` per
subscription. Several dispatchers may share one PostgreSQL database: a
consumer's cursor row is taken with ``FOR UPDATE SKIP LOCKED`` (a second
dispatcher skips that consumer for this poll), deliveries are claimed with
``SKIP LOCKED`` and a lock expiry. SQLite has one writer at a time.

Processes: an event whose ``type`` is the name of a message that a deployed
model catches or starts with is handed to the workflow runtime in the same
transaction that moves the cursor and records the event as processed (the
``processed_events`` key makes it exactly once per event and consumer):

- every instance waiting for that message with the event's ``subject`` as
  correlation key (or no key) continues;
- every process with a message start event of that name starts, business key =
  subject;
- nobody waits and nothing starts, but some model catches that message: it is
  buffered for its time to live (``CONVEYOR_MESSAGE_TTL_SECONDS``).

The message variables are the event's ``data`` plus ``event`` (``id``, ``type``,
``subject``, ``sequence``, ``time``, ``source``). Names Conveyor's own code
correlates itself (``dispatch_direct_messages``: ``shipment.delivered``, sent
when *all* of an order's parcels arrived) only start processes, so a waiting
order is not continued twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import httpx
from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from conveyor.adapters.db.delivery_tables import (
    dispatch_cursors,
    processed_events,
    webhook_deliveries,
    webhook_subscriptions,
)
from conveyor.adapters.db.outbox_tables import outbox
from conveyor.adapters.workflow.instances import StaleInstance
from conveyor.adapters.workflow.jobs import write_transaction
from conveyor.adapters.workflow.messages import MessageStore
from conveyor.engine.bpmn.model import Event, ReceiveTask
from conveyor.engine.runtime import Instance
from conveyor.logs import get_logger
from conveyor.services import outbox as outbox_service
from conveyor.services import webhooks
from conveyor.services.unit_of_work import SqlUnitOfWork
from conveyor.services.workflow.context import StepContext
from conveyor.services.workflow.messaging import key_text
from conveyor.services.workflow.runtime import WorkflowRuntime

log = get_logger(__name__)

PROCESS_CONSUMER = "processes"
CATCHING = frozenset({"intermediateCatchEvent", "boundaryEvent", "startEvent"})


class _NotWaiting(Exception):
    """The instance stopped waiting between finding it and stepping it."""


# --- cursors ------------------------------------------------------------------------------------


def lock_cursor(session: Session, consumer: str, now: datetime) -> Any:
    """The consumer's cursor row, locked for this transaction; None if another dispatcher holds it."""
    dialect = session.get_bind().dialect.name
    values = {"consumer": consumer, "position": 0, "failures": 0, "updated_at": now}
    if dialect == "postgresql":
        session.execute(pg_insert(dispatch_cursors).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite_insert(dispatch_cursors).values(**values).on_conflict_do_nothing())
    query = select(dispatch_cursors).where(dispatch_cursors.c.consumer == consumer)
    if dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.execute(query).first()


def start_processes_at_head(uow: SqlUnitOfWork, now: datetime | None = None) -> bool:
    """Create the processes consumer's cursor at the end of the feed, if it has none yet.

    ``conveyor init`` calls it: on a database that already has events (an
    upgrade), processes are started by the events committed from now on, not
    by years of history (no status emails about old orders). Returns whether
    the cursor was created.
    """
    with uow:
        created = _start_at_head(uow.session, now or datetime.now(UTC))
        uow.commit()
    return created


def _start_at_head(session: Session, now: datetime) -> bool:
    found = session.execute(
        select(dispatch_cursors.c.position).where(dispatch_cursors.c.consumer == PROCESS_CONSUMER)
    ).first()
    if found is not None:
        return False
    high = session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one()
    session.execute(
        dispatch_cursors.insert().values(consumer=PROCESS_CONSUMER, position=high, failures=0, updated_at=now)
    )
    return True


# --- message names the deployed models use --------------------------------------------------------


@dataclass
class MessageNames:
    """Which message names start processes and which are caught, for the deployed models."""

    starts: dict[str, list[Any]] = field(default_factory=dict)  # name -> StartEventInfo of latest versions
    caught: set[str] = field(default_factory=set)

    def __contains__(self, name: object) -> bool:
        return name in self.starts or name in self.caught


_NAMES_CACHE: WeakKeyDictionary[WorkflowRuntime, tuple[Any, MessageNames]] = WeakKeyDictionary()


def message_names(runtime: WorkflowRuntime, session: Session) -> MessageNames:
    """The message names of the deployed models (recomputed when a deployment adds a version)."""
    runtime.models.refresh(session, max_age=1.0)
    library = runtime.models.library
    signature = tuple((pid, tuple(library.versions(pid))) for pid in sorted(library.process_ids()))
    cached = _NAMES_CACHE.get(runtime)
    if cached is not None and cached[0] == signature:
        return cached[1]
    names = MessageNames()
    for info in library.start_events("message"):
        if info.message_name:
            names.starts.setdefault(info.message_name, []).append(info)
    for process_id, versions in signature:
        for version in versions:
            for node in library.process(process_id, version).nodes.values():
                if isinstance(node, ReceiveTask) and node.message is not None:
                    names.caught.add(node.message.name)
                elif isinstance(node, Event) and node.kind in CATCHING:
                    names.caught.update(d.message.name for d in node.definitions if d.message is not None)
    _NAMES_CACHE[runtime] = (signature, names)
    return names


# --- routing one event to processes ------------------------------------------------------------------


def message_variables(event: dict[str, Any]) -> dict[str, Any]:
    meta = {key: event.get(key) for key in ("id", "type", "subject", "sequence", "time", "source")}
    data = event.get("data")
    return {**(data if isinstance(data, dict) else {"data": data}), "event": meta}


def route_event(
    runtime: WorkflowRuntime,
    ctx: StepContext,
    event: dict[str, Any],
    names: MessageNames,
    *,
    direct: frozenset[str],
) -> tuple[str, str]:
    """Continue the instances waiting for the event's message and start its processes.

    Returns the outcome (``routed`` / ``buffered``) and a detail for the log.
    """
    name, key = event["type"], key_text(event.get("subject"))
    variables = message_variables(event)
    store = MessageStore(ctx.uow.session)
    reached: list[str] = []
    if name not in direct:
        for instance_id in sorted({instance for instance, _ in store.subscribers(name, key)}):

            def deliver(instance: Instance, c: StepContext) -> None:
                if not instance.deliver_message(name, key, dict(variables), now=c.now):
                    raise _NotWaiting(f"instance no longer waits for {name!r}")

            try:
                runtime.step(ctx, instance_id, deliver)
                reached.append(f"continued {instance_id}")
            except _NotWaiting:
                continue
    for info in names.starts.get(name, ()):
        row = runtime.start_in(
            ctx,
            info.process_id,
            dict(variables),
            version=info.version,
            start_event=info.node,
            business_key=key,
        )
        reached.append(f"started {info.process_id} {row.id}")
    if reached:
        return "routed", "; ".join(reached)
    ttl = runtime.settings.message_ttl_seconds
    if name in names.caught and name not in direct and ttl > 0:
        store.buffer(name, key, variables, now=ctx.now, expires=ctx.now + timedelta(seconds=ttl))
        return "buffered", f"buffered for {ttl:g}s"
    return "ignored", "nobody waits"


def _mark(session: Session, event: dict[str, Any], outcome: str, detail: str | None, now: datetime) -> None:
    session.execute(
        processed_events.insert().values(
            consumer=PROCESS_CONSUMER,
            event_id=event["id"],
            sequence=event["sequence"],
            event_type=event["type"],
            outcome=outcome,
            detail=None if detail is None else detail[:2000],
            processed_at=now,
        )
    )


def dispatch_to_processes(
    runtime: WorkflowRuntime, settings: webhooks.DeliverySettings, now: datetime | None = None
) -> int:
    """Take in the next batch of events for processes; returns how many events it got past."""
    direct = frozenset(settings.dispatch_direct_messages)

    def work(ctx: StepContext) -> int:
        session = ctx.uow.session
        cursor = lock_cursor(session, PROCESS_CONSUMER, ctx.now)
        if cursor is None:
            return 0
        rows = session.execute(
            select(outbox)
            .where(outbox.c.sequence > cursor.position)
            .order_by(outbox.c.sequence)
            .limit(settings.dispatch_batch)
        ).all()
        if not rows:
            return 0
        names = message_names(runtime, session)
        position, failures, last_error, consumed = cursor.position, cursor.failures, cursor.last_error, 0
        routed = 0
        for row in rows:
            if row.type not in names:
                position, consumed = row.sequence, consumed + 1
                continue
            if routed >= settings.dispatch_process_batch:
                break  # commit what is done; the next poll goes on at once
            event = outbox_service.document(row)
            done = session.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == PROCESS_CONSUMER,
                    processed_events.c.event_id == event["id"],
                )
            ).first()
            if done is not None:
                position, consumed = row.sequence, consumed + 1
                continue
            savepoint = session.begin_nested()
            try:
                outcome, detail = route_event(runtime, ctx, event, names, direct=direct)
                runtime.drain(ctx)
                savepoint.commit()
            except (StaleInstance, OperationalError):
                raise  # the whole transaction runs again
            except Exception as err:
                savepoint.rollback()
                ctx.follow_ups.clear()
                failures += 1
                last_error = f"event {event['sequence']} ({event['type']}): {type(err).__name__}: {err}"
                log.warning(
                    "event_routing_failed", sequence=event["sequence"], type=event["type"], error=str(err)
                )
                if failures < settings.dispatch_max_failures:
                    break  # tried again at the next poll; later events wait (order per subject)
                _mark(session, event, "failed", last_error, ctx.now)
                failures, position, consumed = 0, row.sequence, consumed + 1
                continue
            _mark(session, event, outcome, detail, ctx.now)
            failures, position, consumed, routed = 0, row.sequence, consumed + 1, routed + 1
        session.execute(
            update(dispatch_cursors)
            .where(dispatch_cursors.c.consumer == PROCESS_CONSUMER)
            .values(position=position, failures=failures, last_error=last_error, updated_at=ctx.now)
        )
        return consumed

    with runtime.session_factory() as session:  # idle check without taking the write lock
        position = session.execute(
            select(dispatch_cursors.c.position).where(dispatch_cursors.c.consumer == PROCESS_CONSUMER)
        ).scalar_one_or_none()
        high = session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one()
    if high <= (position or 0):
        return 0
    return runtime.transaction(work, now=now)


# --- the dispatcher -----------------------------------------------------------------------------------


class Dispatcher:
    """One dispatching loop: processes, then webhook intake, then due webhook deliveries."""

    def __init__(
        self,
        workflow: WorkflowRuntime,
        *,
        name: str = "dispatcher",
        settings: webhooks.DeliverySettings | None = None,
        clock: Callable[[], datetime] | None = None,
        client: httpx.Client | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.workflow = workflow
        self.name = name
        self.settings = settings or webhooks.DeliverySettings()
        self.clock = clock or workflow.clock
        self.stop_event = stop_event or threading.Event()
        self._client = client
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self.settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            )
        return self._client

    def _uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.workflow.session_factory)

    def run_once(self) -> int:
        """One poll; returns how much happened (0: idle)."""
        now = self.clock()
        done = dispatch_to_processes(self.workflow, self.settings, now)
        done += self.take_in(now)
        done += self.send_due(now)
        return done

    def take_in(self, now: datetime) -> int:
        """New matching events become deliveries, for each active subscription; returns events got past."""
        s, c = webhook_subscriptions.c, dispatch_cursors.c
        with self.workflow.session_factory() as session:  # read only: which cursors are behind
            high = int(session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one())
            behind = [
                int(i)
                for i in session.execute(
                    select(s.id)
                    .outerjoin(dispatch_cursors, c.consumer == literal("webhook:") + cast(s.id, String(20)))
                    .where(s.active.is_(True), s.deleted_at.is_(None), func.coalesce(c.position, 0) < high)
                    .order_by(s.id)
                ).scalars()
            ]
        taken = 0
        channels = webhooks.EventChannels()  # shared by this poll's subscriptions
        for subscription_id in behind:
            with self._uow() as uow:
                session = uow.session
                write_transaction(session)
                cursor = lock_cursor(session, webhooks.cursor_name(subscription_id), now)
                if cursor is None or cursor.position >= high:
                    continue
                subscription = session.execute(
                    select(webhook_subscriptions).where(webhook_subscriptions.c.id == subscription_id)
                ).first()
                if subscription is None or not subscription.active:
                    continue
                taken += webhooks.take_in(
                    session, subscription, now=now, batch=self.settings.dispatch_batch, channels=channels
                )
                uow.commit()
        return taken

    def send_due(self, now: datetime) -> int:
        """Claim due deliveries, POST them, record each outcome; returns how many were attempted."""
        until = now + timedelta(seconds=self.settings.webhook_lock_seconds)
        with self._uow() as uow:
            write_transaction(uow.session)
            claimed = webhooks.claim_due(
                uow.session, self.name, now=now, until=until, limit=self.settings.webhook_batch
            )
            uow.commit()
        if not claimed:
            return 0
        if self.stop_event.is_set():
            self._release(claimed)
            return 0

        def post(item: webhooks.Claimed) -> webhooks.Outcome:
            return webhooks.send(self.client, item, self.settings, self.clock())

        # a batch holds at most one delivery per subscription and subject, so they may go out together
        workers = max(1, min(self.settings.webhook_concurrency, len(claimed)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conveyor-webhook") as pool:
            outcomes = list(pool.map(post, claimed))
        with self._uow() as uow:
            write_transaction(uow.session)
            statuses = [
                webhooks.record_outcome(uow, item, outcome, owner=self.name, now=now, settings=self.settings)
                for item, outcome in zip(claimed, outcomes, strict=True)
            ]
            uow.commit()
        for item, outcome, status in zip(claimed, outcomes, statuses, strict=True):
            log.info(
                "webhook_attempt",
                delivery_id=item.delivery_id,
                attempt=item.attempt,
                status_code=outcome.status_code,
                error=outcome.error,
                result=status,
            )
        return len(claimed)

    def _release(self, items: list[webhooks.Claimed]) -> None:
        with self._uow() as uow:
            uow.session.execute(
                update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id.in_([i.delivery_id for i in items]),
                    webhook_deliveries.c.locked_by == self.name,
                )
                .values(status="pending", locked_by=None, locked_until=None)
            )
            uow.commit()

    def run_until_stopped(self) -> None:
        while not self.stop_event.is_set():
            try:
                done = self.run_once()
            except Exception:
                log.exception("dispatcher_poll_failed", dispatcher=self.name)
                done = 0
            if done == 0:
                self.stop_event.wait(self.settings.dispatch_poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run_until_stopped, name="conveyor-dispatcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 60.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._client is not None:
            self._client.close()
