"""Webhook subscriptions and their deliveries: the use cases behind ``/api/v1/webhooks``, and
the sending side the dispatcher runs (``services/dispatcher.py``).

A subscription names a URL, event-type filters (``order.*``, ``shipment.handed_over``,
``*``), optionally the sales channels whose events it wants (``channels``; a channel's
status push), and a ``whsec_`` secret (generated, shown once). The dispatcher turns every
committed outbox event that matches into a *delivery* (one per subscription and
event), POSTs it signed with the Standard Webhooks headers, and logs each attempt.
A failed attempt is retried with exponential backoff and full jitter until
``webhook_retry_period_seconds`` after the first attempt; then the delivery is
``failed`` with the last response kept. A subscription whose deliveries fail
without a single success for ``webhook_disable_after_days`` is disabled, and an
exception of type ``webhook.disabled`` (category ``system``) is recorded.

An event's channel is the ``channel`` in its data (``order.created``, ``channel_order.*``,
``channel_sku_mapping.*``, notifications), otherwise the channel of the order its subject
names (every order, shipment, pick-list, payment and return event has the order id as its
subject), looked up with one query per batch of events (``EventChannels``). An event
that belongs to no channel never goes to a channel-filtered subscription.

Deliveries of one subject (an order's events) go out in sequence order: a
delivery waits while an earlier one of the same subscription and subject is
pending or being sent. A delivery that finally failed no longer holds the
others back (it can be replayed).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import and_, exists, func, insert, literal, null, or_, select, update
from sqlalchemy.orm import Session, aliased

from conveyor.adapters.db.catalog_tables import sales_channels
from conveyor.adapters.db.delivery_tables import (
    dispatch_cursors,
    webhook_attempts,
    webhook_deliveries,
    webhook_subscriptions,
)
from conveyor.adapters.db.order_tables import orders
from conveyor.adapters.db.outbox_tables import outbox
from conveyor.domain import webhooks as rules
from conveyor.domain.problems import Problems
from conveyor.errors import Conflict, InvalidInput, NotFound
from conveyor.logs import get_logger
from conveyor.services import outbox as outbox_service
from conveyor.services.events import rfc3339
from conveyor.services.exceptions import record_exception
from conveyor.services.unit_of_work import SqlUnitOfWork

log = get_logger(__name__)

USER_AGENT = "Conveyor-Webhooks/1"
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
DISABLED_EXCEPTION_TYPE = "webhook.disabled"
#: messages Conveyor's services correlate themselves at the right moment (shipping, order changes,
#: backorders, carrier exceptions, returns); an event of the same type must not deliver them again
DIRECT_MESSAGES = (
    "shipment.delivered",
    "order.cancel_requested",
    "order.payment_method_updated",
    "order.pick_lists_replaced",
    "inventory.stock_available",
    "carrier.exception_reported",
    "return.parcel_received",
)


class DeliverySettings(BaseSettings):
    """Event delivery settings; each field is the variable ``CONVEYOR_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CONVEYOR_", extra="ignore", frozen=True)

    webhook_timeout_seconds: float = Field(default=10.0, gt=0, description="Connect/read timeout of one POST")
    webhook_retry_period_seconds: float = Field(
        default=86400.0, ge=0, description="How long a delivery is retried after its first attempt"
    )
    webhook_backoff_base_seconds: float = Field(default=5.0, ge=0, description="First retry delay ceiling")
    webhook_backoff_max_seconds: float = Field(default=3600.0, ge=0, description="Largest retry delay")
    webhook_disable_after_days: float = Field(
        default=5.0, gt=0, description="Disable a subscription failing without success this long"
    )
    webhook_allow_loopback: bool = Field(default=False, description="Allow URLs on 127.0.0.0/8 and ::1")
    webhook_allow_private: bool = Field(default=False, description="Allow private network addresses")
    webhook_max_redirects: int = Field(default=3, ge=0, description="Same-origin redirects followed")
    webhook_response_excerpt: int = Field(default=1000, ge=0, description="Response characters kept")
    webhook_batch: int = Field(default=20, ge=1, description="Deliveries a dispatcher claims per poll")
    webhook_concurrency: int = Field(
        default=4, ge=1, description="Deliveries of one batch sent at the same time (different subjects)"
    )
    webhook_lock_seconds: float = Field(default=120.0, gt=0, description="Claim lock of a delivery")
    dispatch_batch: int = Field(default=200, ge=1, description="Events a consumer takes in per poll")
    dispatch_process_batch: int = Field(
        default=25, ge=1, description="Events routed to processes per transaction (keeps write locks short)"
    )
    dispatch_max_failures: int = Field(
        default=5, ge=1, description="Tries of an event a process consumer cannot route before it is skipped"
    )
    dispatch_poll_seconds: float = Field(default=1.0, gt=0, description="Idle dispatcher sleep")
    dispatch_direct_messages: list[str] = Field(
        default_factory=lambda: list(DIRECT_MESSAGES),
        description="Message names Conveyor's own code correlates (their events only start processes)",
    )

    @property
    def policy(self) -> rules.AddressPolicy:
        return rules.AddressPolicy(self.webhook_allow_loopback, self.webhook_allow_private)


# --- views ------------------------------------------------------------------------------------


def _subscription_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "url": row.url,
        "event_types": list(row.event_types),
        "channels": list(row.channels) if row.channels else None,
        "active": row.active,
        "description": row.description,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "failing_since": row.failing_since,
        "disabled_at": row.disabled_at,
        "disabled_reason": row.disabled_reason,
    }


def _delivery_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "event_id": row.event_id,
        "sequence": row.sequence,
        "event_type": row.event_type,
        "subject": row.subject,
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at if row.status in ("pending", "delivering") else None,
        "first_attempt_at": row.first_attempt_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "last_status_code": row.last_status_code,
        "last_response": row.last_response,
        "last_error": row.last_error,
    }


def _attempt_view(row: Any) -> dict[str, Any]:
    return {
        "attempt": row.attempt,
        "started_at": row.started_at,
        "duration_ms": row.duration_ms,
        "status_code": row.status_code,
        "response_excerpt": row.response_excerpt,
        "error": row.error,
        "succeeded": row.succeeded,
    }


def cursor_name(subscription_id: int) -> str:
    return f"webhook:{subscription_id}"


# --- subscriptions ----------------------------------------------------------------------------


def _load(session: Session, subscription_id: int, *, lock: bool = False) -> Any:
    query = select(webhook_subscriptions).where(
        webhook_subscriptions.c.id == subscription_id, webhook_subscriptions.c.deleted_at.is_(None)
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).first()
    if row is None:
        raise NotFound(f"There is no webhook subscription {subscription_id}", subscription_id=subscription_id)
    return row


def _check(
    url: object, event_types: object, description: object, policy: rules.AddressPolicy, problems: Problems
) -> None:
    rules.check_url(url, problems, policy)
    _check_rest(event_types, description, problems)


def _check_channels(session: Session, channels: object, problems: Problems) -> list[str] | None:
    """The channel filter to store (None: every event); unknown codes are problems naming ``channels[i]``."""
    if channels is None or channels == []:
        return None
    known = set(session.execute(select(sales_channels.c.code)).scalars())
    return rules.check_channels(channels, known, problems)


def _stored(channels: list[str] | None) -> Any:
    """SQL NULL for "every event" (not a JSON null), else the list."""
    return null() if channels is None else channels


def _check_rest(event_types: object, description: object, problems: Problems) -> None:
    if not isinstance(event_types, list | tuple):
        problems.add("event_types", "must be a list of event types, e.g. ['order.*']")
    else:
        rules.check_filters(list(event_types), problems)
    if description is not None and (not isinstance(description, str) or len(description) > 500):
        problems.add("description", "must be text of at most 500 characters")


def create_subscription(
    uow: SqlUnitOfWork,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None = None,
    active: bool = True,
    channels: Sequence[str] | None = None,
    settings: DeliverySettings | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], str]:
    """Store a subscription; returns its view and its secret (shown to the caller only this once).

    It receives events committed from now on (``POST /webhooks/{id}/replay`` sends older ones).
    ``channels`` (sales channel codes) limits it to those channels' events; None or empty: every event.
    """
    settings = settings or DeliverySettings()
    problems = Problems()
    _check(url, event_types, description, settings.policy, problems)
    moment = now or datetime.now(UTC)
    secret = rules.generate_secret()
    with uow:
        session = uow.session
        wanted = _check_channels(session, channels, problems)
        problems.raise_if_any(InvalidInput, "Invalid webhook subscription")
        new_id = session.execute(
            insert(webhook_subscriptions)
            .values(
                url=url.strip(),
                event_types=list(dict.fromkeys(event_types)),
                channels=_stored(wanted),
                secret=secret,
                active=active,
                description=description,
                created_at=moment,
                updated_at=moment,
            )
            .returning(webhook_subscriptions.c.id)
        ).scalar_one()
        high = session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one()
        session.execute(
            insert(dispatch_cursors).values(
                consumer=cursor_name(new_id), position=high, failures=0, updated_at=moment
            )
        )
        uow.record(
            {
                "type": "webhook.created",
                "id": new_id,
                "url": url,
                "event_types": list(event_types),
                "channels": wanted,
                "active": active,
            }
        )
        view = _subscription_view(_load(session, new_id))
        uow.commit()
    return view, secret


def list_subscriptions(uow: SqlUnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(
            select(webhook_subscriptions)
            .where(webhook_subscriptions.c.deleted_at.is_(None))
            .order_by(webhook_subscriptions.c.id)
        )
        return [_subscription_view(row) for row in rows]


def get_subscription(uow: SqlUnitOfWork, subscription_id: int) -> dict[str, Any]:
    with uow:
        return _subscription_view(_load(uow.session, subscription_id))


def update_subscription(
    uow: SqlUnitOfWork,
    subscription_id: int,
    changes: Mapping[str, Any],
    *,
    settings: DeliverySettings | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Change url, event_types, channels, description, active; ``rotate_secret`` issues a new secret.

    Re-activating a disabled subscription clears its failure state; its pending
    deliveries go out again. ``channels`` None or empty: every event again. A
    changed filter applies to the events taken in from now on (and to replays).
    """
    settings = settings or DeliverySettings()
    moment = now or datetime.now(UTC)
    known = {"url", "event_types", "channels", "description", "active", "rotate_secret"}
    problems = Problems()
    for name in changes:
        if name not in known:
            problems.add(name, f"is not a field of a subscription ({', '.join(sorted(known))})")
    if "active" in changes and not isinstance(changes["active"], bool):
        problems.add("active", "must be true or false")
    with uow:
        session = uow.session
        row = _load(session, subscription_id, lock=True)
        url = changes.get("url", row.url)
        event_types = changes.get("event_types", row.event_types)
        description = changes.get("description", row.description)
        if "url" in changes:
            rules.check_url(url, problems, settings.policy)
        _check_rest(event_types, description, problems)
        wanted = _check_channels(session, changes["channels"], problems) if "channels" in changes else None
        problems.raise_if_any(InvalidInput, f"Invalid change to webhook subscription {subscription_id}")
        values: dict[str, Any] = {
            "url": str(url).strip(),
            "event_types": list(dict.fromkeys(event_types)),
            "description": description,
            "updated_at": moment,
        }
        if "channels" in changes:
            values["channels"] = _stored(wanted)
        secret = None
        if changes.get("rotate_secret"):
            secret = rules.generate_secret()
            values["secret"] = secret
        if "active" in changes:
            values["active"] = changes["active"]
            if changes["active"] and not row.active:
                values.update(failing_since=None, disabled_at=None, disabled_reason=None)
        session.execute(
            update(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == subscription_id)
            .values(**values)
        )
        changed = sorted(name for name in changes if name != "rotate_secret") + (["secret"] if secret else [])
        uow.record({"type": "webhook.updated", "id": subscription_id, "changed": changed})
        view = _subscription_view(_load(session, subscription_id))
        uow.commit()
    return view, secret


def delete_subscription(uow: SqlUnitOfWork, subscription_id: int, *, now: datetime | None = None) -> None:
    """Stop delivering to a subscription (its delivery log is kept, the subscription is gone from the API)."""
    moment = now or datetime.now(UTC)
    with uow:
        _load(uow.session, subscription_id, lock=True)
        uow.session.execute(
            update(webhook_subscriptions)
            .where(webhook_subscriptions.c.id == subscription_id)
            .values(active=False, deleted_at=moment, updated_at=moment)
        )
        uow.record({"type": "webhook.deleted", "id": subscription_id})
        uow.commit()


# --- deliveries ---------------------------------------------------------------------------------


def list_deliveries(
    uow: SqlUnitOfWork,
    subscription_id: int,
    *,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The subscription's deliveries, oldest event first, after sequence ``after``."""
    with uow:
        _load(uow.session, subscription_id)
        d = webhook_deliveries.c
        query = select(webhook_deliveries).where(d.subscription_id == subscription_id, d.sequence > after)
        if status is not None:
            query = query.where(d.status == status)
        rows = uow.session.execute(query.order_by(d.sequence).limit(limit))
        return [_delivery_view(row) for row in rows]


def _delivery(session: Session, subscription_id: int, delivery_id: int) -> Any:
    row = session.execute(
        select(webhook_deliveries).where(
            webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.subscription_id == subscription_id
        )
    ).first()
    if row is None:
        raise NotFound(
            f"Webhook subscription {subscription_id} has no delivery {delivery_id}", delivery_id=delivery_id
        )
    return row


def get_delivery(uow: SqlUnitOfWork, subscription_id: int, delivery_id: int) -> dict[str, Any]:
    with uow:
        _load(uow.session, subscription_id)
        return _delivery_view(_delivery(uow.session, subscription_id, delivery_id))


def list_attempts(uow: SqlUnitOfWork, subscription_id: int, delivery_id: int) -> list[dict[str, Any]]:
    with uow:
        _load(uow.session, subscription_id)
        _delivery(uow.session, subscription_id, delivery_id)
        rows = uow.session.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.delivery_id == delivery_id)
            .order_by(webhook_attempts.c.attempt)
        )
        return [_attempt_view(row) for row in rows]


_RESET = {
    "status": "pending",
    "first_attempt_at": None,
    "locked_by": None,
    "locked_until": None,
}


def replay_delivery(
    uow: SqlUnitOfWork, subscription_id: int, delivery_id: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """Send one delivery again (a new retry period; earlier attempts stay in the log)."""
    moment = now or datetime.now(UTC)
    with uow:
        session = uow.session
        _load(session, subscription_id, lock=True)
        row = _delivery(session, subscription_id, delivery_id)
        if row.status in ("pending", "delivering"):
            raise Conflict(
                f"Delivery {delivery_id} is already {row.status}; it is sent without a replay",
                delivery_status=row.status,
            )
        session.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(**_RESET, next_attempt_at=moment, updated_at=moment)
        )
        uow.record(
            {
                "type": "webhook.replayed",
                "id": subscription_id,
                "delivery_id": delivery_id,
                "sequence": row.sequence,
            }
        )
        view = _delivery_view(_delivery(session, subscription_id, delivery_id))
        uow.commit()
    return view


def replay_since(uow: SqlUnitOfWork, subscription_id: int, after: int, *, now: datetime | None = None) -> int:
    """Deliver again every matching event with a sequence above ``after``; returns how many.

    Matching: the subscription's event types and channels as they are now.
    Events the subscription has already taken in are reset to pending (unless
    they are pending already); matching events before the subscription existed
    get new deliveries. Events newer than the subscription's cursor are left to
    the dispatcher, which takes them in anyway.
    """
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise InvalidInput(
            "after must be a sequence number of 0 or more",
            errors=[{"loc": ["body", "after"], "msg": "invalid"}],
        )
    moment = now or datetime.now(UTC)
    with uow:
        session = uow.session
        row = _load(session, subscription_id, lock=True)
        position = session.execute(
            select(dispatch_cursors.c.position).where(
                dispatch_cursors.c.consumer == cursor_name(subscription_id)
            )
        ).scalar_one_or_none()
        upto = int(position or 0)
        channels = EventChannels()
        d = webhook_deliveries.c
        done = (
            select(d.id, d.sequence, d.subject, _DATA_CHANNEL.label("data_channel"))
            .join(outbox, outbox.c.sequence == d.sequence)
            .where(
                d.subscription_id == subscription_id,
                d.sequence > after,
                d.sequence <= upto,
                d.status.in_(("succeeded", "failed")),
                _type_filter(d.event_type, row.event_types),
            )
            .order_by(d.sequence)
        )
        again = [r.id for r in channels.passing(session, list(session.execute(done)), row.channels)]
        for start in range(0, len(again), _CHUNK):
            session.execute(
                update(webhook_deliveries)
                .where(d.id.in_(again[start : start + _CHUNK]))
                .values(**_RESET, next_attempt_at=moment, updated_at=moment)
            )
        count = len(again)
        existing = select(webhook_deliveries.c.sequence).where(d.subscription_id == subscription_id)
        missing = fetch_events(
            session,
            after=after,
            upto=upto,
            filters=row.event_types,
            exclude=existing,
            limit=None,
            with_channel=bool(row.channels),
        )
        missing = channels.passing(session, missing, row.channels)
        if missing:
            session.execute(
                insert(webhook_deliveries), [_new_delivery(subscription_id, e, moment) for e in missing]
            )
        count += len(missing)
        uow.record({"type": "webhook.replayed", "id": subscription_id, "after": after, "deliveries": count})
        uow.commit()
    return count


# --- what the dispatcher does ---------------------------------------------------------------------


#: an event's own ``channel`` (a data field), read in SQL so the data itself is not loaded
_DATA_CHANNEL = outbox.c.data["channel"].as_string()
#: ids per ``IN (...)`` list
_CHUNK = 500


def _type_filter(column: Any, filters: Sequence[str]) -> Any:
    """SQL for "``column`` passes one of the event-type ``filters``"."""
    if "*" in filters:
        return literal(True)
    return or_(
        *(
            column.startswith(item[:-1], autoescape=True) if item.endswith(".*") else column == item
            for item in filters
        )
    )


class EventChannels:
    """Which sales channel outbox events belong to, remembered per event.

    The event's data ``channel`` when it has one, else the channel of the order
    named by its subject: one query per batch for the subjects not known yet.
    An event of no channel (a workflow or webhook event, an unknown subject) is None.
    A dispatcher keeps one for a poll, so subscriptions of several channels share
    the look-ups.
    """

    def __init__(self) -> None:
        self._known: dict[int, str | None] = {}

    def resolve(self, session: Session, events: Sequence[Any]) -> dict[int, str | None]:
        """``{sequence: channel}`` of ``events`` (rows with ``sequence``, ``subject``, ``data_channel``)."""
        pending: dict[int, str] = {}
        for event in events:
            if event.sequence in self._known:
                continue
            own = event.data_channel
            if isinstance(own, str) and own:
                self._known[event.sequence] = own
            elif event.subject:
                pending[event.sequence] = event.subject
            else:
                self._known[event.sequence] = None
        subjects = sorted(set(pending.values()))
        found: dict[str, str] = {}
        for start in range(0, len(subjects), _CHUNK):
            rows = session.execute(
                select(orders.c.id, orders.c.channel_code).where(
                    orders.c.id.in_(subjects[start : start + _CHUNK])
                )
            )
            found.update({str(row.id): str(row.channel_code) for row in rows})
        for sequence, subject in pending.items():
            self._known[sequence] = found.get(subject)
        return {event.sequence: self._known[event.sequence] for event in events}

    def passing(self, session: Session, events: list[Any], channels: Sequence[str] | None) -> list[Any]:
        """The ``events`` a subscription with the channel filter ``channels`` receives (all if none)."""
        if not channels or not events:
            return events
        of = self.resolve(session, events)
        return [event for event in events if rules.passes_channels(channels, of[event.sequence])]


def fetch_events(
    session: Session,
    *,
    after: int,
    upto: int | None,
    filters: Sequence[str],
    exclude: Any = None,
    limit: int | None,
    with_channel: bool = False,
) -> list[Any]:
    """Outbox rows after ``after`` (up to ``upto``) whose type passes ``filters``, oldest first.

    ``with_channel`` adds ``data_channel`` (the data's ``channel``) for ``EventChannels``.
    """
    c = outbox.c
    columns = [c.sequence, c.id, c.type, c.subject]
    if with_channel:
        columns.append(_DATA_CHANNEL.label("data_channel"))
    query = select(*columns).where(c.sequence > after)
    if upto is not None:
        query = query.where(c.sequence <= upto)
    if "*" not in filters:
        query = query.where(_type_filter(c.type, filters))
    if exclude is not None:
        query = query.where(c.sequence.not_in(exclude))
    query = query.order_by(c.sequence)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query))


def _new_delivery(subscription_id: int, event: Any, now: datetime) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "event_id": event.id,
        "sequence": event.sequence,
        "event_type": event.type,
        "subject": event.subject,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def take_in(
    session: Session,
    subscription: Any,
    *,
    now: datetime,
    batch: int,
    channels: EventChannels | None = None,
) -> int:
    """Turn the next matching outbox events into pending deliveries and move the cursor.

    The caller holds the subscription's cursor row (``lock_cursor``). Events of
    other channels than a channel filter names are passed over: the cursor moves
    past them all the same. Returns how many events of matching type it got past
    (taken in or passed over), so a poll that only passed over events is not idle.
    """
    name = cursor_name(subscription.id)
    position = int(
        session.execute(
            select(dispatch_cursors.c.position).where(dispatch_cursors.c.consumer == name)
        ).scalar_one()
    )
    high = int(session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one())
    if high <= position:
        return 0
    wanted = subscription.channels or None
    fetched = fetch_events(
        session,
        after=position,
        upto=high,
        filters=subscription.event_types,
        limit=batch,
        with_channel=wanted is not None,
    )
    events = (channels or EventChannels()).passing(session, fetched, wanted)
    if events:
        session.execute(insert(webhook_deliveries), [_new_delivery(subscription.id, e, now) for e in events])
    # a full batch may leave matching events behind: stop at the last one seen; otherwise all is seen
    new_position = fetched[-1].sequence if len(fetched) == batch else high
    session.execute(
        update(dispatch_cursors)
        .where(dispatch_cursors.c.consumer == name)
        .values(position=new_position, updated_at=now)
    )
    return len(fetched)


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: int
    subscription_id: int
    attempt: int
    url: str
    secret: str
    event: dict[str, Any]


def claim_due(session: Session, owner: str, *, now: datetime, until: datetime, limit: int) -> list[Claimed]:
    """Lock the next due deliveries (the earliest of each subject) for ``owner`` until ``until``."""
    d, s = webhook_deliveries.c, webhook_subscriptions.c
    earlier = aliased(webhook_deliveries)
    blocked = exists().where(
        earlier.c.subscription_id == d.subscription_id,
        earlier.c.subject == d.subject,
        earlier.c.sequence < d.sequence,
        earlier.c.status.in_(("pending", "delivering")),
    )
    due = or_(
        and_(d.status == "pending", d.next_attempt_at <= now),
        and_(d.status == "delivering", d.locked_until < now),
    )
    query = (
        select(d.id, d.subscription_id, d.attempts, d.sequence, s.url, s.secret)
        .join(webhook_subscriptions, s.id == d.subscription_id)
        .where(due, s.active.is_(True), s.deleted_at.is_(None), or_(d.subject.is_(None), ~blocked))
        .order_by(d.sequence, d.subscription_id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=webhook_deliveries)
    rows = list(session.execute(query))
    if not rows:
        return []
    session.execute(
        update(webhook_deliveries)
        .where(d.id.in_([row.id for row in rows]))
        .values(status="delivering", locked_by=owner, locked_until=until)
    )
    documents = {
        doc["sequence"]: doc
        for doc in (
            outbox_service.document(row)
            for row in session.execute(
                select(outbox).where(outbox.c.sequence.in_([r.sequence for r in rows]))
            )
        )
    }
    return [
        Claimed(row.id, row.subscription_id, row.attempts + 1, row.url, row.secret, documents[row.sequence])
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one POST gave: a status code and body excerpt, or an error (timeout, refused address)."""

    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


def _refusal(url: str, policy: rules.AddressPolicy) -> str | None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as err:
        return f"cannot resolve {host}: {err}"
    for *_, sockaddr in found:
        refusal = policy.refusal(str(sockaddr[0]))
        if refusal:
            return f"{host} resolves to {refusal}; not called (see CONVEYOR_WEBHOOK_ALLOW_LOOPBACK/PRIVATE)"
    return None


def _excerpt(response: httpx.Response, limit: int) -> str:
    """The start of the body, reading no more than needed (a receiver may answer with gigabytes)."""
    wanted, chunks = limit * 4, []  # UTF-8: at most 4 bytes a character
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        wanted -= len(chunk)
        if wanted <= 0:
            break
    data = b"".join(chunks)
    return data.decode(response.encoding or "utf-8", errors="replace")[:limit]


def send(client: httpx.Client, claimed: Claimed, settings: DeliverySettings, started_at: datetime) -> Outcome:
    """POST one event, signed; follows redirects only to the same origin. Never raises."""
    body = json.dumps(claimed.event, separators=(",", ":"), ensure_ascii=False)
    timestamp = int(time.time())  # the receiver compares it with its own clock
    headers = {
        "content-type": CONTENT_TYPE,
        "user-agent": USER_AGENT,
        **rules.headers(claimed.secret, claimed.event["id"], timestamp, body),
    }
    clock = time.perf_counter()
    url = claimed.url

    def done(**result: Any) -> Outcome:
        return Outcome(started_at, int((time.perf_counter() - clock) * 1000), **result)

    try:
        for _hop in range(settings.webhook_max_redirects + 1):
            refusal = _refusal(url, settings.policy)
            if refusal:
                return done(error=refusal)
            with client.stream("POST", url, content=body.encode(), headers=headers) as response:
                excerpt = _excerpt(response, settings.webhook_response_excerpt)
            if response.is_redirect and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                if not rules.same_origin(url, target):
                    return done(
                        status_code=response.status_code,
                        response_excerpt=excerpt,
                        error=f"redirect to another origin not followed: {target}",
                    )
                url = target
                continue
            return done(status_code=response.status_code, response_excerpt=excerpt)
        return done(error=f"more than {settings.webhook_max_redirects} redirects")
    except httpx.HTTPError as err:
        return done(error=f"{type(err).__name__}: {err}"[:1000])


def record_outcome(
    uow: SqlUnitOfWork,
    claimed: Claimed,
    outcome: Outcome,
    *,
    owner: str,
    now: datetime,
    settings: DeliverySettings,
) -> str:
    """Log the attempt and move the delivery on; returns its new status. The caller commits."""
    session = uow.session
    d = webhook_deliveries.c
    current = session.execute(
        select(d.status, d.locked_by, d.first_attempt_at).where(d.id == claimed.delivery_id)
    ).first()
    if current is None or current.status != "delivering" or current.locked_by != owner:
        return "lost"  # our lock expired and another worker took it over
    session.execute(
        insert(webhook_attempts).values(
            delivery_id=claimed.delivery_id,
            attempt=claimed.attempt,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            response_excerpt=outcome.response_excerpt,
            error=outcome.error,
            succeeded=outcome.succeeded,
            worker=owner,
        )
    )
    first = current.first_attempt_at or outcome.started_at
    values: dict[str, Any] = {
        "attempts": claimed.attempt,
        "first_attempt_at": first,
        "locked_by": None,
        "locked_until": None,
        "updated_at": now,
        "last_status_code": outcome.status_code,
        "last_response": outcome.response_excerpt,
        "last_error": outcome.error,
    }
    s = webhook_subscriptions.c
    if outcome.succeeded:
        values["status"] = "succeeded"
        session.execute(
            update(webhook_subscriptions).where(s.id == claimed.subscription_id).values(failing_since=None)
        )
    else:
        if now - first >= timedelta(seconds=settings.webhook_retry_period_seconds):
            values["status"] = "failed"
        else:
            delay = rules.retry_delay(
                claimed.attempt,
                base=settings.webhook_backoff_base_seconds,
                cap=settings.webhook_backoff_max_seconds,
            )
            values.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
        _count_failure(uow, claimed.subscription_id, now=now, settings=settings)
    session.execute(update(webhook_deliveries).where(d.id == claimed.delivery_id).values(**values))
    return str(values["status"])


def _count_failure(
    uow: SqlUnitOfWork, subscription_id: int, *, now: datetime, settings: DeliverySettings
) -> None:
    s = webhook_subscriptions.c
    row = uow.session.execute(select(s.failing_since, s.active, s.url).where(s.id == subscription_id)).first()
    if row is None or not row.active:
        return
    if row.failing_since is None:
        uow.session.execute(
            update(webhook_subscriptions).where(s.id == subscription_id).values(failing_since=now)
        )
        return
    failing = now - row.failing_since
    if failing < timedelta(days=settings.webhook_disable_after_days):
        return
    reason = (
        f"every delivery to {row.url} failed for {failing.days} days (since {rfc3339(row.failing_since)})"
    )
    uow.session.execute(
        update(webhook_subscriptions)
        .where(s.id == subscription_id)
        .values(active=False, disabled_at=now, disabled_reason=reason, updated_at=now)
    )
    uow.record({"type": "webhook.disabled", "id": subscription_id, "url": row.url, "reason": reason})
    _record_exception(uow, subscription_id, row.url, reason, now)
    log.warning("webhook_disabled", subscription_id=subscription_id, reason=reason)


def _record_exception(uow: SqlUnitOfWork, subscription_id: int, url: str, reason: str, now: datetime) -> None:
    """An exception for people to look at, in the register (same transaction)."""
    record_exception(
        uow,
        type=DISABLED_EXCEPTION_TYPE,
        summary=f"Webhook subscription {subscription_id} was disabled: {reason}",
        category="system",
        details={"subscription_id": subscription_id, "url": url},
        now=now,
    )
