"""The unit of work: one database transaction around one use case.

    with uow:
        token = uow.api_tokens.add(...)
        uow.commit()

Leaving the block without ``commit()`` (or because of an exception) rolls
everything back, so a use case either happens completely or not at all. Domain
events recorded during the block are written to the outbox by ``commit()`` in
the same transaction (``services/outbox.py``), so they exist exactly when the
change committed; they also stay in ``events`` for the caller.

``LeanUnitOfWork`` is the same contract on a bare connection: its ORM session
is made the first time something asks for it. The workflow runtime runs its
steps in one (see its docstring for why).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine, PoolProxiedConnection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from conveyor.adapters.db.api_tokens import SqlApiTokenRepository
from conveyor.adapters.db.raw import RawSql, bind_raw_sql, raw_sql, release_raw_sql
from conveyor.services import events, outbox


class SqlUnitOfWork:
    """A session and its transaction, with the repositories bound to it."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self.events: list[object] = []
        self._recorded: outbox.RecordedEvents | None = None
        self._api_tokens: SqlApiTokenRepository | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a `with uow:` block")
        return self._session

    @property
    def raw(self) -> RawSql:
        """The open transaction's DBAPI cursor (``adapters/db/raw.py``), for hot-path statements."""
        return raw_sql(self.session)

    @property
    def api_tokens(self) -> SqlApiTokenRepository:
        if self._api_tokens is None:
            self._api_tokens = SqlApiTokenRepository(self.session)
        return self._api_tokens

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; create a new one per use case")
        self._session = self._session_factory()
        self.events = []
        self._recorded = outbox.RecordedEvents(self._session, self.events)
        self._api_tokens = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        if self._recorded is not None:
            self._recorded.discard_unwritten()
        try:
            release_raw_sql(session)
            session.rollback()  # a no-op after commit(); undoes everything otherwise
        finally:
            session.close()

    def commit(self) -> None:
        session = self.session
        if self._recorded is not None:
            outbox.write(session, self._recorded.unwritten())
        release_raw_sql(session)
        session.commit()
        if self._recorded is not None:
            self._recorded.mark_written()

    def rollback(self) -> None:
        release_raw_sql(self.session)
        self.session.rollback()
        if self._recorded is not None:
            self._recorded.discard_unwritten()

    def record(self, event: object) -> None:
        """Remember a domain event (a dict with a ``type``) for the outbox; ``commit()`` writes it."""
        self.events.append(events.check(event))


class LeanUnitOfWork(SqlUnitOfWork):
    """A unit of work that makes its ORM session only when something asks for one.

    The transaction runs on one pooled DBAPI connection, checked out when the block is
    entered (``write=True``: SQLite's ``BEGIN IMMEDIATE`` at once, so concurrent writers
    queue on the busy timeout instead of failing later); ``raw`` is its cursor. A workflow
    step that only moves tokens writes everything through ``raw`` and commits on the
    driver: it never pays for a Session nor for SQLAlchemy's ``Connection`` around the
    pooled connection, whose set-up, begin, commit and close cost about as much as the
    step's own statements. Code that does ask for ``session`` (a handler, an incident, a
    job) gets one on a ``Connection`` that wraps the same pooled connection and joins the
    open transaction: its savepoints are savepoints of that transaction, its rollback
    rolls the whole transaction back, and ``commit()`` flushes it and commits everything,
    outbox rows included, at once.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = True) -> None:
        super().__init__(session_factory)
        self._write = write
        self._engine: Engine = session_factory.kw["bind"]
        self._sqlite = self._engine.dialect.name == "sqlite"
        self._pooled: PoolProxiedConnection | None = None
        #: SQLAlchemy's Connection over ``_pooled``, made with the first session
        self._connection: Connection | None = None
        #: a transaction is open on the driver (while ``_connection`` is None)
        self._open = False
        self._raw: RawSql | None = None

    def _begin(self) -> PoolProxiedConnection:
        pooled = self._pooled
        if pooled is None:
            raise RuntimeError("use the unit of work inside a `with uow:` block")
        connection = self._connection
        if connection is not None:
            if not connection.in_transaction():
                connection.begin()
        elif not self._open:
            if self._sqlite:  # PostgreSQL's driver opens the transaction with the first statement
                self._driver(pooled, "BEGIN IMMEDIATE" if self._write else "BEGIN")
            self._open = True
        return pooled

    def _driver(self, pooled: PoolProxiedConnection, statement: str) -> None:
        """``BEGIN``/``COMMIT``/``ROLLBACK`` on the driver; its errors re-raised as SQLAlchemy's."""
        dbapi = self._engine.dialect.loaded_dbapi
        try:
            if statement == "COMMIT":
                pooled.commit()
            elif statement == "ROLLBACK":
                pooled.rollback()
            else:
                pooled.driver_connection.execute(statement)  # type: ignore[union-attr]
        except dbapi.Error as err:
            raise DBAPIError.instance(statement, (), err, dbapi.Error, dialect=self._engine.dialect) from err

    @property
    def session(self) -> Session:
        if self._session is None:
            pooled = self._begin()
            connection = self._connection
            if connection is None:
                # SQLAlchemy's view of the transaction already open on the driver: SQLite's
                # ``begin`` listener sees the driver in a transaction and emits no BEGIN
                connection = Connection(self._engine, connection=pooled)
                connection.execution_options(conveyor_sqlite_immediate=self._write)
                connection.begin()
                self._connection, self._open = connection, False
            session = self._session_factory(bind=connection, join_transaction_mode="rollback_only")
            bind_raw_sql(session, self.raw)
            assert self._recorded is not None
            self._recorded.attach(session)
            self._session = session
        return self._session

    @property
    def raw(self) -> RawSql:
        pooled = self._begin()
        if self._raw is None:
            self._raw = RawSql((self._engine.dialect, pooled.driver_connection))
        return self._raw

    def _release_cursor(self) -> None:
        """Close the transaction's cursor: a SELECT it left unfinished would keep SQLite's read
        snapshot (and so the connection's view of the database) past the commit."""
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()

    def __enter__(self) -> Self:
        if self._pooled is not None:
            raise RuntimeError("this unit of work is already open; create a new one per use case")
        self._pooled = self._engine.raw_connection()
        self.events = []
        self._recorded = outbox.RecordedEvents(None, self.events)
        self._api_tokens = None
        try:
            self._begin()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._recorded is not None:
            self._recorded.discard_unwritten()
        self._close()

    def _close(self) -> None:
        pooled, connection = self._pooled, self._connection
        self._release_cursor()
        self._pooled = self._connection = None
        self._open = False
        try:
            self._end_session()
        finally:
            # back to the pool, rolling back whatever did not commit
            if connection is not None:
                connection.close()
            elif pooled is not None:
                pooled.close()

    def _end_session(self) -> None:
        session, self._session = self._session, None
        self._api_tokens = None
        if session is not None:
            session.close()  # leaves the connection's transaction alone (rollback_only)

    def commit(self) -> None:
        if self._session is not None:
            self._session.flush()
        unwritten = self._recorded.unwritten() if self._recorded is not None else []
        if unwritten:
            outbox.write_raw(self.raw, unwritten)
        self._end_session()
        self._release_cursor()
        connection = self._connection
        if connection is not None:
            transaction = connection.get_transaction()
            if transaction is not None:
                transaction.commit()
        elif self._open:
            assert self._pooled is not None
            self._open = False
            self._driver(self._pooled, "COMMIT")
        if self._recorded is not None:
            self._recorded.mark_written()

    def rollback(self) -> None:
        self._end_session()
        self._release_cursor()
        connection = self._connection
        if connection is not None:
            if connection.in_transaction():
                connection.rollback()
        elif self._open:
            assert self._pooled is not None
            self._open = False
            self._driver(self._pooled, "ROLLBACK")
        if self._recorded is not None:
            self._recorded.discard_unwritten()
