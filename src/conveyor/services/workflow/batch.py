"""Starting many process instances in one transaction, their rows written with one INSERT per table.

``StepWriter.write`` (``persist.py``) writes one step of one instance: the
instance row, its waits, user tasks and history, a few statements each.
Bulk order placement starts thousands of instances per transaction; here each
instance still runs through the engine (``Instance.start`` with the caller's
handlers, every node's history recorded), but what ``StepWriter`` would
write for the new instance is collected and inserted per table with one
executemany at the end (``InstanceBatch.flush``).

Only starts whose outcome is plain are collected: the instance is ``active``,
waits only at user tasks, message and signal catches (no buffered message
waiting for it, which ``StepWriter`` would deliver at once), and caused
nothing elsewhere (no call activity, thrown message or signal, no job,
timer or incident). Anything
else returns ``None`` from ``stage`` and the caller starts that instance on
the ordinary path (``Workflow.start``), which handles every case. The rows
are the same as ``StepWriter.write(..., new=True)`` and
``WorkflowRuntime.start_in`` write, so keep this module in step with them
(tests/integration/test_order_batch.py compares the two paths row by row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, null, select
from sqlalchemy.orm import Session

from conveyor.adapters.db.workflow_tables import buffered_messages, process_instances, user_tasks, waits
from conveyor.adapters.workflow.history import INSERT_HISTORY_SQL, Entry, history_rows
from conveyor.engine.runtime import Handlers, Instance, Wait
from conveyor.services.workflow.persist import _history_data, task_row
from conveyor.services.workflow.runtime import WorkflowRuntime

_INSERT_INSTANCES = insert(process_instances)
_INSERT_WAITS = insert(waits)
_INSERT_TASKS = insert(user_tasks)
_INSERT_TASKS_WITHOUT_FORM = insert(user_tasks).values(form=null())
#: how SQLAlchemy stores a DateTime in SQLite (``UtcDateTime`` reads it back)
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
#: wait kinds a batched start may end at (rows only: no job to schedule, no follow-up to run)
BATCHABLE_WAITS = frozenset({"userTask", "message", "receiveTask", "signal"})
_MESSAGE_WAITS = ("message", "receiveTask")


@dataclass(slots=True)
class StagedStart:
    """One started instance's rows and events, not written yet."""

    instance_id: str
    state: str
    instance: dict[str, Any]
    waits: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    #: the start's history entries (at, event, node, data), as ``InstanceStore.append_history_fast`` takes
    history: list[Entry]
    #: events in the order the ordinary path records them (task.created..., process_instance.started)
    events: list[dict[str, Any]]
    message_waits: list[tuple[Wait, datetime]] = field(default_factory=list)


@dataclass
class InstanceBatch:
    """Collects staged starts and inserts them together (``flush``), inside the caller's transaction."""

    runtime: WorkflowRuntime
    instances: list[dict[str, Any]] = field(default_factory=list)
    waits: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    #: (instance id, its history entries): one history row each (``adapters/workflow/history.py``)
    history: list[tuple[str, list[Entry]]] = field(default_factory=list)
    #: message name -> correlation keys of unexpired buffered messages (read once per batch)
    _buffered: dict[str, set[str | None]] | None = None
    #: the message waits of the staged starts, and the time they were staged at (``buffered_since``)
    _message_waits: list[tuple[Wait, datetime]] = field(default_factory=list)

    def stage(
        self,
        session: Session,
        process: str,
        variables: Mapping[str, Any],
        *,
        business_key: str | None,
        now: datetime,
        handlers: Handlers,
    ) -> StagedStart | None:
        """Run a new instance of ``process`` until it waits; its rows, or None when it is not plain."""
        models = self.runtime.models
        compiled = models.process(session, process, None)
        instance = Instance.start(
            models.library,
            process,
            dict(variables),
            now=now,
            handlers=handlers,
            business_key=business_key,
            version=compiled.version,
        )
        if instance.drain_effects() or instance.state != "active":
            return None
        after = instance.waits
        if any(w.kind not in BATCHABLE_WAITS for w in after):
            return None
        if any(self._has_buffered(session, w, now) for w in after if w.kind in _MESSAGE_WAITS):
            return None
        message_waits = [(w, now) for w in after if w.kind in _MESSAGE_WAITS and w.message_name]
        saved = instance.to_state()
        root = saved["root"]
        process_variables: dict[str, Any] = next((s[5] for s in saved["s"] if s[0] == root), {})
        instance_row = {
            "id": instance.id,
            "definition_id": models.definition_id(process, compiled.version),
            "process_key": process,
            "version": compiled.version,
            "business_key": business_key,
            "state": "active",
            "engine_state": json.dumps(saved, separators=(",", ":")),
            "variables": process_variables,
            "revision": 0,
            "parent_id": None,
            "started_at": now,
            "updated_at": now,
            "ended_at": None,
        }
        events: list[dict[str, Any]] = []
        tasks = []
        for wait in after:
            if wait.kind == "userTask" and wait.task is not None:
                tasks.append(task_row(instance.id, wait, now))
                events.append({"type": "task.created", "instance_id": instance.id, "node": wait.node})
        events.append({"type": "process_instance.started", "id": instance.id, "process": process})
        return StagedStart(
            instance_id=instance.id,
            state="active",
            instance=instance_row,
            waits=[_wait_row(instance.id, w) for w in after],
            tasks=tasks,
            history=[
                (h.at, h.kind, h.node, None if h.data is None else _history_data(h.data))
                for h in instance.drain_history()
            ],
            events=events,
            message_waits=message_waits,
        )

    def buffered_since(self, session: Session) -> bool:
        """Whether a message for one of the staged waits is buffered now (checked again under the lock)."""
        if not self._message_waits:
            return False
        self._buffered = None
        return any(self._has_buffered(session, wait, at) for wait, at in self._message_waits)

    def _has_buffered(self, session: Session, wait: Wait, now: datetime) -> bool:
        """A buffered message is there for this wait (the ordinary path delivers it in the start)."""
        if not wait.message_name:
            return False
        if self._buffered is None:
            self._buffered = {}
            query = select(buffered_messages.c.name, buffered_messages.c.correlation_key).where(
                buffered_messages.c.expires_at > now
            )
            for name, key in session.execute(query):
                self._buffered.setdefault(name, set()).add(key)
        keys = self._buffered.get(wait.message_name)
        return bool(keys) and (wait.correlation_key is None or wait.correlation_key in keys)  # type: ignore[operator]

    def add(self, staged: StagedStart) -> None:
        self.instances.append(staged.instance)
        self.waits.extend(staged.waits)
        self.tasks.extend(staged.tasks)
        if staged.history:
            self.history.append((staged.instance_id, staged.history))
        self._message_waits.extend(staged.message_waits)

    def flush(self, session: Session, *, task_ids: bool = False) -> dict[tuple[str, int], int]:
        """Insert everything collected (instances first: the other rows refer to them)."""
        connection = session.connection()
        for statement, rows in ((_INSERT_INSTANCES, self.instances), (_INSERT_WAITS, self.waits)):
            if rows:
                connection.execute(statement, rows)
        # a task without a form stores SQL NULL, as the single insert does (a JSON column would
        # otherwise store JSON 'null' for None in an executemany)
        with_form = [row for row in self.tasks if row["form"] is not None]
        without_form = [
            {k: v for k, v in row.items() if k != "form"} for row in self.tasks if row["form"] is None
        ]
        ids: dict[tuple[str, int], int] = {}
        for statement, rows in ((_INSERT_TASKS, with_form), (_INSERT_TASKS_WITHOUT_FORM, without_form)):
            if not rows:
                continue
            if task_ids:  # the new tasks' ids (for answering with the order's open tasks)
                returning = statement.returning(
                    user_tasks.c.id, user_tasks.c.instance_id, user_tasks.c.wait_id
                )
                for task_id, instance_id, wait_id in connection.execute(returning, rows):
                    ids[(instance_id, wait_id)] = int(task_id)
            else:
                connection.execute(statement, rows)
        if self.history:
            # as ``InstanceStore.append_history_fast``: one row per started instance (its entries as
            # one JSON array), straight to the driver, all rows in one executemany
            if connection.dialect.name == "postgresql":
                sql = INSERT_HISTORY_SQL.replace("?", "%s")
                convert: Callable[[datetime], Any] = _utc
            else:
                sql = INSERT_HISTORY_SQL
                texts: dict[datetime, str] = {}  # the batch's starts mostly share one time: format it once

                def convert(at: datetime) -> str:
                    return texts.get(at) or texts.setdefault(at, at.astimezone(UTC).strftime(_SQLITE_TIME))

            history = [row for i, entries in self.history for row in history_rows(i, entries, convert)]
            connection.exec_driver_sql(sql, history)
        self.instances, self.waits, self.tasks, self.history = [], [], [], []
        self._buffered = None
        self._message_waits = []
        return ids


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _wait_row(instance_id: str, wait: Wait) -> dict[str, Any]:
    return {
        "instance_id": instance_id,
        "wait_id": wait.id,
        "node_id": wait.node,
        "kind": wait.kind,
        "message_name": wait.message_name,
        "correlation_key": wait.correlation_key,
        "signal_name": wait.signal_name,
        "due_at": wait.due,
    }
