"""Workflow history as one row per step: ``workflow_history.entries`` holds the step's entries.

A step that moves a token through seven nodes recorded about fifteen history
rows (node entered/completed, variable set, task created ...), each with its
own index entry and converted timestamp. Now a step writes one row
``(id, instance_id, at, entries)``; ``entries`` is a JSON array of
``[event, node_id, data]`` (plus a fourth element, the entry's own ISO-8601 UTC
time, when it differs from the row's ``at``). An entry's id is
``row id * 1000 + position``; a step with more than 1000 entries takes several
rows (``adapters/workflow/history.py`` holds the rule for the code; this file
keeps its own copy, as migrations are frozen snapshots).

Upgrade turns each existing row into a one-entry row with the same id (so order
is kept; an entry's id becomes ``old id * 1000``). Downgrade expands the rows
back into one row per entry, the entry's id as the row id (so ids handed out
by the API stay valid). The view ``workflow_history_entries`` expands the rows
for analytics and ad-hoc SQL: ``id, instance_id, at, event, node_id, data``.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

VIEW = "workflow_history_entries"

# SQLite keeps times as "YYYY-MM-DD HH:MM:SS.ffffff" text; an entry's own time is
# "YYYY-MM-DDTHH:MM:SS.ffffffZ", so its first 26 characters with a space for the T
# are the column's format. The data comes out as JSON text: ``json_quote`` quotes
# strings and leaves numbers and the objects/arrays ``json_extract`` returns as they
# are (booleans, which ``json_extract`` turns into 1/0, are named; no ``->``, which
# needs SQLite 3.38).
_SQLITE_VIEW = f"""
CREATE VIEW {VIEW} (id, instance_id, at, event, node_id, data) AS
SELECT h.id * 1000 + e.key,
       h.instance_id,
       COALESCE(replace(substr(json_extract(e.value, '$[3]'), 1, 26), 'T', ' '), h.at),
       json_extract(e.value, '$[0]'),
       json_extract(e.value, '$[1]'),
       CASE json_type(e.value, '$[2]')
           WHEN 'null' THEN NULL
           WHEN 'true' THEN 'true'
           WHEN 'false' THEN 'false'
           ELSE json_quote(json_extract(e.value, '$[2]'))
       END
FROM workflow_history h, json_each(h.entries) e
"""  # noqa: S608 - constant text

_POSTGRES_VIEW = f"""
CREATE VIEW {VIEW} (id, instance_id, at, event, node_id, data) AS
SELECT h.id * 1000 + e.n - 1,
       h.instance_id,
       COALESCE((e.value ->> 3)::timestamptz, h.at),
       e.value ->> 0,
       e.value ->> 1,
       CASE WHEN json_typeof(e.value -> 2) = 'null' THEN NULL ELSE e.value -> 2 END
FROM workflow_history h CROSS JOIN LATERAL json_array_elements(h.entries) WITH ORDINALITY AS e(value, n)
"""  # noqa: S608 - constant text


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    sqlite = _sqlite()
    with op.batch_alter_table("workflow_history") as batch:
        batch.add_column(sa.Column("entries", sa.JSON(), nullable=True))
    # each row becomes a one-entry row: [[event, node_id, data]]
    if sqlite:
        op.execute("UPDATE workflow_history SET entries = json_array(json_array(event, node_id, json(data)))")
    else:
        op.execute(
            "UPDATE workflow_history SET entries = json_build_array(json_build_array(event, node_id, data))"
        )
    with op.batch_alter_table("workflow_history") as batch:
        batch.alter_column("entries", existing_type=sa.JSON(), nullable=False)
        batch.drop_column("data")
        batch.drop_column("node_id")
        batch.drop_column("event")
    op.execute(_SQLITE_VIEW if sqlite else _POSTGRES_VIEW)


def downgrade() -> None:
    sqlite = _sqlite()
    # the view already expands the rows with the entry ids: keep its result aside, then
    # rebuild the table in the old format and put the entries back as rows
    op.execute(f"CREATE TABLE workflow_history_expanded AS SELECT * FROM {VIEW}")  # noqa: S608
    op.execute(f"DROP VIEW {VIEW}")
    op.execute("DELETE FROM workflow_history")
    with op.batch_alter_table("workflow_history") as batch:
        batch.drop_column("entries")
        batch.add_column(sa.Column("event", sa.String(length=32), nullable=False))
        batch.add_column(sa.Column("node_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("data", sa.JSON(), nullable=True))
    op.execute(
        "INSERT INTO workflow_history (id, instance_id, at, event, node_id, data)"
        " SELECT id, instance_id, at, event, node_id, data FROM workflow_history_expanded ORDER BY id"
    )
    op.drop_table("workflow_history_expanded")
    if not sqlite:  # new rows continue after the highest id (SQLite takes max(rowid) + 1 itself)
        op.execute(
            "SELECT setval(pg_get_serial_sequence('workflow_history', 'id'), MAX(id))"
            " FROM workflow_history HAVING MAX(id) IS NOT NULL"
        )
