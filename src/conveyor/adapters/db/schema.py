"""Migrating the database: upgrade, downgrade, and asking where it stands.

These wrap Alembic programmatically with the scripts inside the package, so the
same calls work from a source checkout and from an installed wheel, on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from conveyor.logs import get_logger

log = get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this version of Conveyor knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision``, in one transaction per call."""
    before = current_revision(engine)
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    after = current_revision(engine)
    if after != before:
        log.info("database_migrated", from_revision=before, to_revision=after)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"`` removes every table)."""
    before = current_revision(engine)
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)
    log.info("database_downgraded", from_revision=before, to_revision=current_revision(engine))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
