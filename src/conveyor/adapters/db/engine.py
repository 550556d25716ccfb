"""Building SQLAlchemy engines and session factories for SQLite and PostgreSQL.

SQLite is opened so that it behaves like a server database as far as it can:
write-ahead logging (readers never block the writer), foreign keys enforced,
a busy timeout instead of immediate "database is locked" errors, and real
transactions that include DDL (the driver's own implicit transaction handling
is switched off and SQLAlchemy emits ``BEGIN`` itself). PostgreSQL goes through
psycopg 3.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_PRAGMAS = (
    # 2 KiB pages for new databases (before the first table; an existing database keeps its size).
    # A commit writes every b-tree page it changed to the WAL in full, and a workflow step changes
    # one page in each of ~14 b-trees (instance, waits, task, history and outbox rows with their
    # indexes) while adding a few hundred bytes: halving the page halves what each commit copies
    # and checksums, measured 15% off the commit and 5-10% off a whole step (docs/runtime.md).
    # Rows are small (the engine state of an instance is a few hundred bytes), so the deeper
    # b-trees cost little; a larger row spills into overflow pages as it would at 4 KiB.
    "PRAGMA page_size=2048",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    # Checkpoint the WAL every 10,000 pages (~20 MB) instead of 1,000: a workflow step commits
    # ~14 pages (instance, waits, tasks, history, outbox and their indexes), so the default
    # checkpointed -- copying pages and fsyncing twice -- every ~70 transactions; now every
    # ~700, and pages changed repeatedly in between are copied once (docs/runtime.md).
    "PRAGMA wal_autocheckpoint=10000",
)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop the sqlite3 module from opening and committing transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    # ``conveyor_sqlite_immediate`` (an execution option) takes the write lock up front. The
    # statement goes straight to the driver: through ``exec_driver_sql`` it cost a third of a
    # short transaction's overhead. Driver errors (the busy timeout ran out) are re-raised as
    # SQLAlchemy's, as ``exec_driver_sql`` would.
    immediate = connection.get_execution_options().get("conveyor_sqlite_immediate")
    statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    dbapi_connection = connection.connection.driver_connection
    if dbapi_connection.in_transaction:
        return  # a Connection made around a pooled connection already in a transaction (LeanUnitOfWork)
    try:
        dbapi_connection.execute(statement)
    except sqlite3.Error as err:
        raise DBAPIError.instance(statement, (), err, sqlite3.Error, dialect=connection.dialect) from err


#: Connections each engine keeps open (the rest of ``max_overflow`` is opened on demand and closed
#: when given back). The API serves requests from a pool of threads, each holding a connection while
#: it runs; with SQLAlchemy's default of 5 kept, a busy API opened and closed a connection (and ran the
#: pragmas above) for about every fourth request. SQLite connections are cheap to keep; on PostgreSQL
#: each is a server process, so fewer are kept there.
SQLITE_POOL_SIZE, SQLITE_MAX_OVERFLOW = 20, 30
POSTGRES_POOL_SIZE, POSTGRES_MAX_OVERFLOW = 10, 20


def build_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for ``database_url`` (sqlite:// or postgresql+psycopg://)."""
    if database_url.startswith("sqlite"):
        in_memory = make_url(database_url).database in (None, "", ":memory:")
        pool: dict[str, Any] = (
            {} if in_memory else {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_MAX_OVERFLOW}
        )
        engine = create_engine(database_url, echo=echo, **pool)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(
        database_url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
    )


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (callers read them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
