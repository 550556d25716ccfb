"""The open transaction's DBAPI cursor, for statements a hot path runs many times a second.

``raw_sql(session)`` gives the ``RawSql`` of the session's current transaction
(made once per transaction and kept in ``session.info``). The workflow runtime's
step statements (``adapters/workflow/instances.py``) and the outbox's inserts use
it; everything else goes through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

#: how SQLAlchemy stores a DateTime in SQLite (read back by ``UtcDateTime``)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
#: a session, or what makes one on first use (a unit of work whose session is made late)
SessionSource = Session | Callable[[], Session]
_RAW_KEY = "conveyor.raw_sql"
_FIXED_KEY = "conveyor.raw_sql_fixed"


class RawSql:
    """The open transaction's DBAPI cursor, for the statements every step runs.

    A step's hot statements (load and save the instance, its waits, tasks and history)
    go straight to the driver: the SQL text is fixed, values are converted once here
    (UTC times as SQLite's text or PostgreSQL timestamps; JSON as text), and nothing
    passes through SQLAlchemy's per-statement compilation, caching and result machinery.
    The cursor belongs to the session's connection, so these statements are part of the
    same transaction (and savepoints) as everything else the session runs. Driver errors
    are re-raised as SQLAlchemy's (``OperationalError``, ``IntegrityError`` ...), so callers'
    retry logic sees the same exceptions either way.
    """

    __slots__ = ("_cursor", "_dialect", "_error", "_last_time", "_last_value", "_sql", "postgres")

    def __init__(self, source: Session | Connection | tuple[Dialect, Any]) -> None:
        """The cursor of ``source``'s connection (a session's: of its current transaction).

        ``source`` may also be ``(dialect, DBAPI connection)``: a pooled connection that
        SQLAlchemy has not wrapped (yet), as ``LeanUnitOfWork`` holds it.
        """
        if isinstance(source, tuple):
            self._dialect, dbapi_connection = source
        else:
            connection = source.connection() if isinstance(source, Session) else source
            self._dialect, dbapi_connection = connection.dialect, connection.connection.driver_connection
        self.postgres = self._dialect.name == "postgresql"
        assert dbapi_connection is not None
        self._cursor = dbapi_connection.cursor()
        self._error: type[Exception] = self._dialect.loaded_dbapi.Error
        self._sql: dict[str, str] = {}
        self._last_time: datetime | None = None
        self._last_value: Any = None

    def sql(self, sql: str) -> str:
        """``sql`` written with ``?`` placeholders, in the driver's paramstyle."""
        if not self.postgres:
            return sql
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = sql.replace("?", "%s")
        return found

    def time(self, moment: datetime | None) -> Any:
        if moment is None:
            return None
        if moment is self._last_time:  # a step writes its one ``now`` many times
            return self._last_value
        utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
        # isoformat(" ", "microseconds") is SQLITE_TIME (plus the offset, cut off), at a fifth of the cost
        value = utc if self.postgres else utc.isoformat(" ", "microseconds")[:26]
        self._last_time, self._last_value = moment, value
        return value

    def read_time(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor (for ``rowcount``, ``fetchone`` ...)."""
        statement = self.sql(sql)
        try:
            self._cursor.execute(statement, params)
        except self._error as err:
            raise DBAPIError.instance(statement, params, err, self._error, dialect=self._dialect) from err
        return self._cursor

    def close(self) -> None:
        """Close the cursor (finishing a SELECT it left unfinished, which would otherwise keep
        SQLite's read snapshot open on the connection after the transaction ends)."""
        self._cursor.close()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        statement = self.sql(sql)
        try:
            self._cursor.executemany(statement, rows)
        except self._error as err:
            raise DBAPIError.instance(statement, rows, err, self._error, dialect=self._dialect) from err


def raw_sql(session: Session) -> RawSql:
    """The session's ``RawSql`` for its current transaction (made once per transaction)."""
    fixed: RawSql | None = session.info.get(_FIXED_KEY)
    if fixed is not None:
        return fixed
    transaction = session.get_transaction()
    cached = session.info.get(_RAW_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction:
        found: RawSql = cached[1]
        return found
    raw = RawSql(session)
    session.info[_RAW_KEY] = (session.get_transaction(), raw)
    return raw


def release_raw_sql(session: Session) -> None:
    """Close the cursor ``raw_sql`` made for the session's transaction (call before it ends)."""
    cached = session.info.pop(_RAW_KEY, None)
    if cached is not None:
        cached[1].close()


def bind_raw_sql(session: Session, raw: RawSql) -> None:
    """``raw_sql(session)`` is ``raw`` from now on (a session joined to one connection's transaction)."""
    session.info[_FIXED_KEY] = raw


def resolve(source: SessionSource) -> Session:
    """The session of ``source`` (made now if ``source`` makes it)."""
    return source if isinstance(source, Session) else source()


@event.listens_for(Session, "after_transaction_create")
def _savepoint_at_once(session: Session, transaction: SessionTransaction) -> None:
    """A savepoint begun on a session whose statements also go through ``RawSql`` starts at once.

    SQLAlchemy emits ``SAVEPOINT`` lazily, with the first statement the session itself
    runs inside ``begin_nested()``; statements sent through the raw cursor would then
    land before the savepoint and survive its rollback (a failed handler's writes).
    """
    if transaction.nested and (_FIXED_KEY in session.info or _RAW_KEY in session.info):
        session.connection()
