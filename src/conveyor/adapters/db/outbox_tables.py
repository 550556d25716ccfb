"""The outbox: every recorded event as a CloudEvents 1.0 row, written in the same transaction as the change.

``sequence`` orders the feed (``GET /api/v1/events?after=SEQ``). It must grow
in *commit* order, not just in insert order, or a reader paging with
``after`` would skip an event that committed later with a smaller number.
SQLite has one writer at a time and numbers a new row one past the largest
``sequence`` in the table. The outbox is append-only: nothing deletes from it, so
numbers only grow. Any retention added later must keep the newest event (or
numbers could be handed out again and a reader's ``after`` would skip them);
``AUTOINCREMENT``, which remembers the high mark elsewhere, cost every
transaction an update of ``sqlite_sequence`` (migration 0012). On PostgreSQL the
writer takes a transaction-level advisory lock before it draws numbers from
the identity sequence and keeps it until commit (``services/outbox.py``), so
outbox writers commit one after the other in the order of their numbers.

The CloudEvents attributes are columns of their own so the feed and the
dispatcher filter by type and subject in SQL; ``data`` is the event's JSON
payload (decimals as strings, times in ISO 8601). Only ``sequence`` and
``subject`` are indexed: the log is read forward from a cursor and a type
filter is applied while reading (``services/outbox.page`` bounds the scan of a
filtered page); an index per type cost every committing transaction a b-tree
page per event type it wrote (migration 0012).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, String, Table

from conveyor.adapters.db.tables import metadata
from conveyor.adapters.db.types import BigId, UtcDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("sequence", BigId, primary_key=True, autoincrement=True),
    # unique by construction (a random UUID per event); no index: nothing looks events up by id, and a
    # unique index on random values cost every committing transaction two b-tree pages
    Column("id", String(36), nullable=False),
    Column("specversion", String(8), nullable=False),
    Column("type", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("time", UtcDateTime(), nullable=False),
    Column("datacontenttype", String(100), nullable=False),
    Column("data", JSON(), nullable=False),
    Column("committed_at", UtcDateTime(), nullable=False),
    Index("ix_outbox_subject_sequence", "subject", "sequence"),
)
