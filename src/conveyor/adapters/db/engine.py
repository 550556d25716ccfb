"""Building SQLAlchemy engines and session factories for SQLite and PostgreSQL.

SQLite is opened so that it behaves like a server database as far as it can:
write-ahead logging (readers never block the writer), foreign keys enforced,
a busy timeout instead of immediate "database is locked" errors, and real
transactions that include DDL (the driver's own implicit transaction handling
is switched off and SQLAlchemy emits ``BEGIN`` itself). PostgreSQL goes through
psycopg 3.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    # Checkpoint the WAL every 10,000 pages (~40 MB) instead of 1,000: a workflow step commits
    # ~20 pages (instance, waits, tasks, history, outbox and their indexes), so the default
    # checkpointed -- copying pages and fsyncing twice -- every ~50 transactions; now every
    # ~500, and pages changed repeatedly in between are copied once (docs/runtime.md).
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
    # ``conveyor_sqlite_immediate`` (an execution option) takes the write lock up front.
    immediate = connection.get_execution_options().get("conveyor_sqlite_immediate")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def build_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for ``database_url`` (sqlite:// or postgresql+psycopg://)."""
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, echo=echo)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True)


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (callers read them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
