"""Workflow history: one ``workflow_history`` row per step, the step's entries a JSON array.

A step moving a token through seven nodes records about fifteen entries (node
entered/completed, variable set, task created ...). They are written as one
row (per instance per transaction), not a row each: one INSERT, one index
entry, the time converted once. Migration 0013 made the change.

A row is ``(id, instance_id, at, entries)``; ``at`` is the time of the row's first
entry and each entry is ``[event, node_id, data]``, plus a fourth element, the
entry's own time as ISO-8601 UTC text (``ENTRY_TIME``), only when it differs from
the row's ``at``. ``data`` is a JSON value (null when the entry has none).

Entries keep integer ids (the API pages with ``history_after=<id>``): an entry's id
is ``row id * ENTRIES_PER_ROW + position``, so ids grow in the order entries were
written. A step with more entries than ``ENTRIES_PER_ROW`` is written as several
rows. ``history_rows`` builds the rows for every writer; ``history_entries`` reads
them back as entries; the SQL view ``workflow_history_entries`` (``entries_view``)
expands them with the same id rule for analytics and ad-hoc SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, BigInteger, Column, Connection, MetaData, String, Table, select
from sqlalchemy.orm import Session

from conveyor import jsontext
from conveyor.adapters.db.types import UtcDateTime
from conveyor.adapters.db.workflow_tables import workflow_history

#: entries per row at most; an entry's id is ``row id * ENTRIES_PER_ROW + position``
ENTRIES_PER_ROW = 1000
#: how an entry whose time differs from its row's ``at`` carries its own (ISO-8601, UTC)
ENTRY_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
#: the INSERT every writer runs (``?`` placeholders, see ``RawSql``): one row per step
INSERT_HISTORY_SQL = "INSERT INTO workflow_history (instance_id, at, entries) VALUES (?, ?, ?)"

#: ``(at, event, node_id, data)``: one entry as writers hand it over (``data`` a JSON value or None)
Entry = tuple[datetime, str, str | None, Any]

_json = jsontext.dumps


class HistoryEntry(NamedTuple):
    """One entry of an instance's history, as read back."""

    id: int
    at: datetime
    event: str
    node_id: str | None
    data: Any


def entry_id(row_id: int, position: int) -> int:
    """The id of the entry at ``position`` (0-based) of row ``row_id``."""
    return row_id * ENTRIES_PER_ROW + position


def row_id_of(entry: int) -> int:
    """The id of the row that holds entry ``entry``."""
    return entry // ENTRIES_PER_ROW


def history_rows(
    instance_id: str, entries: Sequence[Entry], time: Callable[[datetime], Any] | None = None
) -> list[tuple[str, Any, str]]:
    """The rows ``(instance_id, at, entries as JSON text)`` that hold ``entries`` in order.

    One row unless there are more than ``ENTRIES_PER_ROW`` entries. ``time`` converts the
    row's ``at`` for the driver (``RawSql.time``); without it ``at`` stays a datetime.
    A step's entries mostly share one time, so an entry's own time is compared by identity
    first and written only when it differs from the row's.
    """
    rows = []
    for start in range(0, len(entries), ENTRIES_PER_ROW):
        chunk = entries[start : start + ENTRIES_PER_ROW] if len(entries) > ENTRIES_PER_ROW else entries
        at = chunk[0][0]
        items: list[list[Any]] = []
        for when, event, node, data in chunk:
            if when is at or when == at:
                items.append([event, node, data])
            else:
                items.append([event, node, data, when.astimezone(UTC).strftime(ENTRY_TIME)])
        rows.append((instance_id, at if time is None else time(at), _json(items)))
    return rows


def history_entries(
    session: Session | Connection, instance_id: str, *, after: int | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """``instance_id``'s entries in the order they were written, those with an id above ``after``.

    Rows are expanded here rather than in SQL, so this reads the same on every database;
    with ``limit`` it reads at most ``limit`` rows (plus the one ``after`` points into).
    """
    if limit is not None and limit <= 0:
        return []
    h = workflow_history.c
    query = select(h.id, h.at, h.entries).where(h.instance_id == instance_id)
    if after is not None:
        query = query.where(h.id >= row_id_of(after))
    query = query.order_by(h.id)
    if limit is not None:
        query = query.limit(limit + (1 if after is not None else 0))
    found: list[HistoryEntry] = []
    for row_id, at, items in session.execute(query):
        first = entry_id(row_id, 0)
        skip = 0 if after is None or after < first else after - first + 1
        for position in range(skip, len(items)):
            item = items[position]
            when = at if len(item) < 4 else datetime.fromisoformat(item[3])
            found.append(HistoryEntry(first + position, when, item[0], item[1], item[2]))
            if limit is not None and len(found) == limit:
                return found
    return found


#: The view ``workflow_history_entries`` (migration 0013): one row per entry, with the
#: entry ids of ``entry_id``. A view, not a table, so it lives outside the tables' metadata.
entries_view = Table(
    "workflow_history_entries",
    MetaData(),
    Column("id", BigInteger),
    Column("instance_id", String(100)),
    Column("at", UtcDateTime()),
    Column("event", String(32)),
    Column("node_id", String(200)),
    Column("data", JSON),
)
