"""The transactional outbox: recorded events written with the change, and read back as a feed.

``SqlUnitOfWork.commit`` calls ``write`` just before it commits, so an event
row exists exactly when the change it describes committed. Events recorded
inside a savepoint that rolls back (a failed workflow handler) are dropped
with it, and a rolled-back unit of work writes nothing (``RecordedEvents``).

Sequence numbers follow commit order. On PostgreSQL ``write`` first takes a
transaction-level advisory lock (``OUTBOX_LOCK``) and only then draws numbers
from the identity sequence; the lock is held until the transaction ends, so a
second writer draws its numbers after the first has committed (or rolled
back) and a reader paging with ``after=SEQ`` never misses an event that
commits later with a smaller number. The lock is taken last, after every
other lock of the transaction, so it cannot close a deadlock cycle; it
serialises only the few microseconds between writing the rows and the commit.
SQLite has one writer at a time and needs nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, SessionTransaction

from conveyor import jsontext
from conveyor.adapters.db.outbox_tables import outbox
from conveyor.adapters.db.raw import RawSql, raw_sql
from conveyor.services.events import DATACONTENTTYPE, SPECVERSION, envelope, new_event_id, rfc3339

#: the advisory lock key outbox writers share on PostgreSQL ("conv" in ASCII)
OUTBOX_LOCK = 0x636F6E76


_INSERT_SQL = (
    "INSERT INTO outbox (id, specversion, type, source, subject, time, datacontenttype, data, committed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_json = jsontext.dumps


def write(session: Session, events: Sequence[object], *, now: datetime | None = None) -> None:
    """Insert ``events`` as outbox rows in ``session``'s open transaction (the caller commits).

    Every committing unit of work with events runs this, so the rows go as one
    ``executemany`` on the transaction's DBAPI cursor (``adapters/db/raw.py``) with the
    values converted here (times as UTC; ``data`` as JSON text), the same values
    ``UtcDateTime``/``JSON`` would store.
    """
    if events:
        write_raw(raw_sql(session), events, now=now)


def write_raw(raw: RawSql, events: Sequence[object], *, now: datetime | None = None) -> None:
    """``write`` on a transaction's ``RawSql`` (a unit of work that has no session yet)."""
    if not events:
        return
    committed_at = now or datetime.now(UTC)
    committed = raw.time(committed_at)
    rows = []
    for recorded in events:  # checked when recorded (``SqlUnitOfWork.record``)
        kind, source, subject, time, data = envelope(recorded, committed_at)  # type: ignore[arg-type]
        rows.append(
            (
                new_event_id(),
                SPECVERSION,
                kind,
                source,
                subject,
                committed if time is committed_at else raw.time(time),
                DATACONTENTTYPE,
                _json(data),
                committed,
            )
        )
    if raw.postgres:
        raw.execute("SELECT pg_advisory_xact_lock(?)", (OUTBOX_LOCK,))
    raw.execute_many(_INSERT_SQL, rows)


#: how many sequence numbers one filtered page may scan (``page``)
SCAN_WINDOW = 10_000


def page(
    session: Session,
    *,
    after: int = 0,
    types: Iterable[str] = (),
    subject: str | None = None,
    limit: int = 100,
    window: int = SCAN_WINDOW,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the feed and the ``after`` to ask for the next one.

    The outbox is a log read forward: only ``sequence`` (and ``subject``, for one
    order's or instance's events) is indexed, because every index is pages each
    committing transaction writes. A type filter is applied while reading forward,
    so that a rare type never makes one request scan the whole log, a filtered page
    looks at most ``window`` sequence numbers past ``after``. When it finds fewer than
    ``limit`` events there, the next ``after`` is the end of what it looked at (never
    past the newest committed event), so a client paging until it gets an empty page
    at the head still sees every matching event once.
    """
    types = list(types)
    if not types or subject is not None:
        items = read(session, after=after, types=types, subject=subject, limit=limit)
        return items, items[-1]["sequence"] if items else after
    upto = after + window
    items = read(session, after=after, types=types, limit=limit, upto=upto)
    if len(items) == limit:
        return items, items[-1]["sequence"]
    newest = int(session.execute(select(func.coalesce(func.max(outbox.c.sequence), 0))).scalar_one())
    return items, max(min(upto, newest), after)


def read(
    session: Session,
    *,
    after: int = 0,
    types: Iterable[str] = (),
    subject: str | None = None,
    limit: int = 100,
    upto: int | None = None,
) -> list[dict[str, Any]]:
    """Committed events after sequence ``after``, oldest first, as CloudEvents JSON documents.

    ``types`` holds exact types (``order.created``) and prefixes ending in
    ``.*`` (``order.*``); an event matching any of them is returned. None: all.
    ``upto``: no events with a larger sequence number.
    """
    c = outbox.c
    query = select(outbox).where(c.sequence > after)
    if upto is not None:
        query = query.where(c.sequence <= upto)
    matches = []
    for wanted in types:
        if wanted.endswith(".*"):
            matches.append(c.type.startswith(wanted[:-1], autoescape=True))
        else:
            matches.append(c.type == wanted)
    if matches:
        query = query.where(or_(*matches))
    if subject is not None:
        query = query.where(c.subject == subject)
    return [document(row) for row in session.execute(query.order_by(c.sequence).limit(limit))]


def document(row: Row[Any]) -> dict[str, Any]:
    """One outbox row as a CloudEvents 1.0 JSON document with the ``sequence`` extension attribute."""
    doc: dict[str, Any] = {
        "specversion": row.specversion,
        "id": row.id,
        "source": row.source,
        "type": row.type,
    }
    if row.subject is not None:
        doc["subject"] = row.subject
    doc["time"] = rfc3339(row.time)
    doc["datacontenttype"] = row.datacontenttype
    doc["sequence"] = row.sequence
    doc["data"] = row.data
    return doc


class RecordedEvents:
    """Keeps a unit of work's ``events`` list true to its transaction.

    A savepoint remembers how many events existed when it began; rolling it
    back drops the ones recorded since. Rolling back the whole transaction
    drops everything recorded since the last commit. Events already written
    stay in the list (callers read ``uow.events`` after committing).
    """

    def __init__(self, session: Session | None, events: list[object]) -> None:
        self.events = events
        self.written = 0
        # weak: a savepoint that committed is forgotten with its transaction object
        self._marks: WeakKeyDictionary[SessionTransaction, int] = WeakKeyDictionary()
        if session is not None:
            self.attach(session)

    def attach(self, session: Session) -> None:
        """Follow ``session``'s savepoints and rollbacks (a unit of work may make its session late)."""
        # found by the Session-wide listeners below (registering listeners per session costs
        # more than a short transaction's statements)
        session.info[_RECORDED_KEY] = self

    def unwritten(self) -> list[object]:
        return self.events[self.written :]

    def mark_written(self) -> None:
        self.written = len(self.events)

    def discard_unwritten(self) -> None:
        """Forget what was recorded since the last commit (the transaction rolled back)."""
        del self.events[self.written :]

    def _began(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.nested:
            self._marks[transaction] = len(self.events)

    def _rolled_back(self, session: Session, transaction: SessionTransaction) -> None:
        mark = self._marks.get(transaction, self.written if transaction.parent is None else None)
        if mark is not None:
            del self.events[max(mark, self.written) :]


_RECORDED_KEY = "conveyor.recorded_events"


@event.listens_for(Session, "after_transaction_create")
def _transaction_began(session: Session, transaction: SessionTransaction) -> None:
    recorded = session.info.get(_RECORDED_KEY)
    if recorded is not None:
        recorded._began(session, transaction)


@event.listens_for(Session, "after_soft_rollback")
def _transaction_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    recorded = session.info.get(_RECORDED_KEY)
    if recorded is not None:
        recorded._rolled_back(session, transaction)
