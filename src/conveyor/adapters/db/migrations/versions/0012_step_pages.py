"""Fewer pages per workflow step: a leaner outbox (no id and type indexes, no AUTOINCREMENT), rowless waits.

A committing transaction writes every b-tree page it changed (SQLite's WAL whole
pages, PostgreSQL index tuples and WAL records). Two of the pages every step
wrote bought nothing:

- ``outbox.id`` had a unique index. The id is a random UUID made per event, so
  it is unique by construction, nothing looks an event up by it (readers go by
  ``sequence``, ``type`` and ``subject``), and random keys land on a different
  index page every time.
- ``outbox (type, sequence)`` was indexed for the feed's type filter. The feed is
  read forward from a cursor; the filter is applied while reading, with the scan
  of one filtered page bounded (``services/outbox.page``). Each event type a
  transaction wrote cost a page of that index.
- SQLite's ``AUTOINCREMENT`` on ``outbox.sequence`` updated the
  ``sqlite_sequence`` table at every insert (a statement and a page per
  transaction, about a tenth of a workflow step). Without it SQLite numbers a
  row one past the largest sequence in the table, which grows just the same
  because the outbox is append-only (see ``outbox_tables``).
- SQLite kept ``waits`` as a rowid table plus a separate b-tree for its primary
  key ``(instance_id, wait_id)``; as a ``WITHOUT ROWID`` table the primary key is
  the table. PostgreSQL has no rowid and is unchanged.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    if _sqlite():
        with op.batch_alter_table(
            "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ) as batch:
            batch.drop_constraint("uq_outbox_id", type_="unique")
            batch.drop_index("ix_outbox_type_sequence")
        with op.batch_alter_table(
            "waits", recreate="always", table_kwargs={"sqlite_with_rowid": False}
        ):
            pass
    else:
        op.drop_constraint("uq_outbox_id", "outbox", type_="unique")
        op.drop_index("ix_outbox_type_sequence", table_name="outbox")


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("waits", recreate="always", table_kwargs={"sqlite_with_rowid": True}):
            pass
        with op.batch_alter_table(
            "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            batch.create_unique_constraint("uq_outbox_id", ["id"])
            batch.create_index("ix_outbox_type_sequence", ["type", "sequence"])
    else:
        op.create_unique_constraint("uq_outbox_id", "outbox", ["id"])
        op.create_index("ix_outbox_type_sequence", "outbox", ["type", "sequence"])
